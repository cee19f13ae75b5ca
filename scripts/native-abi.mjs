#!/usr/bin/env node
// better-sqlite3 is a native addon: plain Node (the CLI, tests, benchmarks) and Electron (the app
// in development) need different builds of it, and both live side by side:
//   node      better-sqlite3's own build folder, as `npm ci` installs it; this script only
//             checks that it loads, and rebuilds it when it does not (a different Node, or a
//             checkout where an older Keyhold rebuilt it in place for Electron).
//   electron  node_modules/.keyhold-native/electron-VERSION/, made once per Electron version by
//             @electron/rebuild from a copy of the package; the app loads it through
//             better-sqlite3's `nativeBinding` option (src/core/vault/native.ts, same layout).
// Neither replaces the other, so `npm start`, `npx keyhold` and `npm test` work in any order.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const target = process.argv[2];
if (target !== 'node' && target !== 'electron') {
  console.error('usage: native-abi.mjs node|electron [--if-installed]');
  process.exit(2);
}

const moduleDir = dirname(require.resolve('better-sqlite3/package.json'));
const projectDir = process.cwd();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function loadsInNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"], {
    cwd: projectDir,
    stdio: 'pipe',
  });
  return probe.status === 0;
}

if (target === 'node') {
  if (loadsInNode()) process.exit(0);
  console.error('better-sqlite3: rebuilding for Node', process.versions.node, '(this takes about a minute)');
  execFileSync(npm, ['rebuild', 'better-sqlite3'], { stdio: 'inherit', shell: process.platform === 'win32' });
  // The marker of the old in-place Electron switch, if any, no longer describes this build.
  rmSync(join(moduleDir, 'build', 'keyhold-abi.json'), { force: true });
  if (!loadsInNode()) {
    console.error('better-sqlite3 still does not load in Node after a rebuild; see the output above.');
    process.exit(1);
  }
  process.exit(0);
}

// Electron: first, is its binary there at all? (ELECTRON_SKIP_BINARY_DOWNLOAD, an offline install.)
let electronBinary = null;
try {
  electronBinary = require('electron');
} catch {
  electronBinary = null;
}
if (typeof electronBinary !== 'string' || !existsSync(electronBinary)) {
  // `--if-installed`: for the _electron smoke test, which skips where the binary was never downloaded.
  if (process.argv.includes('--if-installed')) {
    console.error('better-sqlite3: no Electron binary installed, nothing to build for it.');
    process.exit(0);
  }
  console.error(
    "Electron's binary is not installed (npm ci ran offline or with ELECTRON_SKIP_BINARY_DOWNLOAD): " +
      'run "node node_modules/electron/install.js" with internet access, then "npm start" again; the CLI (npx keyhold) works without it.',
  );
  process.exit(1);
}

const electronVersion = require('electron/package.json').version;
// Keep in step with electronBindingPath() in src/core/vault/native.ts.
const buildRoot = join(projectDir, 'node_modules', '.keyhold-native', `electron-${electronVersion}`);
const built = join(buildRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (existsSync(built)) process.exit(0);

console.error(`better-sqlite3: building for Electron ${electronVersion} (once per Electron version, about a minute)`);
// Build in a scratch copy of the package, then move it into place whole: an interrupted build
// leaves nothing that looks finished, and Node's build is never touched.
const scratch = `${buildRoot}.partial`;
rmSync(scratch, { recursive: true, force: true });
const scratchModule = join(scratch, 'node_modules', 'better-sqlite3');
mkdirSync(dirname(scratchModule), { recursive: true });
cpSync(moduleDir, scratchModule, { recursive: true, filter: (src) => !src.startsWith(join(moduleDir, 'build')) });
// better-sqlite3's own dependencies (bindings, file-uri-to-path) are found through the project's node_modules.
writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'keyhold-native-electron', private: true, dependencies: { 'better-sqlite3': '*' } }));
const rebuild = spawnSync(
  process.execPath,
  [join(dirname(require.resolve('@electron/rebuild')), 'cli.js'), '--force', '--only', 'better-sqlite3', '--version', electronVersion, '--module-dir', scratch],
  { stdio: 'inherit' },
);
if (rebuild.status !== 0 || !existsSync(join(scratchModule, 'build', 'Release', 'better_sqlite3.node'))) {
  console.error("Building better-sqlite3 for Electron failed; see the output above. Node's build (the CLI, the tests) is unchanged.");
  process.exit(1);
}
rmSync(buildRoot, { recursive: true, force: true });
renameSync(scratch, buildRoot);
