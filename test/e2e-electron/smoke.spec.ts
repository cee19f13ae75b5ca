import { _electron as electron, expect, test } from '@playwright/test';
import type { ElectronApplication, Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronBinary, NO_ELECTRON } from './electron-binary';

// The packaged shell end to end: the real main process, preload and renderer from out/.
// The vault calls go through window.keyhold exactly as the UI makes them.

const binary = electronBinary();
const root = join(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';

let app: ElectronApplication;
let page: Page;
let dir: string;

test.skip(binary === null, NO_ELECTRON);

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyhold-e2e-electron-'));
  app = await electron.launch({
    executablePath: binary ?? '',
    args: [join(root, 'out/main/index.js')],
    // A throwaway profile: settings land in $XDG_CONFIG_HOME/keyhold on Linux.
    env: { ...process.env, XDG_CONFIG_HOME: dir, ELECTRON_RENDERER_URL: '' },
  });
  page = await app.firstWindow();
});

test.afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('loads the renderer from app:// with no Node in the page', async () => {
  expect(page.url()).toBe('app://keyhold/index.html');
  const exposed = await page.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    keyhold: typeof (globalThis as { keyhold?: unknown }).keyhold,
  }));
  expect(exposed).toEqual({ require: 'undefined', process: 'undefined', keyhold: 'object' });
});

test('creates a vault, locks it and unlocks it again', async () => {
  const call = (name: string, input?: unknown) =>
    page.evaluate(
      ([n, i]) => (globalThis as unknown as { keyhold: Record<string, (x: unknown) => Promise<unknown>> }).keyhold[n as string]!(i),
      [name, input] as const,
    );
  const path = join(dir, 'smoke.keyhold');
  await expect(call('createVault', { path, password: PASSWORD })).resolves.toMatchObject({ ok: true });
  await expect(call('lockVault')).resolves.toMatchObject({ ok: true });
  await expect(call('unlockVault', { path, password: 'not the password!' })).resolves.toMatchObject({
    ok: false,
    error: { code: 'WrongPassword' },
  });
  await expect(call('unlockVault', { path, password: PASSWORD })).resolves.toMatchObject({ ok: true });
});
