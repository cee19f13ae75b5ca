import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../e2e/playwright.config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// npm run screenshots: every screen, light and dark, at 1280×800, into docs/screenshots/.
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '*.shots.ts',
  outputDir: resolve(root, 'test-results/screenshots'),
  timeout: 180_000,
});
