import { afterEach, describe, expect, it } from 'vitest';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { KEY, servers } from '../helpers/sync';
import { apiHarness, MASTER } from './api-harness';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup() {
  const s = await servers();
  cleanups.push(s.close);
  const h = apiHarness();
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  await h.ok('remoteSet', { kind: 'kura', url: s.kura.url, credential: KURA_TEST_API_KEY });
  await h.ok('remoteSet', { kind: 'backside', url: s.backside.url, credential: BACKSIDE_TEST_TOKEN });
  return { h, ...s };
}

describe('the token and the trash through the router', () => {
  it('reveals the token (audited), copies it in main without returning it, and says why there is none', async () => {
    const { h, kura } = await setup();
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await h.ok('profileCreate', { agentId: 'crm', name: 'later', authData: { A: '1' }, draft: true });
    await h.ok('syncNow');
    const token = kura.profile('crm', 'prod')?.token as string;

    expect(await h.ok('profileTokenReveal', { ref: 'crm/prod' })).toMatchObject({ ref: 'crm/prod', authToken: token, agentId: 'crm', name: 'prod' });
    const copy = await h.call('profileTokenCopy', { ref: 'crm/prod' });
    expect(copy).toEqual({ ok: true, value: { clearsAfterSeconds: 30 } });
    expect(JSON.stringify(copy)).not.toContain(token);
    expect(h.copied).toEqual([token]);
    expect(await h.call('profileTokenReveal', { ref: 'crm/later' })).toMatchObject({
      ok: false,
      error: { code: 'NotFound', message: expect.stringMatching(/never been synced/) },
    });

    const audit = await h.ok('auditList', { limit: 20 });
    expect(audit.filter((e) => e.event === 'secret_copied').map((e) => e.detail)).toEqual([expect.objectContaining({ item: 'profile', token: true })]);
    expect(audit.filter((e) => e.event === 'secret_revealed' && e.detail.token === true)).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(token);
    expect((await h.ok('profileGet', { ref: 'crm/prod' })).tokenObtainedAt).toEqual(expect.any(String));
  });

  it('profileDelete needs confirmTokenLoss for a profile with a token; the trash lists, restores and purges', async () => {
    const { h } = await setup();
    const prod = await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await h.ok('byokSet', { kind: 'claude-code', apiKey: KEY('0001'), draft: true });
    await h.ok('syncNow');

    expect(await h.call('profileDelete', { ref: 'crm/prod' })).toMatchObject({ ok: false, error: { code: 'Conflict', field: 'confirmTokenLoss' } });
    expect(await h.ok('profileDelete', { ref: 'crm/prod', confirmTokenLoss: true })).toMatchObject({
      id: prod.id,
      wasSynced: true,
      purgeAt: expect.any(String),
    });
    await h.ok('byokDelete', { kind: 'claude-code' });
    expect(await h.ok('profilesList', {})).toEqual([]);
    expect(await h.ok('byokList')).toEqual([]);
    const trash = await h.ok('trashList');
    expect(trash.map((e) => [e.kind, e.ref, e.hasToken]).sort()).toEqual([
      ['byok', 'claude-code', false],
      ['profile', 'crm/prod', true],
    ]);

    expect(await h.ok('trashRestore', { id: prod.id })).toMatchObject({ kind: 'profile', ref: 'crm/prod', state: 'synced' });
    expect((await h.ok('profileTokenReveal', { ref: 'crm/prod' })).authToken).toBeTruthy();
    expect(await h.call('trashPurge', {})).toMatchObject({ ok: false, error: { code: 'Conflict', field: 'confirmPurge' } });
    expect(await h.ok('trashPurge', { confirm: true })).toEqual({ purged: 1 });
    expect(await h.ok('trashList')).toEqual([]);
  });

  it('agentSetTokenEnv names the variable and refuses a name that is not one', async () => {
    const { h } = await setup();
    expect(await h.ok('agentSetTokenEnv', { agentId: 'crm', tokenEnv: 'CRM_TOKEN' })).toEqual({ agentId: 'crm', tokenEnv: 'CRM_TOKEN' });
    expect(await h.call('agentSetTokenEnv', { agentId: 'crm', tokenEnv: 'NOT VALID' })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(await h.ok('agentSetTokenEnv', { agentId: 'crm', tokenEnv: null })).toEqual({ agentId: 'crm', tokenEnv: 'KURA_AUTH_TOKEN' });
  });
});
