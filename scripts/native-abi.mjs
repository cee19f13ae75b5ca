#!/usr/bin/env node
// better-sqlite3 is a native addon: plain Node (tests, CLI, benchmarks) and Electron (the app)
// need different builds of it. `node scripts/native-abi.mjs node|electron` makes the installed
// build match the runtime about to use it, rebuilding only when it does not.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const target = process.argv[2];
if (target !== 'node' && target !== 'electron') {
  console.error('usage: native-abi.mjs node|electron');
  process.exit(2);
}

const moduleDir = dirname(require.resolve('better-sqlite3/package.json'));
const marker = join(moduleDir, 'build', 'keyhold-abi.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function loadsInNode() {
  const probe = spawnSync(
    process.execPath,
    ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"],
    { cwd: process.cwd(), stdio: 'pipe' },
  );
  return probe.status === 0;
}

if (target === 'node') {
  if (loadsInNode()) process.exit(0);
  console.error('better-sqlite3: rebuilding for Node', process.versions.node, '(this takes about a minute)');
  execFileSync(npm, ['rebuild', 'better-sqlite3'], { stdio: 'inherit', shell: process.platform === 'win32' });
  rmSync(marker, { force: true });
  if (!loadsInNode()) {
    console.error('better-sqlite3 still does not load in Node after a rebuild; see the output above.');
    process.exit(1);
  }
  process.exit(0);
}

// `electron --if-installed`: for the _electron smoke test, which skips where Electron's binary
// was never downloaded (offline CI); there is nothing to rebuild for then.
if (process.argv.includes('--if-installed')) {
  let binary = null;
  try {
    binary = require('electron');
  } catch {
    binary = null;
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    console.error('better-sqlite3: no Electron binary installed, nothing to rebuild for it.');
    process.exit(0);
  }
}

const electronVersion = require('electron/package.json').version;
const want = { runtime: 'electron', version: electronVersion };
if (existsSync(marker)) {
  const have = JSON.parse(readFileSync(marker, 'utf8'));
  if (have.runtime === want.runtime && have.version === want.version) process.exit(0);
}
console.error('better-sqlite3: rebuilding for Electron', electronVersion);
const rebuild = spawnSync(
  process.execPath,
  [join(dirname(require.resolve('@electron/rebuild')), 'cli.js'), '--force', '--only', 'better-sqlite3', '--version', electronVersion],
  { stdio: 'inherit' },
);
if (rebuild.status !== 0) {
  console.error('Rebuilding better-sqlite3 for Electron failed; see the output above.');
  process.exit(1);
}
writeFileSync(marker, JSON.stringify(want));
