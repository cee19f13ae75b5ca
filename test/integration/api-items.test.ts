import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectivityPort } from '../../src/core/api/backend';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { DEFAULT_SETTINGS } from '../../src/shared/settings';
import { KEY, servers } from '../helpers/sync';
import { FAST_KDF, tempDir } from '../helpers/vault';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(...args: Parameters<typeof apiHarness>) {
  const s = await servers();
  cleanups.push(s.close);
  const h = apiHarness(...args);
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  await h.ok('remoteSet', { kind: 'kura', url: s.kura.url, credential: KURA_TEST_API_KEY });
  await h.ok('remoteSet', { kind: 'backside', url: s.backside.url, credential: BACKSIDE_TEST_TOKEN });
  return { h, ...s };
}

const byRef = async (h: ApiHarness, ref: string) => h.ok('profileGet', { ref });

describe('profiles and BYOK keys through the router', () => {
  it('reveals one value (audited) and copies one through the clipboard port without returning it', async () => {
    const { h } = await setup();
    const created = await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'hunter2-secret' }, draft: true });
    expect(created).toMatchObject({ agentId: 'crm', name: 'prod', keys: ['USER', 'PASS'], syncState: 'draft' });

    const detail = await byRef(h, 'crm/prod');
    expect(detail.authData).toEqual({ USER: null, PASS: null });
    expect(detail.revealed).toBe(false);

    expect(await h.ok('profileReveal', { ref: 'crm/prod', key: 'PASS' })).toEqual({ value: 'hunter2-secret' });
    const copy = await h.call('profileCopy', { ref: created.id, key: 'USER' });
    expect(copy).toEqual({ ok: true, value: { clearsAfterSeconds: 30 } });
    expect(JSON.stringify(copy)).not.toContain('ann');
    expect(h.copied).toEqual(['ann']);
    // No token before the first sync: nothing is copied, and the reason says when one comes.
    expect(await h.call('profileTokenCopy', { ref: created.id })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(h.copied).toEqual(['ann']);
    expect(await h.call('profileReveal', { ref: 'crm/prod', key: 'NOPE' })).toMatchObject({
      ok: false,
      error: { code: 'NotFound', field: 'key' },
    });

    const audit = await h.ok('auditList', { limit: 10 });
    expect(audit.filter((e) => e.event === 'secret_revealed').map((e) => e.detail)).toEqual([{ item: 'profile', id: created.id, key: 'PASS' }]);
    expect(audit.filter((e) => e.event === 'secret_copied').map((e) => e.detail)).toEqual([{ item: 'profile', id: created.id, key: 'USER' }]);
    expect(JSON.stringify(audit)).not.toContain('hunter2');

    const key = KEY('0001');
    await h.ok('byokSet', { kind: 'claude-code', apiKey: key, draft: true });
    expect(await h.ok('byokGet', { kind: 'claude-code' })).toMatchObject({ apiKey: null, revealed: false, keyHint: 'sk-ant-…0001' });
    expect(await h.ok('byokReveal', { kind: 'claude-code' })).toEqual({ apiKey: key });
    expect(await h.ok('byokCopy', { kind: 'claude-code' })).toEqual({ clearsAfterSeconds: 30 });
    expect(h.copied.at(-1)).toBe(key);
    expect(await h.ok('byokValidate', { kind: 'claude-code' })).toEqual({ valid: true, accepted: true, message: 'Backside accepted the key.' });
    expect((await h.ok('auditList', { event: 'secret_copied', limit: 10 })).map((e) => e.detail.item)).toEqual(['byok', 'profile']);
  });

  it('edits, keeps history, restores and deletes', async () => {
    const { h } = await setup();
    await h.ok('agentSet', { agentId: 'crm', args: ['USER', 'PASS'] });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' }, draft: true });
    expect(await h.call('profileEdit', { ref: 'crm/prod', patch: { set: { OTHER: 'x' } } })).toMatchObject({
      ok: false,
      error: { code: 'UndeclaredKey' },
    });
    await h.ok('profileEdit', { ref: 'crm/prod', patch: { set: { PASS: 'pw' } } });
    expect((await h.ok('profileHistory', { ref: 'crm/prod' })).map((v) => v.version)).toEqual([2, 1]);
    expect(await h.ok('profileRestore', { ref: 'crm/prod', version: 1 })).toMatchObject({ keys: ['USER'], version: 3 });
    const { id } = await byRef(h, 'crm/prod');
    expect(await h.ok('profileDelete', { ref: 'crm/prod' })).toMatchObject({ id, wasSynced: false });
    expect(await h.ok('profilesList', {})).toEqual([]);
  });
});

describe('sync through the router', () => {
  it('a profile made offline stays pending, then syncNow pushes it once the servers are back', async () => {
    const { h, kura, backside } = await setup();
    await kura.stop();
    await backside.stop();
    const created = await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    expect(created.syncState).toBe('pending');
    await vi.waitFor(async () => {
      const status = await h.ok('syncStatus');
      expect(status.items[0]).toMatchObject({ ref: 'crm/prod', state: 'pending', lastError: expect.stringMatching(/reach/i) });
    });

    await kura.start();
    await backside.start();
    const summary = await h.ok('syncNow');
    expect(summary.pushed.map((r) => r.ref)).toEqual(['crm/prod']);
    expect(summary.pending).toEqual([]);
    const synced = await byRef(h, 'crm/prod');
    expect(synced).toMatchObject({ syncState: 'synced', hasToken: true, lastSyncType: 'create' });
    expect(kura.profile('crm', 'prod')?.auth_data).toEqual({ USER: 'ann' });
    expect((await h.ok('syncStatus')).counts.profile).toEqual({ draft: 0, pending: 0, synced: 1, failed: 0, localOnly: 0 });
  });

  it('the background runner pushes queued items without syncNow, and says so in events', async () => {
    const { h, kura, backside } = await setup();
    const created = await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await h.ok('byokSet', { kind: 'claude-code', apiKey: KEY('0002') });
    await vi.waitFor(async () => {
      expect((await byRef(h, 'crm/prod')).syncState).toBe('synced');
      expect((await h.ok('byokGet', { kind: 'claude-code' })).syncState).toBe('synced');
    });
    expect(kura.profile('crm', 'prod')).toBeDefined();
    expect(backside.state.keys.get('claude-code')).toBe(KEY('0002'));
    expect(h.named('itemChanged')).toContainEqual({ kind: 'profile', id: created.id, state: 'synced' });
    expect(h.named('itemChanged')).toContainEqual(expect.objectContaining({ kind: 'byok', state: 'synced' }));
    expect(h.named('syncProgress').length).toBeGreaterThan(0);
    expect(h.named('syncProgress').every((p) => (p as { done: number; total: number }).done <= (p as { total: number }).total)).toBe(true);

    // An edit is pushed too, as an update that keeps the token.
    const token = kura.profile('crm', 'prod')?.token;
    await h.ok('profileEdit', { ref: 'crm/prod', patch: { set: { USER: 'bob' } } });
    await vi.waitFor(() => expect(kura.profile('crm', 'prod')?.auth_data).toEqual({ USER: 'bob' }));
    expect(kura.profile('crm', 'prod')?.token).toBe(token);
    expect(h.errors).toEqual([]);
  });

  it('a failed push is reported, retried on request, and lock stops the background work', async () => {
    const { h, kura } = await setup();
    kura.faults.next({ kind: 'status', status: 400, body: JSON.stringify({ detail: 'auth_data is not acceptable' }) });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await vi.waitFor(async () => expect((await byRef(h, 'crm/prod')).syncState).toBe('failed'));
    expect((await byRef(h, 'crm/prod')).lastError).toMatch(/auth_data is not acceptable/);
    expect(h.named('itemChanged')).toContainEqual(expect.objectContaining({ state: 'failed' }));

    await h.ok('profileRetry', { ref: 'crm/prod' });
    await vi.waitFor(async () => expect((await byRef(h, 'crm/prod')).syncState).toBe('synced'));

    await h.ok('vaultLock');
    expect(h.named('locked')).toEqual([{ reason: 'user' }]);
    expect(await h.call('syncNow')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
  });

  it('credentials that Kura refuses pause the connection until they change', async () => {
    const { h, kura } = await setup();
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: 'wrong-key' });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await vi.waitFor(async () => expect((await h.ok('remotesList')).find((r) => r.kind === 'kura')?.paused).toBe(true));
    expect((await byRef(h, 'crm/prod')).syncState).toBe('pending');
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    await vi.waitFor(async () => expect((await byRef(h, 'crm/prod')).syncState).toBe('synced'));
  });

  it('the network coming back pushes items that were backing off, without waiting out the backoff', async () => {
    const signals = new EventEmitter();
    const connectivity: ConnectivityPort = {
      on(event, listener) {
        signals.on(event, listener);
        return () => signals.off(event, listener);
      },
    };
    // An hour of backoff: only the online signal can explain a push within this test.
    const { h, kura } = await setup({
      connectivity,
      sync: { backoff: { baseMs: 3_600_000, capMs: 3_600_000 }, random: () => 0.999 },
    });
    await kura.stop();
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await vi.waitFor(async () => expect((await h.ok('syncStatus')).items[0]?.attempts).toBe(1));
    await kura.start();
    signals.emit('offline');
    signals.emit('online');
    await vi.waitFor(async () => expect((await byRef(h, 'crm/prod')).syncState).toBe('synced'));
    expect(h.named('network')).toEqual([{ online: false }, { online: true }]);

    await h.backend.close();
    expect(signals.listenerCount('online') + signals.listenerCount('offline') + signals.listenerCount('resume')).toBe(0);
  });
});

// Runs in a child process: a keep-alive socket to Kura (one push done) and an hour-long retry
// timer (Backside refuses connections) are both live when the script ends, with the vault locked
// or still unlocked; either way the process must be able to exit on its own.
const CHILD = `
const { createBackend } = await import(process.env.BACKEND);
const settings = JSON.parse(process.env.SETTINGS);
const backend = createBackend({
  vaultDir: process.env.VAULT_DIR,
  emit: () => undefined,
  clipboard: { copy: () => ({ clearsAfterSeconds: 30 }) },
  settings: { get: () => settings, update: () => settings },
  confirm: { confirm: async () => true },
  kdf: JSON.parse(process.env.KDF),
  sync: { backoff: { baseMs: 3600000, capMs: 3600000 }, random: () => 0.999 },
});
const h = backend.handlers;
await h.vaultCreate({ password: process.env.PASSWORD, kdf: 'standard' });
await h.remoteSet({ kind: 'kura', url: process.env.KURA_URL, credential: process.env.KURA_KEY });
await h.remoteSet({ kind: 'backside', url: 'http://127.0.0.1:1', credential: 'token' });
await h.profileCreate({ agentId: 'crm', name: 'prod', authData: { USER: 'ann' }, saveSession: false, draft: false });
await h.byokSet({ kind: 'claude-code', provider: 'anthropic', apiKey: process.env.API_KEY, draft: false });
for (;;) {
  const status = await h.syncStatus();
  if (status.counts.profile.synced === 1 && status.items.some((i) => i.kind === 'byok' && i.attempts === 1)) break;
  await new Promise((r) => setTimeout(r, 10));
}
if (process.env.LOCK === '1') backend.lock('user');
console.log('done');
`;

describe('background sync and the process', () => {
  it.each(['1', '0'])('background sync never keeps Node running (locked at the end: %s)', async (lock) => {
    const { kura, close } = await servers();
    cleanups.push(close);
    const t = tempDir();
    cleanups.push(async () => t.cleanup());
    const result = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', CHILD],
        {
          timeout: 15_000,
          env: {
            ...process.env,
            LOCK: lock,
            BACKEND: join(import.meta.dirname, '../../src/core/api/backend.ts'),
            SETTINGS: JSON.stringify(DEFAULT_SETTINGS),
            VAULT_DIR: join(t.dir, 'vault'),
            KDF: JSON.stringify(FAST_KDF),
            PASSWORD: MASTER,
            KURA_URL: kura.url,
            KURA_KEY: KURA_TEST_API_KEY,
            API_KEY: KEY('0009'),
          },
        },
        (error, stdout, stderr) => resolve({ code: child.exitCode, signal: error?.signal ?? null, stdout, stderr }),
      );
    });
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, signal: null, stdout: 'done\n' });
    expect(kura.profile('crm', 'prod')).toBeDefined();
  });
});
