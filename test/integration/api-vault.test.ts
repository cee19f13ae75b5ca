import { afterEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/core/api/backend';
import { createRouter } from '../../src/core/ipc/router';
import { contract, type KeyholdContract } from '../../src/shared/contract';
import { DEFAULT_SETTINGS } from '../../src/shared/settings';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  while (harnesses.length) await harnesses.pop()?.cleanup();
});

function open(...args: Parameters<typeof apiHarness>): ApiHarness {
  const h = apiHarness(...args);
  harnesses.push(h);
  return h;
}

const ID = '00000000-0000-4000-8000-000000000000';
const HANDLE = '0'.repeat(32);
const KEY = `sk-ant-api03-${'k'.repeat(30)}0001`;

// One valid input per call that needs the vault unlocked. Typed against the contract, so a new
// call without an entry here fails to compile, and the test below fails if one is missing.
const LOCKED_CALLS: { [K in keyof KeyholdContract]?: unknown } = {
  vaultChangePassword: { current: MASTER, next: 'another long password' },
  profilesList: {},
  profileGet: { ref: ID },
  profileReveal: { ref: ID, key: 'A' },
  profileCopy: { ref: ID, key: 'A' },
  profileCreate: { agentId: 'crm', name: 'prod', authData: { A: '1' } },
  profileEdit: { ref: ID, patch: { set: { A: '2' } } },
  profileDelete: { ref: ID },
  profileHistory: { ref: ID },
  profileRestore: { ref: ID, version: 1 },
  profileReady: { ref: ID },
  profileRetry: { ref: ID },
  profileRecreate: { ref: ID },
  byokList: undefined,
  byokGet: { kind: 'claude-code' },
  byokReveal: { kind: 'claude-code' },
  byokCopy: { kind: 'claude-code' },
  byokSet: { kind: 'claude-code', apiKey: KEY },
  byokValidate: { kind: 'claude-code' },
  byokCheckKey: { apiKey: KEY },
  byokDelete: { kind: 'claude-code' },
  byokHistory: { kind: 'claude-code' },
  profileTokenReveal: { ref: ID },
  profileTokenCopy: { ref: ID },
  trashList: undefined,
  trashRestore: { id: ID },
  trashPurge: { id: ID },
  agentSetTokenEnv: { agentId: 'crm', tokenEnv: 'CRM_TOKEN' },
  byokRestore: { kind: 'claude-code', version: 1 },
  byokReady: { kind: 'claude-code' },
  byokRetry: { kind: 'claude-code' },
  remotesList: undefined,
  remoteSet: { kind: 'kura', url: 'https://kura.example', credential: 'k' },
  remoteDelete: { kind: 'kura' },
  remoteTest: { kind: 'kura' },
  agentsList: undefined,
  agentSet: { agentId: 'crm', args: ['A'] },
  agentDelete: { agentId: 'crm' },
  syncNow: undefined,
  syncStatus: undefined,
  auditList: {},
  auditVerify: undefined,
  healthReport: undefined,
  trustedFilesList: undefined,
  sessionsList: undefined,
  sessionsEnd: undefined,
  trustedFileRevoke: { path: '/home/ann/code/app/keyhold.toml' },
  agentScan: undefined,
  agentImport: undefined,
  mcpWrapPreview: { file: '/nowhere/mcp.json' },
  mcpWrap: { file: '/nowhere/mcp.json', revision: '0'.repeat(64) },
  identityGet: undefined,
  identityCopy: { part: 'recipient' },
  contactsList: undefined,
  contactAdd: { name: 'ana', recipient: `age1${'q'.repeat(58)}` },
  contactDelete: { name: 'ana' },
  shareExport: { select: 'all', target: { passphrase: 'a long enough passphrase' } },
  shareImportChoose: undefined,
  shareImportOpen: { file: HANDLE },
  shareImportPreview: { handle: HANDLE },
  shareImportApply: { handle: HANDLE },
  formDraftKeep: { key: 'profile-form-new', values: null },
  formDraftDiscard: undefined,
  formDraftTake: undefined,
};
// The calls that work without an unlocked vault.
const OPEN_CALLS = [
  'vaultStatus',
  'vaultCreate',
  'vaultUnlock',
  'vaultQuickUnlock',
  'vaultLock',
  'settingsGet',
  'settingsSet',
  'passwordStrength',
  'dotenvRead',
];

describe('vault lifecycle through the router', () => {
  it('first run: no vault, create, lock, wrong password, unlock', async () => {
    const h = open();
    expect(await h.ok('vaultStatus')).toEqual({
      exists: false,
      unlocked: false,
      dir: h.vaultDir,
      vaultId: null,
      createdAt: null,
      kdf: null,
      quickUnlockAvailable: false,
    });
    expect(await h.call('profilesList', {})).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });

    const created = await h.ok('vaultCreate', { password: MASTER });
    expect(created).toMatchObject({ exists: true, unlocked: true, dir: h.vaultDir, kdf: 'custom' });
    expect(created.vaultId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await h.call('vaultCreate', { password: MASTER })).toMatchObject({ ok: false, error: { code: 'VaultExists' } });
    expect(await h.ok('profilesList', {})).toEqual([]);

    expect(await h.ok('vaultLock')).toMatchObject({ exists: true, unlocked: false, vaultId: created.vaultId });
    expect(h.named('locked')).toEqual([{ reason: 'user' }]);

    const wrong = await h.call('vaultUnlock', { password: 'not the password' });
    expect(wrong).toEqual({ ok: false, error: { code: 'WrongPassword', message: 'Wrong master password.' } });
    expect(await h.ok('vaultUnlock', { password: MASTER })).toMatchObject({ unlocked: true });
    const audit = await h.ok('auditList', {});
    expect(audit.map((e) => e.event)).toEqual(['unlock_ok', 'unlock_failed', 'vault_created']);
    expect(await h.ok('auditVerify')).toMatchObject({ ok: true });
  });

  it('every secret call answers VaultLocked while locked, and every call has a handler', async () => {
    const h = open();
    expect(Object.keys(contract).sort()).toEqual([...Object.keys(LOCKED_CALLS), ...OPEN_CALLS].sort());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('vaultLock');
    for (const [name, input] of Object.entries(LOCKED_CALLS)) {
      const reply = await h.call(name as keyof KeyholdContract, input as never);
      expect(reply, name).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    }
    expect(await h.ok('settingsGet')).toEqual(DEFAULT_SETTINGS);
    expect(await h.ok('settingsSet', { keyMaxAgeDays: 30 })).toMatchObject({ keyMaxAgeDays: 30 });
    // Strength is estimated before any vault exists (the create form), and never needs one.
    expect(await h.ok('passwordStrength', { password: 'password123' })).toMatchObject({ strongEnough: false });
  });

  it('lock from the shell (idle, suspend) zeroes the session and says why, after a warning while unlocked; a locked vault is not locked again', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    h.backend.lockSoon(60);
    expect(h.named('lockSoon')).toEqual([{ seconds: 60 }]);
    h.backend.lock('idle');
    expect(h.clipboard.cleared).toBe(1);
    // Once locked, there is nothing left to warn about.
    h.backend.lockSoon(60);
    expect(h.named('lockSoon')).toHaveLength(1);
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false });
    h.backend.lock('suspend');
    expect(h.named('locked')).toEqual([{ reason: 'idle' }]);
    expect(await h.call('syncStatus')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
  });

  it('changes the password: the old one stops working, the new one unlocks', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    const next = 'a brand new master password';
    expect(await h.call('vaultChangePassword', { current: 'wrong password!', next })).toMatchObject({
      ok: false,
      error: { code: 'WrongPassword' },
    });
    expect(await h.call('vaultChangePassword', { current: MASTER, next: 'short' })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'next' },
    });
    await h.ok('vaultChangePassword', { current: MASTER, next });
    await h.ok('vaultLock');
    expect(await h.call('vaultUnlock', { password: MASTER })).toMatchObject({ ok: false, error: { code: 'WrongPassword' } });
    expect(await h.ok('vaultUnlock', { password: next })).toMatchObject({ unlocked: true });
  });

  it('names the KDF preset a vault was made with', async () => {
    // No test override: the real "standard" parameters (64 MiB), so this is the one slow unlock here.
    const t = tempDir();
    const backend = createBackend({
      vaultDir: `${t.dir}/vault`,
      emit: () => undefined,
      clipboard: { copy: () => ({ clearsAfterSeconds: 30 }) },
      settings: { get: () => DEFAULT_SETTINGS, update: () => DEFAULT_SETTINGS },
    });
    try {
      const router = createRouter(contract, backend.handlers);
      expect(await router.dispatch('vaultCreate', { password: MASTER, kdf: 'standard' })).toMatchObject({
        ok: true,
        value: { kdf: 'standard' },
      });
    } finally {
      await backend.close();
      t.cleanup();
    }
  });

  it('a failure that is not a KeyholdError reaches the page as a generic Internal error, without its text', async () => {
    const secret = 'sk-ant-api03-leaked-in-an-error-message-0000';
    const broken = open({
      settingsStore: {
        get: () => DEFAULT_SETTINGS,
        update: () => {
          throw new TypeError(`cannot save ${secret}`);
        },
      },
    });
    const reply = await broken.call('settingsSet', { theme: 'dark' });
    expect(reply).toEqual({ ok: false, error: { code: 'Internal', message: 'Something went wrong inside Keyhold. Nothing was changed.' } });
    expect(JSON.stringify(reply)).not.toContain(secret);
    expect(broken.logs).toEqual([{ kind: 'unexpected-error', call: 'settingsSet', error: 'TypeError' }]);
  });

  it('rejects bad input before any handler runs', async () => {
    const h = open();
    await h.ok('vaultCreate', { password: MASTER });
    expect(await h.call('profileCreate', { agentId: 'crm', name: ' padded ', authData: {} })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'name' },
    });
    expect(await h.call('settingsSet', { keyMaxAgeDays: 0 })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(h.settings().keyMaxAgeDays).toBe(DEFAULT_SETTINGS.keyMaxAgeDays);
  });
});
