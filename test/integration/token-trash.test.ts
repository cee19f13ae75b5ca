import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectExport, exportToFile, importFile } from '../../src/core/share/exchange';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import type { SyncEngine } from '../../src/core/sync/engine';
import { dbPath } from '../../src/core/vault/db';
import { Vault } from '../../src/core/vault/vault';
import { refusal, useCleanups } from '../helpers/cleanup';
import { connect, fastEngine, KEY, servers } from '../helpers/sync';
import { newVault, PASSWORD, tempDir } from '../helpers/vault';

const DAY = 24 * 60 * 60 * 1000;
const cleanups = useCleanups();
let s: Awaited<ReturnType<typeof servers>>;

/** A vault connected to fresh fakes, with a clock the test moves. */
async function setup(): Promise<{ vault: Vault; engine: SyncEngine; clock: { t: number } }> {
  const clock = { t: Date.UTC(2026, 11, 1, 9, 0, 0) };
  const v = await newVault({ now: () => clock.t });
  cleanups.push(v.cleanup);
  s = await servers();
  const fakes = s;
  cleanups.push(() => fakes.close());
  connect(v.vault, s);
  return { vault: v.vault, engine: fastEngine(v.vault, { now: () => clock.t }), clock };
}

const remoteOf = (vault: Vault, ref: string) => vault.profiles.load(vault.profiles.resolve(ref).id).remote;
const tokenReads = (vault: Vault) => vault.audit.list({ event: 'secret_revealed' }).filter((e) => e.detail.token === true);
const trashed = (vault: Vault) => vault.trash.list().map((e) => `${e.kind}:${e.ref}`);

describe('the Kura auth token', () => {
  it('is stored with when it was obtained and how, read alone (audited), and shown only when revealed', async () => {
    const { vault, engine, clock } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    await engine.syncAll();
    const live = s.kura.profile('crm', 'prod');
    expect(live?.token).toBeTruthy();

    const token = vault.profiles.token('crm/prod', { purpose: 'token' });
    expect(token).toEqual({ ref: 'crm/prod', authToken: live?.token, agentId: 'crm', name: 'prod', obtainedAt: new Date(clock.t).toISOString() });
    expect(remoteOf(vault, 'crm/prod')).toMatchObject({ syncType: 'create', obtainedAt: token.obtainedAt });
    expect(tokenReads(vault)).toHaveLength(1);

    const masked = vault.profiles.get('crm/prod');
    expect(masked).not.toHaveProperty('authToken');
    expect(masked.tokenObtainedAt).toBe(token.obtainedAt);
    expect(JSON.stringify(masked)).not.toContain(token.authToken);
    expect(vault.profiles.get('crm/prod', { reveal: true }).authToken).toBe(token.authToken);
    expect(tokenReads(vault)).toHaveLength(2);

    // An update that hands back the same token keeps the time it was first obtained.
    clock.t += DAY;
    vault.profiles.edit('crm/prod', { set: { USER: 'bob' } });
    await engine.syncAll();
    expect(remoteOf(vault, 'crm/prod')).toMatchObject({ authToken: token.authToken, syncType: 'update', obtainedAt: token.obtainedAt });
    expect(vault.profiles.get('crm/prod').lastSyncType).toBe('update');
  });

  it('says why there is none: never synced, a 404 (remote profile missing), dropped for a re-create, or a rename', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'draft', authData: { A: '1' }, draft: true });
    expect(refusal(() => vault.profiles.token('crm/draft'))).toMatchObject({
      code: 'NotFound',
      message: expect.stringMatching(/never been synced \(it is a draft\)/),
    });

    vault.profiles.create({ agentId: 'crm', name: 'gone', authData: { A: '1' } });
    await engine.syncAll();
    const old = vault.profiles.token('crm/gone').authToken;
    s.kura.state.profiles.delete(old);
    vault.profiles.edit('crm/gone', { set: { A: '2' } });
    await engine.syncAll();
    expect(refusal(() => vault.profiles.token('crm/gone'))).toMatchObject({
      code: 'NotFound',
      message: expect.stringMatching(/answered 404 \(the remote profile is missing\)/),
    });

    vault.profiles.recreate('crm/gone');
    expect(refusal(() => vault.profiles.token('crm/gone'))?.message).toMatch(/dropped after Kura answered 404/);
    await engine.syncAll();
    expect(vault.profiles.token('crm/gone').authToken).not.toBe(old);

    vault.profiles.edit('crm/gone', { name: 'renamed' }, { confirmNewRemote: true });
    expect(refusal(() => vault.profiles.token('crm/renamed'))?.message).toMatch(/renamed or moved, and its old token is kept in its history/);
    expect(tokenReads(vault)).toHaveLength(2);
  });

  it('a rename with a new remote keeps the old token in history; restoring that version brings back token, agent and name', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await engine.syncAll();
    const first = vault.profiles.token('crm/prod');

    vault.profiles.edit('crm/prod', { agentId: 'crm2', name: 'moved' }, { confirmNewRemote: true });
    expect(vault.profiles.history('crm2/moved')[0]?.summary).toMatch(/kept the Kura token of crm\/prod/);
    await engine.syncAll();
    const second = vault.profiles.token('crm2/moved');
    expect(second.authToken).not.toBe(first.authToken);

    // Going back is again a new remote identity: it needs the same confirmation, and keeps the newer token too.
    expect(refusal(() => vault.profiles.restore('crm2/moved', 1))?.field).toBe('confirmNewRemote');
    const restored = vault.profiles.restore('crm2/moved', 1, { confirmNewRemote: true });
    expect(restored).toMatchObject({ agentId: 'crm', name: 'prod', hasToken: true, lastSyncType: 'create', syncState: 'pending' });
    expect(vault.profiles.token('crm/prod')).toMatchObject({ authToken: first.authToken, obtainedAt: first.obtainedAt });

    // The push that follows is an update of the old remote profile, with its old token.
    await engine.syncAll();
    expect(s.kura.profile('crm', 'prod')?.token).toBe(first.authToken);
    expect(vault.profiles.get('crm/prod')).toMatchObject({ syncState: 'synced', lastSyncType: 'update' });

    const back = vault.profiles.restore('crm/prod', 2, { confirmNewRemote: true });
    expect(back).toMatchObject({ agentId: 'crm2', name: 'moved', hasToken: true });
    expect(vault.profiles.token('crm2/moved').authToken).toBe(second.authToken);
  });

  it('survives a password change', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await engine.syncAll();
    const before = vault.profiles.token('crm/prod');
    await vault.changePassword(PASSWORD, 'another long password');
    const dir = vault.dir;
    vault.close();
    const reopened = Vault.open(dir);
    cleanups.push(() => reopened.close());
    await reopened.unlock('another long password');
    expect(reopened.profiles.token('crm/prod')).toEqual(before);
  });

  it('survives export and re-import into your own vault when tokens are included, and the preview says so', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: '1' } });
    vault.profiles.create({ agentId: 'crm', name: 'local', authData: { B: '2' }, draft: true });
    await engine.syncAll();
    const token = vault.profiles.token('crm/prod').authToken;
    const files = tempDir('keyhold-token-export-');
    cleanups.push(files.cleanup);
    const me = [(await vaultIdentity(vault)).recipient];

    const plain = join(files.dir, 'plain.age');
    expect((await exportToFile(vault, plain, { all: true, target: { recipients: me } })).tokens).toBe(0);
    const withTokens = join(files.dir, 'tokens.age');
    expect(await exportToFile(vault, withTokens, { all: true, includeTokens: true, target: { recipients: me } })).toMatchObject({
      tokensIncluded: true,
      tokens: 1,
    });

    vault.profiles.remove('crm/prod', { confirmTokenLoss: true });
    vault.trash.purgeAll({ confirm: true });
    const dry = await importFile(vault, plain, { dryRun: true });
    // A bundle without tokens carries none; its profiles would be created anew (the preview warns that is a replace).
    expect(dry.preview.warnings.join(' ')).not.toMatch(/carries \d+ Kura token/);
    expect(dry.preview.warnings.join(' ')).toMatch(/arrive without a Kura token/);

    const { preview, result } = await importFile(vault, withTokens);
    expect(preview.warnings).toContain(
      'This bundle carries 1 Kura token(s); 1 will be attached to their profiles here: exported from this vault; they come back with their profiles.',
    );
    expect(result?.tokens).toBe(1);
    expect(vault.profiles.token('crm/prod')).toMatchObject({ authToken: token, obtainedAt: null });
  });
});

describe('profile rm and the trash', () => {
  it('refuses to delete a profile holding a token without confirmation, and says the remote stays on Kura', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await engine.syncAll();
    const err = refusal(() => vault.profiles.remove('crm/prod'));
    expect(err).toMatchObject({ code: 'Conflict', field: 'confirmTokenLoss' });
    expect(err?.message).toMatch(/keeps the remote profile on Kura, and the token goes with the local copy/);
    expect(err?.message).not.toMatch(/--/);
    expect(vault.profiles.list()).toHaveLength(1);
  });

  it('keeps a deleted profile with its token and history, invisible everywhere, until restored', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: '1' } });
    await engine.syncAll();
    vault.profiles.edit('crm/prod', { set: { A: '2' } });
    await engine.syncAll();
    const token = vault.profiles.token('crm/prod').authToken;
    const removed = vault.profiles.remove('crm/prod', { confirmTokenLoss: true });
    expect(removed.wasSynced).toBe(true);

    expect(vault.profiles.list()).toEqual([]);
    expect(vault.profiles.list({ search: 'crm' })).toEqual([]);
    expect(refusal(() => vault.profiles.resolve('crm/prod'))?.code).toBe('NotFound');
    expect(refusal(() => vault.profiles.resolve(removed.id))?.code).toBe('NotFound');
    expect(vault.trash.list()).toEqual([
      { id: removed.id, kind: 'profile', ref: 'crm/prod', hasToken: true, trashedAt: expect.any(String), purgeAt: removed.purgeAt },
    ]);
    expect(Date.parse(removed.purgeAt) - Date.parse(vault.trash.list()[0]?.trashedAt ?? '')).toBe(30 * DAY);
    expect(refusal(() => collectExport(vault, { all: true, includeTokens: true }))?.message).toMatch(/nothing to export/);

    // The name is free meanwhile; restoring into it is then a conflict.
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { A: 'new' }, draft: true });
    expect(refusal(() => vault.trash.restore(removed.id.slice(0, 8)))).toMatchObject({
      code: 'Conflict',
      message: expect.stringMatching(/already exists for agent "crm"/),
    });
    vault.profiles.remove('crm/prod');

    const restored = vault.trash.restore(removed.id.slice(0, 8));
    expect(restored).toMatchObject({ id: removed.id, kind: 'profile', state: 'synced' });
    expect(vault.profiles.token('crm/prod').authToken).toBe(token);
    expect(vault.profiles.history('crm/prod').map((v) => v.version)).toEqual([2, 1]);
    expect(trashed(vault)).toEqual(['profile:crm/prod']);
  });

  it('never pushes a trashed pending item; restoring queues it again', async () => {
    const { vault, engine } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'queued', authData: { A: '1' } });
    vault.byok.set({ kind: 'researcher', apiKey: KEY('Q001') });
    vault.profiles.remove('crm/queued');
    vault.byok.remove('researcher');
    const before = s.kura.requests.length + s.backside.requests.length;
    const summary = await engine.syncAll();
    expect(summary.pushed).toEqual([]);
    expect(s.kura.requests.length + s.backside.requests.length).toBe(before);
    expect(s.kura.profile('crm', 'queued')).toBeUndefined();

    for (const e of vault.trash.list()) vault.trash.restore(e.id);
    expect(vault.profiles.get('crm/queued').syncState).toBe('pending');
    await engine.syncAll();
    expect(s.kura.profile('crm', 'queued')).toBeDefined();
    expect(s.backside.state.keys.get('researcher')).toBe(KEY('Q001'));
  });

  it('a token that arrives for a profile deleted while its create was in flight goes to the trash with it', async () => {
    const { vault, engine } = await setup();
    const p = vault.profiles.create({ agentId: 'crm', name: 'racing', authData: { A: '1' } });
    s.kura.faults.next({ kind: 'slow', delayMs: 300 });
    const pass = engine.syncAll();
    while (s.kura.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    vault.profiles.remove('crm/racing');
    await pass;
    const live = s.kura.profile('crm', 'racing');
    expect(live?.token).toBeTruthy();
    expect(vault.trash.list()).toEqual([expect.objectContaining({ id: p.id, hasToken: true })]);
    vault.trash.restore(p.id);
    expect(vault.profiles.token('crm/racing')).toMatchObject({ authToken: live?.token, agentId: 'crm', name: 'racing' });
    expect(vault.profiles.get('crm/racing')).toMatchObject({ syncState: 'synced', lastSyncType: 'create' });
  });

  it('keeps deleted BYOK keys too, with their history; a kind taken meanwhile is a conflict', async () => {
    const { vault } = await setup();
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('A001') });
    vault.byok.set({ kind: 'claude-code', apiKey: KEY('A002') });
    const { id } = vault.byok.remove('claude-code');
    expect(vault.byok.list()).toEqual([]);
    expect(refusal(() => vault.byok.get('claude-code'))?.code).toBe('NotFound');
    expect(trashed(vault)).toEqual(['byok:claude-code']);

    vault.byok.set({ kind: 'claude-code', apiKey: KEY('B001') });
    expect(refusal(() => vault.trash.restore(id))).toMatchObject({ code: 'Conflict', field: 'kind' });
    vault.byok.remove('claude-code');
    expect(vault.trash.list()).toHaveLength(2);

    vault.trash.restore(id);
    expect(vault.byok.get('claude-code', { reveal: true }).apiKey).toBe(KEY('A002'));
    expect(vault.byok.history('claude-code')).toHaveLength(2);
  });

  it('purges one item, or everything only when confirmed; nothing of a purged item is left in the file', async () => {
    const { vault } = await setup();
    const a = vault.profiles.create({ agentId: 'crm', name: 'a', authData: { A: '1' } });
    vault.profiles.create({ agentId: 'crm', name: 'b', authData: { B: '1' } });
    vault.byok.set({ kind: 'k', apiKey: KEY('C001') });
    vault.profiles.remove('crm/a');
    vault.profiles.remove('crm/b');
    vault.byok.remove('k');

    expect(vault.trash.purge(a.id.slice(0, 8))).toMatchObject({ id: a.id, ref: 'crm/a' });
    expect(trashed(vault).sort()).toEqual(['byok:k', 'profile:crm/b']);
    expect(refusal(() => vault.trash.purge(a.id))?.code).toBe('NotFound');
    expect(refusal(() => vault.trash.purgeAll())).toMatchObject({ code: 'Conflict', field: 'confirmPurge' });
    expect(vault.trash.list()).toHaveLength(2);
    expect(vault.trash.purgeAll({ confirm: true })).toBe(2);
    expect(vault.trash.list()).toEqual([]);

    const db = new Database(dbPath(vault.dir), { readonly: true });
    expect(
      db
        .prepare(
          'SELECT (SELECT count(*) FROM profiles) + (SELECT count(*) FROM byok_keys) + (SELECT count(*) FROM profile_versions) + (SELECT count(*) FROM byok_versions) AS n',
        )
        .get(),
    ).toEqual({ n: 0 });
    db.close();
    expect(vault.audit.list({ event: 'item_deleted' }).filter((e) => e.detail.purged !== undefined)).toHaveLength(2);
  });

  it('purges what waited 30 days at the next unlock, and nothing younger', async () => {
    const { vault, clock } = await setup();
    vault.profiles.create({ agentId: 'crm', name: 'old', authData: { A: '1' } });
    vault.profiles.create({ agentId: 'crm', name: 'young', authData: { A: '1' } });
    vault.profiles.remove('crm/old');
    clock.t += 10 * DAY;
    vault.profiles.remove('crm/young');
    clock.t += 20 * DAY + 1;
    vault.lock();
    await vault.unlock(PASSWORD);
    expect(trashed(vault)).toEqual(['profile:crm/young']);
    expect(vault.audit.list({ event: 'item_deleted' })[0]?.detail).toMatchObject({ purged: 1, expired: true });
  });
});

describe('the token variable per agent', () => {
  it('defaults to KURA_AUTH_TOKEN, takes a valid environment variable name, and leaves key checks alone', async () => {
    const { vault } = await setup();
    expect(vault.agents.tokenEnvFor('crm')).toBe('KURA_AUTH_TOKEN');
    expect(refusal(() => vault.agents.setTokenEnv('crm', '1BAD'))?.code).toBe('BadInput');
    expect(refusal(() => vault.agents.setTokenEnv('crm', 'HAS SPACE'))?.code).toBe('BadInput');
    expect(vault.agents.setTokenEnv('crm', 'CRM_TOKEN')).toEqual({ agentId: 'crm', tokenEnv: 'CRM_TOKEN' });
    expect(vault.agents.tokenEnvFor('crm')).toBe('CRM_TOKEN');
    // Naming the variable declares no arguments: any key is still accepted.
    expect(vault.agents.get('crm')).toBeUndefined();
    vault.profiles.create({ agentId: 'crm', name: 'p', authData: { ANYTHING: '1' } });
    // Declaring arguments later keeps the variable.
    vault.agents.set({ agentId: 'crm', args: ['ANYTHING'] });
    expect(vault.agents.get('crm')).toMatchObject({ args: ['ANYTHING'], tokenEnv: 'CRM_TOKEN' });
    vault.agents.setTokenEnv('crm', null);
    expect(vault.agents.tokenEnvFor('crm')).toBe('KURA_AUTH_TOKEN');
    expect(vault.agents.get('crm')?.args).toEqual(['ANYTHING']);
  });
});
