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
    // A throwaway profile: settings and the default vault land in $XDG_CONFIG_HOME on Linux.
    env: { ...process.env, XDG_CONFIG_HOME: dir, KEYHOLD_VAULT: '', ELECTRON_RENDERER_URL: '' },
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
    page.evaluate(([n, i]) => (globalThis as unknown as { keyhold: Record<string, (x: unknown) => Promise<unknown>> }).keyhold[n as string]!(i), [
      name,
      input,
    ] as const);
  // XDG_CONFIG_HOME points at the throwaway dir, so the default vault lands in it.
  await expect(call('vaultStatus')).resolves.toMatchObject({ ok: true, value: { exists: false } });
  await expect(call('vaultCreate', { password: PASSWORD })).resolves.toMatchObject({ ok: true, value: { unlocked: true } });
  await expect(call('vaultLock')).resolves.toMatchObject({ ok: true, value: { unlocked: false } });
  await expect(page.getByLabel(/master password/i).first()).toBeVisible();
  await expect(call('vaultUnlock', { password: 'not the password!' })).resolves.toMatchObject({
    ok: false,
    error: { code: 'WrongPassword' },
  });
  await expect(call('vaultUnlock', { password: PASSWORD })).resolves.toMatchObject({ ok: true, value: { unlocked: true } });
});
