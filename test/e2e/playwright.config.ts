import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) throw new Error(`No Chromium at ${chromium}; install Debian's chromium or set CHROMIUM_PATH.`);

// The harness creates vaults with a 1 MiB Argon2id: lower Keyhold's KDF floor for the workers
// (src/core/crypto/kdf.ts); they inherit this process's environment.
process.env.KEYHOLD_INSECURE_TEST_KDF = '1';

// Run with: npm run build && npx playwright test -c test/e2e
// Drives Debian's Chromium against the built renderer, bound to the real core (DESIGN.md, "Tests").
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: resolve(root, 'test-results/e2e'),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  fullyParallel: false,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    trace: 'off',
  },
});
