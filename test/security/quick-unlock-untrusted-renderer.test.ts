import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeKeychain } from '../fakes/keychain';
import { apiHarness, MASTER, type ApiHarness } from '../integration/api-harness';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  while (harnesses.length) await harnesses.pop()?.cleanup();
});

const DAY = 24 * 60 * 60 * 1000;

function open(now?: () => number): ApiHarness & { file: string } {
  const h = apiHarness({ secretStorage: fakeKeychain().port, ...(now ? { now } : {}) });
  harnesses.push(h);
  return Object.assign(h, { file: join(h.dir, '.vault.quick-unlock') });
}

// The audit's threat: the page is not trusted (a compromised renderer can make any contract call),
// and a tired person leaves the machine with the vault locked by idle, suspend or screen lock.
describe('quick unlock against an untrusted renderer at a locked window', () => {
  it('cannot be turned on while the vault is locked, so the next password unlock stores no key', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');

    // Before: accepted, and the person's next unlock stored the key for the attacker's one-call unlock.
    expect(await h.call('settingsSet', { quickUnlock: true })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(await h.call('settingsSet', { quickUnlock: true, password: MASTER })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(h.settings().quickUnlock).toBe(false);

    await h.ok('vaultUnlock', { password: MASTER });
    expect(existsSync(h.file)).toBe(false);
    await h.ok('vaultLock');
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false });
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false });
  });

  it('cannot be turned on from an unlocked window without the master password', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    expect(await h.call('settingsSet', { quickUnlock: true })).toMatchObject({ ok: false, error: { code: 'BadInput', field: 'password' } });
    expect(await h.call('settingsSet', { quickUnlock: true, password: 'guess' })).toMatchObject({ ok: false, error: { code: 'WrongPassword' } });
    expect(h.settings().quickUnlock).toBe(false);
    expect(existsSync(h.file)).toBe(false);
  });

  it('cannot stretch auto-lock or the clipboard delay while locked; making them shorter still works', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');
    for (const patch of [{ autoLockMinutes: 24 * 60 }, { clipboardSeconds: 600 }, { keyMaxAgeDays: 3650 }, { theme: 'dark' as const, autoLockMinutes: 11 }]) {
      expect(await h.call('settingsSet', patch), JSON.stringify(patch)).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    }
    expect(h.settings()).toMatchObject({ autoLockMinutes: 10, clipboardSeconds: 30, keyMaxAgeDays: 90, theme: 'system' });
    expect(await h.ok('settingsSet', { autoLockMinutes: 1, clipboardSeconds: 5, theme: 'dark' })).toMatchObject({ autoLockMinutes: 1, clipboardSeconds: 5 });
  });

  it('a stored key left for weeks no longer opens the vault with one call', async () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const h = open(() => t);
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('settingsSet', { quickUnlock: true, password: MASTER });
    await h.ok('vaultLock');
    t += 15 * DAY;
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid' } });
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false, quickUnlockAvailable: false });
    expect(existsSync(h.file)).toBe(false);
  });
});
