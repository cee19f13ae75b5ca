import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __KEYHOLD_VERSION__: JSON.stringify(pkg.version) },
  test: {
    include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.{ts,tsx}', 'test/security/**/*.test.{ts,tsx}'],
    // Tests derive thousands of keys: lower Keyhold's KDF floor to 1 MiB and 1 pass (src/core/crypto/kdf.ts).
    env: { KEYHOLD_INSECURE_TEST_KDF: '1' },
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine, where
    // many files wait on child processes, sockets and fsync. One more than the cores measured 206 s →
    // 114 s for the whole suite here (docs/benchmarks.md, "npm test").
    maxWorkers: availableParallelism() + 1,
    // `npm run coverage`: the CLI's own code (the engine has its own tests); CI fails under the thresholds.
    coverage: {
      provider: 'v8',
      include: ['src/cli/**/*.ts'],
      // The binary's entry only hands the process to main(), which the tests call directly.
      exclude: ['src/cli/index.ts'],
      thresholds: { lines: 80, statements: 80, functions: 80, branches: 70 },
      reporter: ['text-summary', 'text'],
    },
  },
});
