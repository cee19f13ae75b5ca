import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeKeychain } from '../fakes/keychain';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER } from '../integration/api-harness';

// Attack (a compromised window: a script in the page that can make every IPC call; it sees what is
// typed into the page, the master password at unlock included):
// - settingsSet, while unlocked, turned auto-lock to a day, the clipboard clear to ten minutes and
//   quick unlock on: the next copy stayed on the clipboard (and in clipboard managers) and the vault
//   open long after the person left, with nothing on screen to say so.
// - vaultChangePassword with the password it saw typed locked the person out of their own vault
//   for good (and dropped quick unlock).
// - mcpWrap (after mcpWrapPreview, which hands it the revision) rewrote an agent tool's config
//   without the person: its MCP servers then start only through Keyhold.
// Now each is asked in main's own dialog, which the page can neither answer nor cover.

const cleanups = useCleanups();

async function unlocked(overrides: Parameters<typeof apiHarness>[0] = {}) {
  const h = apiHarness(overrides);
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  h.confirmations.answer = false;
  return h;
}

describe('a window that loosens what protects the vault', () => {
  it('loosening settings while unlocked asks, naming each change; Cancel keeps them; stricter ones ask nothing', async () => {
    const h = await unlocked({ secretStorage: fakeKeychain().port });
    const loose = { autoLockMinutes: 24 * 60, clipboardSeconds: 600, quickUnlock: true, password: MASTER };
    expect(await h.call('settingsSet', loose)).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(h.settings()).toMatchObject({ autoLockMinutes: 10, clipboardSeconds: 30, quickUnlock: false });
    expect(h.confirmations.asked).toEqual([{ message: 'Loosen how Keyhold protects your vault?', detail: expect.any(String) }]);
    const { detail } = h.confirmations.asked[0] as { detail: string };
    expect(detail).toContain('Lock after 1440 minutes without activity (now 10).');
    expect(detail).toContain('Clear the clipboard after 600 seconds (now 30).');
    expect(detail).toContain('Quick unlock with the system keychain: on.');

    h.confirmations.asked.length = 0;
    expect(await h.ok('settingsSet', { autoLockMinutes: 5, clipboardSeconds: 10, theme: 'dark' })).toMatchObject({ autoLockMinutes: 5, theme: 'dark' });
    expect(h.confirmations.asked).toEqual([]);
    // A wrong password for quick unlock is refused before anything is asked.
    expect(await h.call('settingsSet', { quickUnlock: true, password: 'not the password' })).toMatchObject({ ok: false, error: { code: 'WrongPassword' } });
    expect(h.confirmations.asked).toEqual([]);

    h.confirmations.answer = true;
    expect(await h.ok('settingsSet', { keyMaxAgeDays: 365 })).toMatchObject({ keyMaxAgeDays: 365 });
    expect(h.confirmations.asked.map((q) => q.detail)).toEqual([expect.stringContaining('Flag keys older than 365 days (now 90).')]);
  });

  it('changing the master password asks after the current one is checked; Cancel keeps the old one', async () => {
    const h = await unlocked();
    const next = 'chosen by the page, not by you';
    expect(await h.call('vaultChangePassword', { current: 'a wrong guess', next })).toMatchObject({ ok: false, error: { code: 'WrongPassword' } });
    expect(h.confirmations.asked).toEqual([]);
    expect(await h.call('vaultChangePassword', { current: MASTER, next })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(h.confirmations.asked.map((q) => q.message)).toEqual(['Change the master password?']);
    await h.ok('vaultLock');
    expect(await h.call('vaultUnlock', { password: next })).toMatchObject({ ok: false, error: { code: 'WrongPassword' } });
    expect(await h.ok('vaultUnlock', { password: MASTER })).toMatchObject({ unlocked: true });
  });

  it('wrapping an agent tool’s MCP config asks, naming the file and servers; Cancel leaves it and writes no backup', async () => {
    const home = tempDir('keyhold-sec-wrap-home-');
    cleanups.push(home.cleanup);
    mkdirSync(join(home.dir, '.cursor'), { recursive: true });
    const file = join(home.dir, '.cursor', 'mcp.json');
    const token = lookalike.github();
    const config = `{\n  "mcpServers": {\n    "gh": { "command": "npx", "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${token}" } }\n  }\n}\n`;
    writeFileSync(file, config);
    const w = await unlocked({ scanEnv: { HOME: home.dir } });
    const shown = await w.ok('mcpWrapPreview', { file });
    expect(await w.call('mcpWrap', { file, revision: shown.revision })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(readFileSync(file, 'utf8')).toBe(config);
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
    expect(await w.ok('profilesList', {})).toEqual([]);
    expect(w.confirmations.asked).toEqual([{ message: `Rewrite ${file}?`, detail: expect.stringContaining('gh') }]);
  });
});
