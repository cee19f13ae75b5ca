import { describe, expect, it } from 'vitest';
import { syncStatus } from '../../src/core/sync/status';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { connect, expectConverged, fastEngine, KEY, servers } from '../helpers/sync';
import { Vault } from '../../src/core/vault/vault';
import { newVault, PASSWORD } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

const cleanups = useCleanups();

async function setup(opts: { agents?: Record<string, string[]> } = {}) {
  const v = await newVault();
  cleanups.push(v.cleanup);
  const s = await servers(opts);
  cleanups.push(s.close);
  connect(v.vault, s);
  const engine = fastEngine(v.vault);
  cleanups.push(() => engine.close());
  return { ...v, ...s, engine };
}

describe('sync engine against the fake Kura and Backside', () => {
  it('offline drafting: items made while the servers are down reach them once they are back', async () => {
    const { vault, kura, backside, engine } = await setup();
    await kura.stop();
    await backside.stop();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'pw' }, saveSession: true });
    vault.profiles.create({ agentId: 'crm', name: 'staging', authData: { USER: 'bob' } });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0001') });

    // The timeout bounds the whole run, requests included: time for refused connections to be recorded.
    const offline = await engine.syncAll({ timeoutMs: 1_000 });
    expect(offline.pushed).toEqual([]);
    expect(offline.pending.map((p) => p.ref).sort()).toEqual(['claude-code', 'crm/prod', 'crm/staging']);
    expect(offline.pending[0]?.reason).toMatch(/could not (reach|connect)|refused|network/i);
    const status = syncStatus(vault);
    expect(status.counts.profile.pending).toBe(2);
    expect(status.items.every((i) => i.attempts >= 1)).toBe(true);

    await kura.start();
    await backside.start();
    const online = await engine.syncAll({ timeoutMs: 5_000 });
    expect(online.pushed, JSON.stringify([online, vault.db.prepare('SELECT * FROM outbox').all(), vault.remotes.list(), Date.now()])).toHaveLength(3);
    expect(online.failed).toEqual([]);
    expectConverged(vault, { kura, backside });
    const prod = vault.profiles.get('crm/prod');
    expect(prod).toMatchObject({ hasToken: true, lastSyncType: 'create', syncState: 'synced', lastError: null });
    expect(vault.byok.get('claude-code').remote).toMatchObject({ agent_kind: 'claude-code', byok_status: expect.any(String) });
  });

  it("the listing after a pass is what the file says: each outcome keeps the profile's times and version", async () => {
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const v = await newVault({ now: () => clock });
    cleanups.push(v.cleanup);
    const s = await servers();
    cleanups.push(s.close);
    connect(v.vault, s);
    const engine = fastEngine(v.vault, { now: () => clock });
    cleanups.push(() => engine.close());
    v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'pw' }, saveSession: true });
    v.vault.profiles.create({ agentId: 'crm', name: 'staging', authData: { USER: 'bob' } });
    clock += 60_000;
    v.vault.profiles.edit('crm/staging', { set: { TOKEN: 'x' } });
    clock += 60_000;
    await s.kura.stop();
    expect((await engine.syncAll({ timeoutMs: 500 })).pushed).toEqual([]);
    await s.kura.start();
    clock += 60_000;
    expect((await engine.syncAll({ timeoutMs: 5_000 })).pushed).toHaveLength(2);

    const listed = v.vault.profiles.list();
    expect(listed.map((p) => [p.name, p.createdAt, p.updatedAt, p.version, p.syncState, p.hasToken, p.lastSyncType])).toEqual([
      ['prod', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, 'synced', true, 'create'],
      ['staging', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', 2, 'synced', true, 'create'],
    ]);
    // Search reads the same text after the outcomes as before them, and sees a later edit's key.
    expect(v.vault.profiles.list({ search: 'CRM' }).map((p) => p.name)).toEqual(['prod', 'staging']);
    expect(v.vault.profiles.list({ search: 'token' }).map((p) => p.name)).toEqual(['staging']);
    v.vault.profiles.edit('crm/prod', { set: { OTP_SEED: 'y' } });
    expect(v.vault.profiles.list({ search: 'otp_seed' }).map((p) => p.name)).toEqual(['prod']);
    // Another connection builds its listing from the rows alone: the same summaries, field for field.
    const other = Vault.open(v.dir);
    cleanups.push(() => other.close());
    await other.unlock(PASSWORD);
    expect(other.profiles.list()).toEqual(v.vault.profiles.list());
  });

  it('drafts are never pushed until made ready', async () => {
    const { vault, kura, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'draft', authData: { A: '1' }, draft: true });
    vault.byok.set({ kind: 'researcher', apiKey: KEY('0002'), draft: true });
    expect((await engine.syncAll()).pushed).toEqual([]);
    expect(kura.requests).toHaveLength(0);
    vault.profiles.ready('crm/draft');
    vault.byok.ready('researcher');
    expect((await engine.syncAll()).pushed).toHaveLength(2);
    expect(kura.profile('crm', 'draft')?.auth_data).toEqual({ A: '1' });
  });

  it('an update keeps the token; an edit during a push is pushed again after it', async () => {
    const { vault, kura, backside, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { A: '1' } });
    await engine.syncAll();
    const token = vault.profiles.load(vault.profiles.resolve('crm/p').id).remote?.authToken;

    kura.faults.next({ kind: 'slow', delayMs: 150 });
    vault.profiles.edit('crm/p', { set: { A: '2' } });
    const pass = engine.pass();
    await new Promise((r) => setTimeout(r, 40));
    vault.profiles.edit('crm/p', { set: { A: '3' } });
    await pass;
    expect(vault.profiles.get('crm/p').syncState).toBe('pending');
    await engine.syncAll();
    expect(kura.profile('crm', 'p')?.auth_data).toEqual({ A: '3' });
    expect(vault.profiles.get('crm/p')).toMatchObject({ lastSyncType: 'update', syncState: 'synced' });
    expect(vault.profiles.load(vault.profiles.resolve('crm/p').id).remote?.authToken).toBe(token);
    expectConverged(vault, { kura, backside });
  });

  it('records every outcome when slow answers straddle a batch commit', async () => {
    const { vault, kura, backside, engine } = await setup();
    kura.faults.next({ kind: 'slow', delayMs: 40 }, 3).next({ kind: 'slow', delayMs: 80 }, 3);
    for (let i = 0; i < 6; i++) vault.profiles.create({ agentId: 'crm', name: `s${i}`, authData: { A: String(i) } });
    const results = await engine.pass();
    expect(results.filter((r) => r.outcome === 'pushed')).toHaveLength(6);
    expectConverged(vault, { kura, backside });
  });

  it("tells the user when a create replaced somebody else's remote profile, but not for its own lost answer", async () => {
    const { vault, kura, engine } = await setup();
    // Someone else already has crm/shared on Kura.
    await fetch(`${kura.url}/api/upsert_agent_auth_profile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: 'crm', api_key: KURA_TEST_API_KEY, auth_data: {}, name: 'shared', should_save_session: false }),
    });
    vault.profiles.create({ agentId: 'crm', name: 'shared', authData: { A: '1' } });
    const summary = await engine.syncAll();
    expect(summary.replaced.map((r) => r.ref)).toEqual(['crm/shared']);
    expect(summary.replaced[0]?.message).toMatch(/replaced and its old token no longer works/);
    expect(vault.profiles.get('crm/shared').lastSyncType).toBe('replace');
    expect(vault.audit.list({ event: 'sync_result' })[0]?.detail).toMatchObject({ result: 'replaced-existing-remote' });

    // Our own create whose answer is lost: the retry is answered "replace", which is ours.
    kura.faults.next({ kind: 'resetAfter' });
    vault.profiles.create({ agentId: 'crm', name: 'mine', authData: { A: '1' } });
    const again = await engine.syncAll();
    expect(again.replaced).toEqual([]);
    expect(vault.profiles.get('crm/mine')).toMatchObject({ lastSyncType: 'create', syncState: 'synced' });
    expect(kura.requests.filter((r) => (r.body as { name?: string }).name === 'mine')).toHaveLength(2);
  });

  it('a 404 on update fails the item as "remote profile missing"; re-create makes a new remote profile', async () => {
    const { vault, kura, backside, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'gone', authData: { A: '1' } });
    await engine.syncAll();
    const oldToken = vault.profiles.load(vault.profiles.resolve('crm/gone').id).remote?.authToken as string;
    kura.state.profiles.delete(oldToken);
    vault.profiles.edit('crm/gone', { set: { A: '2' } });
    const summary = await engine.syncAll();
    expect(summary.failed.map((f) => f.ref)).toEqual(['crm/gone']);
    expect(vault.profiles.get('crm/gone')).toMatchObject({ syncState: 'failed', lastError: expect.stringMatching(/^Remote profile missing/) });
    expect(() => vault.profiles.retry('crm/gone')).toThrow(/re-create/);

    vault.profiles.recreate('crm/gone');
    await engine.syncAll();
    const newToken = vault.profiles.load(vault.profiles.resolve('crm/gone').id).remote?.authToken;
    expect(newToken).not.toBe(oldToken);
    expect(vault.profiles.get('crm/gone')).toMatchObject({ syncState: 'synced', lastSyncType: 'create' });
    expectConverged(vault, { kura, backside });
  });

  it('rejected credentials pause the connection until they change', async () => {
    const { vault, kura, engine } = await setup();
    vault.remotes.set({ kind: 'kura', url: kura.url, credential: 'wrong-key-wrong-key' });
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { A: '1' } });
    const first = await engine.syncAll();
    expect(first.pending.map((p) => p.ref)).toEqual(['crm/p']);
    expect(vault.remotes.list().find((r) => r.kind === 'kura')).toMatchObject({ paused: true, pausedReason: 'credentials rejected (HTTP 401)' });
    const requests = kura.requests.length;
    await engine.syncAll();
    expect(kura.requests.length).toBe(requests); // paused: nothing sent
    expect(syncStatus(vault).items[0]?.lastError).toMatch(/paused/);

    vault.remotes.set({ kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    expect((await engine.syncAll()).pushed.map((p) => p.ref)).toEqual(['crm/p']);
  });

  it("rejected input fails the item with the server's reason and sends it no more", async () => {
    const { vault, kura, backside, engine } = await setup({ agents: { crm: ['USER'] } });
    vault.profiles.create({ agentId: 'crm', name: 'bad', authData: { USER: 'u', NOT_DECLARED: 'x' } });
    backside.state.denyKeys.add(KEY('dead'));
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('dead') });
    vault.byok.set({ kind: 'no-such-kind', apiKey: KEY('0003') });
    const summary = await engine.syncAll();
    expect(summary.failed.map((f) => f.ref).sort()).toEqual(['claude-code', 'crm/bad', 'no-such-kind']);
    expect(vault.profiles.get('crm/bad').lastError).toMatch(/NOT_DECLARED/);
    expect(vault.byok.get('claude-code').lastError).toMatch(/provider rejected/i);
    expect(vault.byok.get('no-such-kind').lastError).toMatch(/does not know this agent kind/);
    const sent = kura.requests.length;
    await engine.syncAll();
    expect(kura.requests.length).toBe(sent);
    // Failed items never leak the secret in their reason.
    expect(JSON.stringify(syncStatus(vault))).not.toContain(KEY('dead'));
  });

  it('retries every transient fault class and converges', async () => {
    const { vault, kura, backside } = await setup();
    const engine = fastEngine(vault, { http: { connectTimeoutMs: 500, headersTimeoutMs: 300, bodyTimeoutMs: 300 } });
    cleanups.push(() => engine.close());
    kura.faults
      .next({ kind: 'status', status: 500 })
      .next({ kind: 'status', status: 503, retryAfter: 0 })
      .next({ kind: 'status', status: 429, retryAfter: new Date(Date.now() - 1000).toUTCString() })
      .next({ kind: 'status', status: 408 })
      .next({ kind: 'resetBefore' })
      .next({ kind: 'slow', delayMs: 600 });
    backside.faults.next({ kind: 'status', status: 502 }).next({ kind: 'slowBody', delayMs: 600 });
    vault.profiles.create({ agentId: 'crm', name: 'flaky', authData: { A: '1' } });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0004') });
    const summary = await engine.syncAll({ timeoutMs: 20_000 });
    expect(summary.failed).toEqual([]);
    expect(summary.pushed).toHaveLength(2);
    expect(kura.requests.filter((r) => r.fault).map((r) => r.fault)).toEqual(['status', 'status', 'status', 'status', 'resetBefore', 'slow']);
    expectConverged(vault, { kura, backside });
  });

  it('a 2xx with an unusable body keeps the item pending with backoff and a reason naming the field, then it goes through', async () => {
    const { vault, kura, backside, engine } = await setup();
    kura.faults.next({ kind: 'malformed' });
    backside.faults.next({ kind: 'malformed', body: JSON.stringify({ agent_kind: 'claude-code', byok_status: 'active', guardrails: null }) });
    vault.profiles.create({ agentId: 'crm', name: 'm', authData: { A: '1' } });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0005') });
    const first = await engine.pass();
    expect(first.map((r) => [r.ref, r.outcome, r.state]).sort()).toEqual([
      ['claude-code', 'retry', 'pending'],
      ['crm/m', 'retry', 'pending'],
    ]);
    expect(vault.profiles.get('crm/m')).toMatchObject({ syncState: 'pending', lastError: 'Kura sent an answer that is not JSON.' });
    expect(vault.byok.get('claude-code')).toMatchObject({ syncState: 'pending', lastError: expect.stringMatching(/does not understand \(created_at: /) });
    const queued = syncStatus(vault).items;
    expect(queued.every((i) => i.attempts === 1)).toBe(true);
    const summary = await engine.syncAll();
    expect(summary.failed).toEqual([]);
    expectConverged(vault, { kura, backside });
  });

  it('an item with no connection stays pending with a clear reason', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const engine = fastEngine(v.vault);
    v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: {} });
    const summary = await engine.syncAll();
    expect(summary.pending).toMatchObject([{ ref: 'crm/p', reason: expect.stringMatching(/No Kura connection yet/) }]);
    expect(v.vault.profiles.get('crm/p')).toMatchObject({ syncState: 'pending', lastError: expect.stringMatching(/No Kura connection/) });
  });

  it('refuses plain http to a non-loopback host when the connection is set', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    expect(() => v.vault.remotes.set({ kind: 'kura', url: 'http://kura.example.com', credential: 'k' })).toThrow(
      expect.objectContaining({ code: 'RemoteInsecure' }),
    );
    expect(v.vault.remotes.list()).toEqual([]);
    expect(v.vault.remotes.set({ kind: 'kura', url: 'http://127.0.0.1:9/', credential: 'k' }).url).toBe('http://127.0.0.1:9');
  });
});
