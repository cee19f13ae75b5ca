import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vite';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
// Native addons stay in node_modules; the JavaScript dependencies are bundled into the chunks
// that use them: resolving and reading hundreds of small module files (zod, undici) cost more
// than running them. better-sqlite3's JavaScript is bundled too, and the CLI names its addon
// (useNodeBuild in src/core/vault/native.ts); argon2's loader picks a prebuilt package per platform.
const NATIVE = ['@node-rs/argon2'];
const external = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...NATIVE].map(
  (name) => new RegExp(`^${name.replace(/[/.]/g, '\\$&')}(/.*)?$`),
);

// The CLI is a plain Node program, in CommonJS so that each chunk can be loaded with the code V8
// compiled for it at build time (src/cli/code-cache.ts; Node 20 offers no code cache for ES
// modules). keyhold.js is the entry; the commands and the engine are chunks it loads only when a
// command needs them, so `keyhold --version` and `--help` load almost nothing.
const ENTRIES = { keyhold: 'src/cli/index.ts', 'code-cache-build': 'src/cli/code-cache-build.ts' };

export default defineConfig({
  plugins: [
    {
      name: 'keyhold-commonjs',
      generateBundle() {
        // The project is "type": "module"; this folder's .js files are CommonJS.
        this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "commonjs" }\n' });
      },
    },
    {
      // npm links `npx keyhold` to out/cli/keyhold.js once; a rebuild must keep it runnable.
      name: 'keyhold-executable',
      writeBundle(options) {
        chmodSync(join(options.dir ?? 'out/cli', 'keyhold.js'), 0o755);
      },
    },
    {
      // Runs the chunks once with the Node that builds, and keeps the code V8 compiled beside each.
      // Without it the CLI works the same, only slower to start: a failure here is a warning.
      name: 'keyhold-code-cache',
      writeBundle(options, bundle) {
        const dir = options.dir ?? 'out/cli';
        const chunks = Object.values(bundle).flatMap((c) => (c.type === 'chunk' && !c.isEntry ? [c.fileName] : []));
        // V8 takes a cache only under the flags it was made with: make it for a plain `node` run.
        const { NODE_OPTIONS: _flags, ...env } = process.env;
        const r = spawnSync(process.execPath, [join(dir, 'code-cache-build.js'), ...chunks], { encoding: 'utf8', env });
        if (r.status !== 0) this.warn(`no code cache for the CLI: ${(r.stderr || r.error?.message || '').trim()}`);
      },
    },
  ],
  define: { __KEYHOLD_VERSION__: JSON.stringify(pkg.version) },
  ssr: { noExternal: true },
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'out/cli',
    emptyOutDir: true,
    minify: false,
    rollupOptions: {
      input: ENTRIES,
      external,
      output: {
        format: 'cjs',
        // An import() of a package or a Node module becomes require(): the chunks run as scripts
        // (src/cli/code-cache.ts), which have no loader for import().
        dynamicImportInCjs: false,
        entryFileNames: '[name].js',
        chunkFileNames: '[name]-[hash].js',
        // Only the entry is run directly: chunks carry no shebang.
        banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''),
      },
    },
  },
});
