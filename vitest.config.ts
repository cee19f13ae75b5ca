import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.{ts,tsx}', 'test/security/**/*.test.{ts,tsx}'],
    // Tests derive thousands of keys: lower Keyhold's KDF floor to 1 MiB and 1 pass (src/core/crypto/kdf.ts).
    env: { KEYHOLD_INSECURE_TEST_KDF: '1' },
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
