import { builtinModules } from 'node:module';
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

// The CLI is a plain Node program: ESM, dependencies loaded from node_modules. keyhold.js is the
// entry; the commands and the engine are chunks it imports only when a command needs them, so
// `keyhold --version` and `--help` load almost nothing.
export default defineConfig({
  plugins: [
    {
      // npm links `npx keyhold` to out/cli/keyhold.js once; a rebuild must keep it runnable.
      name: 'keyhold-executable',
      writeBundle(options) {
        chmodSync(join(options.dir ?? 'out/cli', 'keyhold.js'), 0o755);
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
      input: { keyhold: 'src/cli/index.ts' },
      external,
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: '[name]-[hash].js',
        // Only the entry is run directly: chunks carry no shebang.
        banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''),
      },
    },
  },
});
