import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The layer table of DESIGN.md: each folder may import only the packages listed for it,
// and may never reach up into a layer above it through a relative path.
const LAYERS = ['shared', 'core', 'main', 'preload', 'renderer', 'cli'];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function layer(name, { packages, node = false, layers }) {
  const allowed = packages.map((p) => `${escape(p)}(?:/|$)`);
  if (node) allowed.push('node:');
  const forbiddenLayers = LAYERS.filter((l) => l !== name && !layers.includes(l));
  const patterns = [
    {
      regex: `^(?!\\.|${allowed.join('|')})`,
      message: `src/${name} may import only: ${[...packages, ...(node ? ['node:*'] : [])].join(', ') || 'nothing outside itself'} (DESIGN.md, "Layers and folders").`,
    },
  ];
  if (forbiddenLayers.length > 0) {
    patterns.push({
      regex: `^\\.{1,2}/(?:\\.\\./)*(?:${forbiddenLayers.join('|')})(?:/|$)`,
      message: `src/${name} may not import from src/{${forbiddenLayers.join(',')}} (DESIGN.md, "Layers and folders").`,
    });
  }
  return {
    files: [`src/${name}/**/*.{ts,tsx}`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  { files: ['src/renderer/**/*.{ts,tsx}'], languageOptions: { globals: { ...globals.browser } } },
  layer('shared', { packages: ['zod'], layers: [] }),
  layer('core', {
    // zod and dotenv are not in DESIGN.md's table, but core parses every remote response with zod
    // (DESIGN.md, "Sync") and .env files with dotenv (issue 6).
    // @zxcvbn-ts: the password strength estimator, one for the CLI and the window (issue 15).
    packages: ['zod', 'better-sqlite3', 'undici', 'age-encryption', '@node-rs/argon2', 'dotenv', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common'],
    node: true,
    layers: ['shared'],
  }),
  layer('main', { packages: ['electron', 'electron-store'], node: true, layers: ['core', 'shared'] }),
  layer('preload', { packages: ['electron'], layers: ['shared'] }),
  layer('renderer', {
    packages: [
      'react',
      'react-dom',
      '@tanstack/react-query',
      '@tanstack/react-virtual',
      'react-hook-form',
      '@hookform/resolvers',
    ],
    layers: ['shared'],
  }),
  layer('cli', { packages: ['commander'], node: true, layers: ['core', 'shared'] }),
);
