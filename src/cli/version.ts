// The version `keyhold --version` prints: package.json's, put here by the build
// (vite.cli.config.ts and vitest.config.ts `define` it), so printing it loads nothing.
declare const __KEYHOLD_VERSION__: string | undefined;

export const VERSION: string = typeof __KEYHOLD_VERSION__ === 'string' ? __KEYHOLD_VERSION__ : 'dev';
