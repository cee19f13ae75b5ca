import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStoragePort } from '../../src/core/desktop';
import { fakeKeychain } from '../fakes/keychain';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  while (harnesses.length) await harnesses.pop()?.cleanup();
});

function open(storage: SecretStoragePort | undefined, settings: { quickUnlock?: boolean } = {}): ApiHarness & { file: string } {
  const h = apiHarness({ ...(storage ? { secretStorage: storage } : {}), settings });
  harnesses.push(h);
  return Object.assign(h, { file: join(h.dir, '.vault.quick-unlock') });
}

describe('quick unlock', () => {
  it('stores the vault key encrypted by the keychain, unlocks with it, and audits the method', async () => {
    const keychain = fakeKeychain();
    const h = open(keychain.port);
    await h.ok('vaultCreate', { password: MASTER });
    expect(existsSync(h.file)).toBe(false);

    expect(await h.ok('settingsSet', { quickUnlock: true })).toMatchObject({ quickUnlock: true });
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
    await h.ok('settingsSet', { quickUnlock: true });
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
    writeFileSync(h.file, keychain.port.encrypt(JSON.stringify({ v: 1, vaultId, key: randomBytes(32).toString('base64') })));
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
    const refused = await h.call('settingsSet', { quickUnlock: true });
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
    expect(await none.call('settingsSet', { quickUnlock: true })).toMatchObject({ ok: false, error: { field: 'quickUnlock' } });
  });
});
