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
  // The password strength estimator is pure computation (no I/O, no Node or DOM API) and must be
  // one module for the CLI and the window alike, so shared is its home (src/shared/password-strength.ts).
  layer('shared', { packages: ['zod', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common'], layers: [] }),
  layer('core', {
    // zod and dotenv are not in DESIGN.md's table, but core parses every remote response with zod
    // (DESIGN.md, "Sync") and .env files with dotenv (issue 6). The agent-config work (issue 17)
    // edits JSON and TOML with format-preserving libraries, reads .gitignore rules with `ignore`
    // and shows a dry run as a diff (DESIGN.md, "Where the next capabilities live"). YAML configs
    // (Continue's) are read and edited with `yaml`, whose syntax tree keeps each value's place.
    packages: [
      'zod',
      'better-sqlite3',
      'undici',
      'age-encryption',
      '@node-rs/argon2',
      'dotenv',
      'jsonc-parser',
      '@decimalturn/toml-patch',
      'yaml',
      'ignore',
      'diff',
    ],
    node: true,
    layers: ['shared'],
  }),
  layer('main', { packages: ['electron', 'electron-store'], node: true, layers: ['core', 'shared'] }),
  layer('preload', { packages: ['electron'], layers: ['shared'] }),
  layer('renderer', {
    packages: ['react', 'react-dom', '@tanstack/react-query', '@tanstack/react-virtual', 'react-hook-form', '@hookform/resolvers'],
    layers: ['shared'],
  }),
  layer('cli', { packages: ['commander'], node: true, layers: ['core', 'shared'] }),
  {
    // Names are put in people's order by one collator (compareText, src/shared/text.ts):
    // localeCompare looks the locale's rules up on every call.
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/shared/text.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='localeCompare']",
          message: 'Use compareText from src/shared/text.ts: one collator, not a locale lookup per comparison.',
        },
      ],
    },
  },
  {
    // The CLI runs as main(argv, io): its commands reach the process only through src/cli/io.ts,
    // so tests run them in-process with their own streams, environment and exit code.
    files: ['src/cli/**/*.ts'],
    // The two process entries (the binary, and the build step that writes its code cache) and io.ts itself.
    ignores: ['src/cli/index.ts', 'src/cli/code-cache-build.ts', 'src/cli/io.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['env', 'stdin', 'stdout', 'stderr', 'exitCode', 'exit', 'argv', 'kill'].map((property) => ({
          object: 'process',
          property,
          message: "Use the helpers of src/cli/io.ts (out, err, env, envValue, setExitCode, currentIo) so the command runs against main's io.",
        })),
      ],
    },
  },
);
