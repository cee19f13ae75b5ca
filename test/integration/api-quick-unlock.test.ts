import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UserPresencePort } from '../../src/core/api/backend';
import type { SecretStoragePort } from '../../src/core/desktop';
import { Vault } from '../../src/core/vault/vault';
import { fakeKeychain } from '../fakes/keychain';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  while (harnesses.length) await harnesses.pop()?.cleanup();
});

function open(
  storage: SecretStoragePort | undefined,
  settings: { quickUnlock?: boolean } = {},
  more: { now?: () => number; userPresence?: UserPresencePort } = {},
): ApiHarness & { file: string } {
  const h = apiHarness({ ...(storage ? { secretStorage: storage } : {}), settings, ...more });
  harnesses.push(h);
  return Object.assign(h, { file: join(h.dir, '.vault.quick-unlock') });
}

describe('quick unlock', () => {
  it('stores the vault key encrypted by the keychain, unlocks with it, and audits the method', async () => {
    const keychain = fakeKeychain();
    const h = open(keychain.port);
    await h.ok('vaultCreate', { password: MASTER });
    expect(existsSync(h.file)).toBe(false);

    expect(await h.ok('settingsSet', { quickUnlock: true, password: MASTER })).toMatchObject({ quickUnlock: true });
    expect(existsSync(h.file)).toBe(true);
    const stored = readFileSync(h.file);
    expect(stored.toString('latin1')).not.toMatch(/vaultId|key/);
    expect(JSON.stringify(h.settings())).not.toMatch(/key"/);

    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' }, draft: true });
    await h.ok('vaultLock');
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false, quickUnlockAvailable: true });
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true, quickUnlockAvailable: false });
    expect(await h.ok('profileReveal', { ref: 'crm/prod', key: 'USER' })).toEqual({ value: 'ann' });
    expect((await h.ok('auditList', { event: 'unlock_ok' }))[0]?.detail).toEqual({ method: 'quick' });
    expect(await h.ok('auditVerify')).toMatchObject({ ok: true });
  });

  it('is set up by a password unlock while the setting is on, and removed when it is turned off', async () => {
    const keychain = fakeKeychain();
    const h = open(keychain.port, { quickUnlock: true });
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');
    expect(await h.ok('vaultStatus')).toMatchObject({ quickUnlockAvailable: true });
    await h.ok('vaultUnlock', { password: MASTER });
    expect(existsSync(h.file)).toBe(true);

    await h.ok('settingsSet', { quickUnlock: false });
    expect(existsSync(h.file)).toBe(false);
    await h.ok('vaultLock');
    expect(await h.ok('vaultStatus')).toMatchObject({ quickUnlockAvailable: false });
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'BadInput', message: expect.stringMatching(/off/) } });
  });

  it('the stored key is owner-only even where an earlier crash left a temporary file under this process id', async () => {
    const h = open(fakeKeychain().port);
    await h.ok('vaultCreate', { password: MASTER });
    // The old writer reused `<file>.<pid>.tmp`, and a mode only applies when a file is created.
    writeFileSync(`${h.file}.${process.pid}.tmp`, 'left by a crash', { mode: 0o644 });
    await h.ok('settingsSet', { quickUnlock: true, password: MASTER });
    expect(statSync(h.file).mode & 0o777).toBe(0o600);
    await h.ok('vaultLock');
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true });
  });

  it('changing the password removes the stored key', async () => {
    const h = open(fakeKeychain().port, { quickUnlock: true });
    await h.ok('vaultCreate', { password: MASTER });
    expect(existsSync(h.file)).toBe(true);
    await h.ok('vaultChangePassword', { current: MASTER, next: 'a different long password' });
    expect(existsSync(h.file)).toBe(false);
    await h.ok('vaultLock');
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid' } });
  });

  it('a forged or damaged stored key is refused with a clear error, removed, and the password still works', async () => {
    const keychain = fakeKeychain();
    const h = open(keychain.port, { quickUnlock: true });
    const { vaultId } = await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');

    // Well encrypted by the keychain, right vault id, wrong key.
    writeFileSync(h.file, keychain.port.encrypt(JSON.stringify({ v: 2, vaultId, key: randomBytes(32).toString('base64'), madeAt: Date.now() })));
    const forged = await h.call('vaultQuickUnlock');
    expect(forged).toMatchObject({ ok: false, error: { code: 'SessionInvalid', message: expect.stringMatching(/master password/) } });
    expect(existsSync(h.file)).toBe(false);
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false, quickUnlockAvailable: false });

    writeFileSync(h.file, Buffer.from('not something the keychain made'));
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid' } });
    expect(existsSync(h.file)).toBe(false);

    // The forged key never touched the vault: the audit chain is intact after a password unlock.
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('auditVerify')).toMatchObject({ ok: true });
    expect(existsSync(h.file)).toBe(true);
  });

  it('is refused where the keychain is basic_text, and where there is no keychain at all', async () => {
    const keychain = fakeKeychain('basic_text');
    const h = open(keychain.port);
    await h.ok('vaultCreate', { password: MASTER });
    const refused = await h.call('settingsSet', { quickUnlock: true, password: MASTER });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'quickUnlock', message: expect.stringMatching(/no secure keychain/) },
    });
    expect(h.settings().quickUnlock).toBe(false);
    expect(keychain.state.encrypted).toBe(0);

    // The keychain changed under a setting that was already on: nothing is stored, nothing is used.
    const onAlready = open(keychain.port, { quickUnlock: true });
    await onAlready.ok('vaultCreate', { password: MASTER });
    expect(existsSync(onAlready.file)).toBe(false);
    await onAlready.ok('vaultLock');
    expect(await onAlready.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'BadInput' } });

    const none = open(undefined);
    await none.ok('vaultCreate', { password: MASTER });
    expect(await none.call('settingsSet', { quickUnlock: true, password: MASTER })).toMatchObject({ ok: false, error: { field: 'quickUnlock' } });
  });

  it('is turned on only with the right master password, which is checked and not kept', async () => {
    const keychain = fakeKeychain();
    const h = open(keychain.port);
    await h.ok('vaultCreate', { password: MASTER });

    expect(await h.call('settingsSet', { quickUnlock: true })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'password', message: expect.stringMatching(/master password/) },
    });
    expect(await h.call('settingsSet', { quickUnlock: true, password: 'not the password' })).toMatchObject({
      ok: false,
      error: { code: 'WrongPassword' },
    });
    expect(h.settings().quickUnlock).toBe(false);
    expect(existsSync(h.file)).toBe(false);
    expect(keychain.state.encrypted).toBe(0);

    expect(await h.ok('settingsSet', { quickUnlock: true, password: MASTER })).toMatchObject({ quickUnlock: true });
    expect(existsSync(h.file)).toBe(true);
    // Neither the settings nor the router's log hold the password.
    expect(JSON.stringify(h.settings())).not.toContain(MASTER);
    expect(h.settings()).not.toHaveProperty('password');
    expect(JSON.stringify(h.logs)).not.toContain(MASTER);

    // Already on: other changes need no password, and turning it off needs none either.
    expect(await h.ok('settingsSet', { quickUnlock: true, theme: 'dark' })).toMatchObject({ quickUnlock: true, theme: 'dark' });
    expect(await h.ok('settingsSet', { quickUnlock: false })).toMatchObject({ quickUnlock: false });
    expect(existsSync(h.file)).toBe(false);
  });

  it('expires 14 days after the last password unlock; a password unlock renews it', async () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const DAY = 24 * 60 * 60 * 1000;
    const h = open(fakeKeychain().port, { quickUnlock: true }, { now: () => t });
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');

    t += 13 * DAY;
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true });
    await h.ok('vaultLock');
    // A quick unlock does not renew it: the count starts at the last password unlock.
    t += DAY + 1;
    const expired = await h.call('vaultQuickUnlock');
    expect(expired).toMatchObject({ ok: false, error: { code: 'SessionInvalid', message: expect.stringMatching(/expired.*14 days.*master password/) } });
    expect(existsSync(h.file)).toBe(false);
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false, quickUnlockAvailable: false });

    await h.ok('vaultUnlock', { password: MASTER });
    await h.ok('vaultLock');
    t += 14 * DAY;
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true });
  });

  it('refuses a key stored by the clock in the future (the clock was set back) and a key from before expiry was recorded', async () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const keychain = fakeKeychain();
    const h = open(keychain.port, { quickUnlock: true }, { now: () => t });
    const { vaultId } = await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');
    t -= 60 * 60 * 1000;
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid', message: expect.stringMatching(/expired/) } });
    expect(existsSync(h.file)).toBe(false);

    // The format before this change had no time: it is used no more, one password unlock renews it.
    const cli = Vault.open(h.vaultDir);
    await cli.unlock(MASTER);
    const key = cli.cells().exportKey();
    cli.close();
    writeFileSync(h.file, keychain.port.encrypt(JSON.stringify({ v: 1, vaultId, key: key.toString('base64') })));
    key.fill(0);
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid' } });
    expect(existsSync(h.file)).toBe(false);
    await h.ok('vaultUnlock', { password: MASTER });
    expect(existsSync(h.file)).toBe(true);
  });

  it('asks the OS for user presence (Touch ID) first where it is available, and stays locked without it', async () => {
    const asked: string[] = [];
    let answer: boolean | Error = false;
    let available = true;
    const presence: UserPresencePort = {
      available: () => available,
      confirm: async (reason) => {
        asked.push(reason);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    const keychain = fakeKeychain();
    const h = open(keychain.port, { quickUnlock: true }, { userPresence: presence });
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');
    const sealed = keychain.state.encrypted;

    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'Cancelled', message: expect.stringMatching(/not confirmed/) } });
    answer = new Error('Touch ID was cancelled');
    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(asked).toEqual(['unlock your Keyhold vault', 'unlock your Keyhold vault']);
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false, quickUnlockAvailable: true });
    // A refusal is not a stale key: the stored key is kept for the next try.
    expect(existsSync(h.file)).toBe(true);
    expect(keychain.state.encrypted).toBe(sealed);

    answer = true;
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true });
    await h.ok('vaultLock');

    // Where the OS cannot ask (no Touch ID), quick unlock is not blocked by it.
    available = false;
    answer = false;
    expect(await h.ok('vaultQuickUnlock')).toMatchObject({ unlocked: true });
    expect(asked).toHaveLength(3);
  });
});
