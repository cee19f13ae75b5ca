import { afterEach, describe, expect, it } from 'vitest';
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

describe('remoteTest: checks a connection without changing anything remotely', () => {
  it('Kura: a working key, a refused key, a wrong address, an unreachable server', async () => {
    const { h, kura, backside } = await setup();
    expect(await h.call('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, error: { code: 'RemoteMissing' } });

    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toEqual({ ok: true, message: 'Connected: Kura accepted the API key.' });
    // The probe is an update with a token nobody was given: nothing exists on Kura afterwards.
    expect(kura.state.profiles.size).toBe(0);
    const sent = kura.requests.at(-1)?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ api_key: KURA_TEST_API_KEY, auth_data: {}, auth_token: expect.stringMatching(/^keyhold-probe-/) });

    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: 'not-the-key' });
    const refused = await h.ok('remoteTest', { kind: 'kura' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/refused the API key \(HTTP 401\)/);
    expect(refused.message).not.toContain('not-the-key');

    kura.faults.next({ kind: 'status', status: 503 });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, message: expect.stringMatching(/not working right now.*503/) });

    await h.ok('remoteSet', { kind: 'kura', url: `${kura.url}/wrong/prefix`, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, message: expect.stringMatching(/no Kura endpoint/) });

    await kura.stop();
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    expect(await h.ok('remoteTest', { kind: 'kura' })).toMatchObject({ ok: false, message: expect.stringMatching(/^Kura is unreachable/) });
    expect(backside.requests).toHaveLength(0);
  });

  it('Backside: a working token, refused and forbidden tokens, a 422 answer, an unreachable server', async () => {
    const { h, backside } = await setup();
    await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
    expect(await h.ok('remoteTest', { kind: 'backside' })).toEqual({ ok: true, message: 'Connected: Backside accepted the token.' });
    expect(backside.state.configs.size).toBe(0);
    expect(backside.state.keys.size).toBe(0);
    expect(backside.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/agent-configs/validate-key' });

    backside.faults.next({ kind: 'status', status: 422, body: JSON.stringify({ error: 'invalid_key', message: 'not a key' }) });
    expect(await h.ok('remoteTest', { kind: 'backside' })).toMatchObject({ ok: true });

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
    expect(result).toMatchObject({ ok: true, message: expect.stringMatching(/still paused/) });
    expect((await h.ok('remotesList'))[0]).toMatchObject({ paused: true });
  });
});
