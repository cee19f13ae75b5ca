import { defineConfig } from '@playwright/test';
import { electronBinary, NO_ELECTRON } from './electron-binary';

if (electronBinary() === null) console.log(NO_ELECTRON);

// Run with: npm run build && npm run test:e2e-electron (npm test does both)
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 60_000,
  workers: 1,
  reporter: 'list',
});
