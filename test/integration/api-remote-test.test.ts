import { afterEach, describe, expect, it } from 'vitest';
import { startFakeServer } from '../fakes/faults';
import { startFakeBackside, BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY, startFakeKura } from '../fakes/kura';
import { apiHarness, MASTER } from './api-harness';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup() {
  const kura = await startFakeKura({ agents: { crm: ['USER'] } });
  const backside = await startFakeBackside({ forbiddenTokens: ['read-only-token'] });
  cleanups.push(() => Promise.all([kura.close(), backside.close()]));
  const h = apiHarness();
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  return { h, kura, backside };
}

const body = (r: { body: unknown } | undefined) => r?.body as Record<string, unknown>;

describe('remoteTest: says what a request proved, and changes nothing remotely', () => {
  it('Kura: no agent known yet → no agent id is made up and no key is sent; the key is only checked at the first sync', async () => {
    const { h, kura } = await setup();
    expect(await h.call('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, error: { code: 'RemoteMissing' } });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });

    const r = await h.ok('remoteTest', { kind: 'kura' });
    expect(r).toMatchObject({ ok: true, reached: true, credentialVerified: false, configured: true, verifiedAt: null });
    expect(r.message).toMatch(/no agent is known to this vault yet.*only checked at the first sync/);
    expect(kura.requests).toHaveLength(1);
    expect(body(kura.requests[0])).toEqual({});
    // Configured and verified are different facts, also in the listing.
    expect((await h.ok('remotesList'))[0]).toMatchObject({ configured: true, verifiedAt: null, lastTest: { ok: true } });
  });

  it('Kura: a declared agent → proven by a made-up key being refused where the saved key is not', async () => {
    const { h, kura } = await setup();
    await h.ok('agentSet', { agentId: 'crm', args: ['USER'] });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    const r = await h.ok('remoteTest', { kind: 'kura' });
    expect(r).toMatchObject({ ok: true, reached: true, credentialVerified: true, verifiedBy: 'test', verifiedAt: r.testedAt });
    expect(r.message).toBe(
      'Kura accepted the API key: the same request with a made-up API key was refused (HTTP 401), and with this one Kura answered HTTP 404 (Auth profile not found).',
    );
    // Both probes are updates with a random token for the agent the vault declared: nothing exists on Kura afterwards.
    expect(kura.state.profiles.size).toBe(0);
    expect(kura.requests.map((q) => body(q))).toMatchObject([
      { agent_id: 'crm', api_key: KURA_TEST_API_KEY, auth_data: {}, auth_token: expect.stringMatching(/^keyhold-probe-/) },
      { agent_id: 'crm', api_key: 'keyhold-connection-test-made-up-credential', auth_data: {} },
    ]);
    expect((await h.ok('remotesList'))[0]).toMatchObject({ verifiedAt: r.testedAt, verifiedBy: 'test' });

    // A new key is a new question: what was verified was the old one.
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: 'not-the-key' });
    expect((await h.ok('remotesList'))[0]).toMatchObject({ configured: true, verifiedAt: null, lastTest: null });
    const refused = await h.ok('remoteTest', { kind: 'kura' });
    expect(refused).toMatchObject({ ok: false, reached: true, credentialVerified: false, verifiedAt: null });
    expect(refused.message).toMatch(/refused the API key \(HTTP 401\)/);
    expect(refused.message).not.toContain('not-the-key');
  });

  it('Kura: a server that gives any key the same 404 is not "connected"', async () => {
    const { h } = await setup();
    // Answers every request "Not Found", like a wrong address or a server that never checks the key first.
    const notKura = await startFakeServer(() => ({ status: 404, json: { detail: 'Not Found' } }));
    cleanups.push(() => notKura.close());
    await h.ok('agentSet', { agentId: 'crm', args: ['USER'] });
    await h.ok('remoteSet', { kind: 'kura', url: notKura.url, credential: KURA_TEST_API_KEY });
    const r = await h.ok('remoteTest', { kind: 'kura' });
    expect(r).toMatchObject({ ok: false, credentialVerified: false, verifiedAt: null });
    expect(r.message).toMatch(/HTTP 404 \(Not Found\) whatever the API key: this is probably not Kura's address/);

    // A server that looks the profile up before it checks the key: reached, but the key is unproven.
    const tokenFirst = await startFakeServer(() => ({ status: 404, json: { detail: 'Auth profile not found' } }));
    cleanups.push(() => tokenFirst.close());
    await h.ok('remoteSet', { kind: 'kura', url: tokenFirst.url, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({
      ok: true,
      reached: true,
      credentialVerified: false,
      verifiedAt: null,
      message: expect.stringMatching(/answered \(HTTP 404\), but it gave a made-up API key the same answer.*only checked at the first sync/),
    });

    // A server that answers 422 to both keys reached something, but proved nothing about the key.
    const lax = await startFakeServer(() => ({ status: 422, json: { detail: 'nope' } }));
    cleanups.push(() => lax.close());
    await h.ok('remoteSet', { kind: 'kura', url: lax.url, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({
      ok: true,
      reached: true,
      credentialVerified: false,
      message: expect.stringMatching(/cannot tell whether the API key is accepted: it is only checked at the first sync/),
    });
  });

  it('Kura: a server error, an unreachable server', async () => {
    const { h, kura, backside } = await setup();
    await h.ok('agentSet', { agentId: 'crm', args: ['USER'] });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    kura.faults.next({ kind: 'status', status: 503 });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({
      ok: false,
      reached: true,
      message: expect.stringMatching(/not working right now.*503/),
    });
    await kura.stop();
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, reached: false, message: expect.stringMatching(/^Kura is unreachable/) });
    expect(backside.requests).toHaveLength(0);
  });

  it('a push that succeeds verifies the connection too ("by a push")', async () => {
    const { h, kura, backside } = await setup();
    await h.ok('agentSet', { agentId: 'crm', args: ['USER'] });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await h.ok('syncNow');
    const [kuraRow, backsideRow] = [...(await h.ok('remotesList'))].sort((a, b) => (a.kind === 'kura' ? -1 : b.kind === 'kura' ? 1 : 0));
    expect(kuraRow).toMatchObject({ kind: 'kura', verifiedBy: 'sync', verifiedAt: expect.any(String) });
    expect(backsideRow).toMatchObject({ kind: 'backside', configured: true, verifiedAt: null });
  });

  it('Backside: proven the same way; refused and forbidden tokens; an unreachable server', async () => {
    const { h, backside } = await setup();
    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
    const r = await h.ok('remoteTest', { kind: 'backside' });
    expect(r).toMatchObject({ ok: true, credentialVerified: true, verifiedBy: 'test' });
    expect(r.message).toMatch(
      /^Backside accepted the token: the same request with a made-up token was refused \(HTTP 401\), and with this one Backside answered HTTP 422/,
    );
    expect(backside.state.configs.size).toBe(0);
    expect(backside.state.keys.size).toBe(0);
    expect(backside.requests.map((q) => [q.method, q.path, q.headers.authorization])).toEqual([
      ['POST', '/api/v1/agent-configs/validate-key', `Bearer ${BACKSIDE_TEST_TOKEN}`],
      ['POST', '/api/v1/agent-configs/validate-key', 'Bearer keyhold-connection-test-made-up-credential'],
    ]);

    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: 'wrong-token' });
    expect(await h.ok('remoteTest', { kind: 'backside' })).toMatchObject({ ok: false, message: expect.stringMatching(/refused the token \(HTTP 401\)/) });
    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: 'read-only-token' });
    expect(await h.ok('remoteTest', { kind: 'backside' })).toMatchObject({ ok: false, message: expect.stringMatching(/refused the token \(HTTP 403\)/) });

    await backside.stop();
    expect(await h.ok('remoteTest', { kind: 'backside' })).toMatchObject({ ok: false, message: expect.stringMatching(/^Backside is unreachable/) });
  });

  it('a test does not lift a pause, and says the connection is still paused', async () => {
    const { h, kura } = await setup();
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    kura.faults.next({ kind: 'status', status: 401 });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await h.ok('syncNow');
    expect((await h.ok('remotesList'))[0]).toMatchObject({ kind: 'kura', paused: true });
    const result = await h.ok('remoteTest', { kind: 'kura' });
    expect(result).toMatchObject({ ok: true, paused: true, credentialVerified: true, message: expect.stringMatching(/still paused/) });
    expect((await h.ok('remotesList'))[0]).toMatchObject({ paused: true });
  });
});

describe('byokCheckKey: the window\'s "Check key", before anything is saved', () => {
  it("answers accepted or refused with Backside's words, stores nothing, and refuses other providers", async () => {
    const { h, backside } = await setup();
    const good = `sk-ant-api03-${'c'.repeat(30)}`;
    expect(await h.call('byokCheckKey', { apiKey: good })).toMatchObject({ ok: false, error: { code: 'RemoteMissing' } });
    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
    expect(await h.ok('byokCheckKey', { apiKey: good })).toEqual({ accepted: true, message: 'Backside accepted the key.', answer: { valid: true } });
    expect(await h.ok('byokCheckKey', { apiKey: 'sk-ant-api03.not-a-real-key-at-all' })).toEqual({
      accepted: false,
      message: 'Backside refused the key (HTTP 422): The provider rejected this key: invalid x-api-key.',
      answer: null,
    });
    expect(await h.call('byokCheckKey', { provider: 'openai', apiKey: `sk-proj-${'o'.repeat(30)}` })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', message: expect.stringMatching(/Anthropic keys only/) },
    });
    expect(await h.ok('byokList')).toEqual([]);
    expect(backside.state.keys.size).toBe(0);
    expect(backside.requests.map((r) => r.path)).toEqual(['/api/v1/agent-configs/validate-key', '/api/v1/agent-configs/validate-key']);
  });
});
