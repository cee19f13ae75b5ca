import { describe, expect, it } from 'vitest';
import { healthReport } from '../../src/core/health';
import { syncStatus } from '../../src/core/sync/status';
import type { Vault } from '../../src/core/vault/vault';
import { BACKSIDE_TEST_TOKEN, startFakeBackside } from '../fakes/backside';
import { KURA_TEST_API_KEY, startFakeKura } from '../fakes/kura';
import { useCleanups } from '../helpers/cleanup';
import { fastEngine, KEY } from '../helpers/sync';
import { newVault } from '../helpers/vault';

// Sync as the seeds say it, against fakes as strict as the seeds (test/fakes/kura.ts, backside.ts).

const cleanups = useCleanups();
const OPENAI_KEY = `sk-proj-${'o'.repeat(40)}`;

async function setup(backsideOpts: Parameters<typeof startFakeBackside>[0] = {}) {
  const v = await newVault();
  cleanups.push(v.cleanup);
  const kura = await startFakeKura({ agents: { crm: ['USER', 'PASS'], billing: ['USER'] } });
  const backside = await startFakeBackside(backsideOpts);
  cleanups.push(() => Promise.all([kura.close(), backside.close()]));
  v.vault.remotes.set({ kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
  v.vault.remotes.set({ kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
  const engine = fastEngine(v.vault);
  cleanups.push(() => engine.close());
  return { vault: v.vault, kura, backside, engine };
}

const kuraRemote = (vault: Vault) => vault.remotes.list().find((r) => r.kind === 'kura');
const backsideRemote = (vault: Vault) => vault.remotes.list().find((r) => r.kind === 'backside');

/** Makes Kura bind the token of a synced profile to another agent (as if it had been moved there). */
function bindElsewhere(vault: Vault, kura: Awaited<ReturnType<typeof startFakeKura>>, ref: string): void {
  const token = vault.profiles.load(vault.profiles.resolve(ref).id).remote?.authToken as string;
  const remote = kura.state.profiles.get(token);
  if (!remote) throw new Error('no remote profile');
  remote.agent_id = 'billing';
}

describe('per-item failures and connection failures', () => {
  it("a 403 on one profile fails that profile with Kura's reason; the others go through and the connection stays open", async () => {
    const { vault, kura, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'bound', authData: { USER: 'a' } });
    vault.profiles.create({ agentId: 'crm', name: 'fine', authData: { USER: 'b' } });
    await engine.syncAll();
    bindElsewhere(vault, kura, 'crm/bound');
    vault.profiles.edit('crm/bound', { set: { USER: 'a2' } });
    vault.profiles.edit('crm/fine', { set: { USER: 'b2' } });

    const summary = await engine.syncAll();
    expect(summary.pushed.map((r) => r.ref)).toEqual(['crm/fine']);
    expect(summary.failed).toMatchObject([
      { ref: 'crm/bound', message: 'Kura refused this profile (HTTP 403): Auth token is bound to another agent. Re-create it to get a token for this agent.' },
    ]);
    expect(vault.profiles.get('crm/bound')).toMatchObject({
      syncState: 'failed',
      lastError: 'Kura refused this profile (HTTP 403): Auth token is bound to another agent. Re-create it to get a token for this agent.',
    });
    expect(kura.profile('crm', 'fine')?.auth_data).toEqual({ USER: 'b2' });
    expect(kuraRemote(vault)).toMatchObject({ paused: false });

    // The way out is a new remote profile for this agent, with its own token.
    const before = vault.profiles.load(vault.profiles.resolve('crm/bound').id).remote?.authToken;
    vault.profiles.recreate('crm/bound');
    expect((await engine.syncAll()).pushed.map((r) => r.ref)).toEqual(['crm/bound']);
    const after = vault.profiles.load(vault.profiles.resolve('crm/bound').id).remote?.authToken;
    expect(after).not.toBe(before);
    expect(kura.profile('crm', 'bound')).toMatchObject({ token: after, auth_data: { USER: 'a2' } });
  });

  it("a lone 403 on an update is that profile's, not the key's", async () => {
    const { vault, kura, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'bound', authData: { USER: 'a' } });
    await engine.syncAll();
    bindElsewhere(vault, kura, 'crm/bound');
    vault.profiles.edit('crm/bound', { set: { USER: 'a2' } });
    const summary = await engine.syncAll();
    expect(summary.failed.map((r) => r.ref)).toEqual(['crm/bound']);
    expect(kuraRemote(vault)).toMatchObject({ paused: false });
  });

  it('a 403 on every request of a run is the API key: the connection pauses and the items wait', async () => {
    const { vault, kura, engine } = await setup();
    kura.faults.next({ kind: 'status', status: 403, body: JSON.stringify({ detail: 'API key disabled' }) }, 2);
    vault.profiles.create({ agentId: 'crm', name: 'one', authData: { USER: 'a' } });
    vault.profiles.create({ agentId: 'crm', name: 'two', authData: { USER: 'b' } });
    const summary = await engine.syncAll();
    expect(summary.failed).toEqual([]);
    expect(summary.pending.map((p) => p.ref).sort()).toEqual(['crm/one', 'crm/two']);
    expect(kuraRemote(vault)).toMatchObject({ paused: true, pausedReason: 'credentials rejected (HTTP 403)' });
    expect(vault.profiles.get('crm/one')).toMatchObject({
      syncState: 'pending',
      lastError: 'Kura refused every request of this sync (HTTP 403): API key disabled',
    });
    const sent = kura.requests.length;
    await engine.syncAll();
    expect(kura.requests.length).toBe(sent);
  });

  it('one 403 to a create (no token to blame) is the API key too', async () => {
    const { vault, kura, engine } = await setup();
    kura.faults.next({ kind: 'status', status: 403 });
    vault.profiles.create({ agentId: 'crm', name: 'new', authData: { USER: 'a' } });
    await engine.syncAll();
    expect(kuraRemote(vault)).toMatchObject({ paused: true });
    expect(vault.profiles.get('crm/new').syncState).toBe('pending');
  });

  it('a 401 pauses at once', async () => {
    const { vault, engine } = await setup();
    vault.remotes.set({ kind: 'kura', url: vault.remotes.connection('kura')?.url as string, credential: 'kura-wrong-key-000' });
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { USER: 'a' } });
    await engine.syncAll();
    expect(kuraRemote(vault)).toMatchObject({ paused: true, pausedReason: 'credentials rejected (HTTP 401)' });
  });

  it('strict Kura: undeclared keys (422), unknown agent (404), unknown token (404) fail only their profile', async () => {
    const { vault, kura, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'gone', authData: { USER: 'a' } });
    await engine.syncAll();
    kura.state.profiles.clear();
    vault.profiles.edit('crm/gone', { set: { USER: 'a2' } });
    vault.profiles.create({ agentId: 'crm', name: 'extra', authData: { USER: 'a', OTP: '1' } });
    vault.profiles.create({ agentId: 'ghost', name: 'p', authData: { USER: 'a' } });
    vault.profiles.create({ agentId: 'billing', name: 'ok', authData: { USER: 'a' } });
    const summary = await engine.syncAll();
    expect(summary.pushed.map((r) => r.ref)).toEqual(['billing/ok']);
    const reasons = Object.fromEntries(summary.failed.map((f) => [f.ref, f.message]));
    expect(reasons).toEqual({
      'crm/gone': expect.stringMatching(/^Remote profile missing/),
      'crm/extra': 'Kura rejected the request (HTTP 422): auth_data keys must be input arguments of the agent; not declared: OTP',
      'ghost/p': 'Kura rejected the request (HTTP 404): Agent not found',
    });
    expect(kuraRemote(vault)).toMatchObject({ paused: false, verifiedBy: 'sync' });
  });

  it('Backside: a 404 for an unknown kind fails that key, not the connection; a 401 pauses it', async () => {
    const { vault, backside, engine } = await setup();
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0001') });
    vault.byok.set({ kind: 'no-such-kind', apiKey: KEY('0002') });
    const summary = await engine.syncAll();
    expect(summary.pushed.map((r) => r.ref)).toEqual(['claude-code']);
    expect(summary.failed).toMatchObject([{ ref: 'no-such-kind', message: expect.stringMatching(/does not know this agent kind \(HTTP 404\)/) }]);
    expect(backsideRemote(vault)).toMatchObject({ paused: false });

    vault.remotes.set({ kind: 'backside', url: backside.url, credential: 'backside-wrong-token-1' });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0003') });
    await engine.syncAll();
    expect(backsideRemote(vault)).toMatchObject({ paused: true, pausedReason: 'credentials rejected (HTTP 401)' });
  });
});

describe('verified at', () => {
  it('a successful push verifies the connection, unless its credential changed while the push was in flight', async () => {
    const { vault, kura, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { USER: 'a' } });
    kura.faults.next({ kind: 'slow', delayMs: 150 });
    const pass = engine.pass();
    await new Promise((r) => setTimeout(r, 40));
    vault.remotes.set({ kind: 'kura', url: kura.url, credential: `${KURA_TEST_API_KEY}-new` });
    await pass;
    expect(vault.profiles.get('crm/p').syncState).toBe('synced');
    expect(kuraRemote(vault)).toMatchObject({ configured: true, verifiedAt: null });

    vault.remotes.set({ kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    vault.profiles.edit('crm/p', { set: { USER: 'b' } });
    await engine.syncAll();
    expect(kuraRemote(vault)).toMatchObject({ verifiedBy: 'sync', verifiedAt: expect.any(String) });
  });
});

describe('local-only keys', () => {
  it('keys of other providers stay here: never queued or pushed, and sync has nothing to report about them', async () => {
    const { vault, backside, engine } = await setup();
    const openai = vault.byok.set({ kind: 'writer', provider: 'openai', apiKey: OPENAI_KEY });
    expect(openai).toMatchObject({ localOnly: true, syncState: 'draft' });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0004') });

    const summary = await engine.syncAll();
    expect(summary.pushed.map((r) => r.ref)).toEqual(['claude-code']);
    expect(summary.failed).toEqual([]);
    expect(summary.pending).toEqual([]);
    expect(backside.requests.map((r) => r.path)).toEqual(['/api/v1/agent-configs/claude-code/byok-key']);
    expect(JSON.stringify(backside.requests)).not.toContain(OPENAI_KEY);

    const status = syncStatus(vault);
    expect(status.counts.byok).toEqual({ draft: 0, pending: 0, synced: 1, failed: 0, localOnly: 1 });
    expect(status.items).toMatchObject([{ ref: 'writer', localOnly: true }]);
    expect(() => vault.byok.ready('writer')).toThrow(/Backside takes Anthropic keys only: this openai key stays on this machine/);
    expect(() => vault.byok.retry('writer')).toThrow(/Anthropic keys only/);
    // Still there for run and inject.
    expect(vault.byok.get('writer', { reveal: true }).apiKey).toBe(OPENAI_KEY);
  });

  it('rotating a kind to another provider keeps it local; back to Anthropic queues it again', async () => {
    const { vault, engine } = await setup();
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0005') });
    await engine.syncAll();
    expect(vault.byok.set({ kind: 'claude-code', provider: 'google', apiKey: `AIza${'g'.repeat(35)}` })).toMatchObject({ localOnly: true, syncState: 'draft' });
    expect((await engine.syncAll()).pushed).toEqual([]);
    expect(vault.byok.restore('claude-code', 1)).toMatchObject({ localOnly: false, syncState: 'pending' });
    expect((await engine.syncAll()).pushed.map((r) => r.ref)).toEqual(['claude-code']);
  });

  it('a non-Anthropic key queued by an older Keyhold is set aside, not pushed, and does not fail the sync', async () => {
    const { vault, backside, engine } = await setup();
    const b = vault.byok.set({ kind: 'legacy', apiKey: KEY('0006') });
    // What an older vault could hold: an openai key, pending, in the outbox.
    vault.byok.recordSync(b.id, { ...vault.byok.load(b.id).meta, provider: 'openai' }, 'pending');
    const summary = await engine.syncAll();
    expect(summary).toMatchObject({ pushed: [], failed: [], pending: [] });
    expect(vault.byok.get('legacy')).toMatchObject({ localOnly: true, syncState: 'draft', lastError: null });
    expect(backside.requests).toHaveLength(0);
  });
});

describe('validate-key before saving', () => {
  it("checks a key nobody saved yet: accepted, or refused with Backside's answer; nothing is stored anywhere", async () => {
    const { vault, backside, engine } = await setup({ denyKeys: [KEY('dead')] });
    expect(await engine.checkKey(KEY('0007'))).toEqual({ accepted: true, message: 'Backside accepted the key.', answer: { valid: true } });
    expect(await engine.checkKey(KEY('dead'))).toEqual({
      accepted: false,
      message: 'Backside refused the key (HTTP 422): The provider rejected this key: it has been revoked.',
      answer: null,
    });
    expect(backside.state.keys.size).toBe(0);
    expect(vault.byok.list()).toEqual([]);
    await expect(engine.checkKey(OPENAI_KEY, 'openai')).rejects.toMatchObject({ code: 'BadInput' });
  });

  it('validating a stored key keeps the verdict as its last probe, which is what health judges', async () => {
    const { vault, backside, engine } = await setup();
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0008') });
    await engine.syncAll();
    expect(vault.byok.get('claude-code').lastProbe).toMatchObject({ ok: true });
    backside.state.denyKeys.add(KEY('0008'));
    const verdict = await engine.validate('claude-code');
    expect(verdict.accepted).toBe(false);
    expect(vault.byok.get('claude-code').lastProbe).toMatchObject({ ok: false, message: expect.stringMatching(/revoked/) });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: Date.now() }).map((f) => f.rule)).toEqual(['failed-probe']);
  });

  it('a refused bearer token pauses the connection and says so', async () => {
    const { vault, backside, engine } = await setup();
    vault.remotes.set({ kind: 'backside', url: backside.url, credential: 'backside-wrong-token-2' });
    await expect(engine.checkKey(KEY('0009'))).rejects.toMatchObject({ code: 'CredentialsRejected' });
    expect(backsideRemote(vault)).toMatchObject({ paused: true });
  });
});

describe('an answer nested past what Keyhold reads', () => {
  // Backside's guardrails may be any JSON, and validate-key's answer any object: JSON.parse takes any
  // depth, but the checks and the redaction of what is kept recurse per level. 3,000 levels (6 KB)
  // overflowed the stack there, and the RangeError ended the whole sync pass (and "Check key").
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('is a bad answer for that key, to be tried again later, and the rest of the pass goes on', async () => {
    const { vault, backside, engine } = await setup({ guardrails: JSON.parse(nested(3000)) });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0011') });
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { USER: 'a' } });
    const results = await engine.pass();
    expect(results.map((r) => [r.ref, r.outcome, r.message]).sort()).toEqual([
      ['claude-code', 'retry', 'Backside sent an answer nested more than 100 levels deep.'],
      ['crm/p', 'pushed', undefined],
    ]);
    expect(vault.byok.get('claude-code')).toMatchObject({ syncState: 'pending', remote: null });
    for (let time = 0; time < 2; time++) {
      backside.faults.next({ kind: 'malformed', body: `{"valid": true, "detail": ${nested(100_000)}}` });
      await expect(engine.checkKey(KEY('0012'))).rejects.toMatchObject({ code: 'RemoteBadResponse' });
    }
    backside.faults.next({ kind: 'malformed', body: `{"valid": true, "detail": ${nested(98)}}` });
    expect(await engine.checkKey(KEY('0012'))).toMatchObject({ accepted: true });
  });
});

describe('liberal in what it accepts', () => {
  it('an unusual status word, null guardrails, offset datetimes and extra fields: synced, healthy, stored as sent', async () => {
    const { vault, engine } = await setup({ status: 'pending-review', guardrails: null, extraFields: { region: 'eu', byok_key_fingerprint: 'fp' } });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('0010') });
    const summary = await engine.syncAll();
    expect(summary.pushed.map((r) => r.ref)).toEqual(['claude-code']);
    const k = vault.byok.get('claude-code');
    expect(k.syncState).toBe('synced');
    expect(k.remote).toMatchObject({ byok_status: 'pending-review', guardrails: null, region: 'eu', byok_key_fingerprint: 'fp' });
    expect(k.remote?.byok_last_probed_at).toMatch(/\+00:00$/);
    expect(k.lastProbe).toMatchObject({ ok: true, at: new Date(Date.parse(k.remote?.byok_last_probed_at as string)).toISOString() });
    expect(healthReport(vault, { keyMaxAgeDays: 90, now: Date.now() })).toEqual([]);
    expect(backsideRemote(vault)).toMatchObject({ verifiedBy: 'sync' });
  });
});
