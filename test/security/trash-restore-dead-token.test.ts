import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportToFile, importFile } from '../../src/core/share/exchange';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { examine } from '../../src/core/vault/doctor';
import { FORMAT_VERSION } from '../../src/core/vault/migrations';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { connect, fastEngine, servers } from '../helpers/sync';
import { newVault, PASSWORD, tempDir } from '../helpers/vault';
import { flipCell, raw } from './tamper';

// A tired user: web/dev (token T1) went to the trash; a new web/dev was added and synced, and Kura
// answered "replace", which voids T1. Restoring the first brought T1 back as `synced`: nothing
// pushed it, `profile token` printed the dead token, `run` injected it. It now comes back failed,
// its token unusable, with the reason and the way out, whatever became of the profile that replaced
// it: still in the trash, purged for good, or renamed away (which frees the name for the restore).

const cleanups = useCleanups();
const DAY = 24 * 60 * 60 * 1000;

async function setup() {
  const clock = { t: Date.UTC(2026, 11, 1, 9, 0, 0) };
  const v = await newVault({ now: () => clock.t });
  cleanups.push(v.cleanup);
  const s = await servers();
  cleanups.push(() => s.close());
  connect(v.vault, s);
  const engine = fastEngine(v.vault, { now: () => clock.t });
  /** web/dev, synced (T1) and trashed; a day later a second web/dev synced as a replace (T2). */
  const replaced = async () => {
    const { vault } = v;
    const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await engine.syncAll();
    const t1 = vault.profiles.token(first.id).authToken;
    vault.profiles.remove(first.id, { confirmTokenLoss: true });
    clock.t += DAY;
    const second = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
    await engine.syncAll();
    expect(vault.profiles.resolve(second.id)).toMatchObject({ syncState: 'synced', lastSyncType: 'replace' });
    // Kura's own word: T1 is void.
    expect(s.kura.state.invalidatedTokens.has(t1)).toBe(true);
    clock.t += DAY;
    return { first, second };
  };
  return { ...v, s, engine, clock, replaced };
}

function expectComesBackDead(vault: Vault, id: string): void {
  expect(vault.trash.restore(id).state).toBe('failed');
  expect(vault.profiles.resolve(id)).toMatchObject({
    syncState: 'failed',
    lastError: expect.stringContaining('Kura replaced this remote profile while it was in the trash'),
  });
  expect(() => vault.profiles.token(id)).toThrow(/404 \(the remote profile is missing\)/);
  expect(vault.profiles.get(id, { reveal: true }).authToken).toBeNull();
}

describe('a profile restored from the trash after a later one of its name replaced it on Kura', () => {
  it('comes back failed while the replacer is in the trash too', async () => {
    const { vault, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    expectComesBackDead(vault, first.id);
  });

  it('comes back failed when the replacer was purged for good', async () => {
    const { vault, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    vault.trash.purge(second.id);
    expect(vault.trash.list().map((e) => e.id)).toEqual([first.id]);
    expectComesBackDead(vault, first.id);
  });

  it('comes back failed when the replacer was renamed away', async () => {
    const { vault, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.edit(second.id, { name: 'staging' }, { confirmNewRemote: true });
    expectComesBackDead(vault, first.id);
    // The replacer itself is untouched: renamed, it waits for its new remote profile.
    expect(vault.profiles.resolve(second.id)).toMatchObject({ name: 'staging', syncState: 'pending' });
  });

  it('comes back failed when the replacer was purged by another process holding the vault open', async () => {
    const { vault, dir, clock, s } = await setup();
    const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await fastEngine(vault, { now: () => clock.t }).syncAll();
    const t1 = vault.profiles.token(first.id).authToken;
    vault.profiles.remove(first.id, { confirmTokenLoss: true });
    const other = Vault.open(dir, { now: () => clock.t });
    cleanups.push(() => other.close());
    await other.unlock(PASSWORD);
    clock.t += DAY;
    const second = other.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
    await fastEngine(other, { now: () => clock.t }).syncAll();
    other.profiles.remove(second.id, { confirmTokenLoss: true });
    other.trash.purge(second.id);
    expect(s.kura.state.invalidatedTokens.has(t1)).toBe(true);
    expectComesBackDead(vault, first.id);
  });

  // The replacer's create is answered after it was renamed, or deleted and purged: no profile keeps
  // the token Kura issued, yet it voided T1 all the same.
  for (const [what, meanwhile] of [
    ['renamed', (vault: Vault, id: string) => vault.profiles.edit(id, { name: 'staging' })],
    ['deleted and purged', (vault: Vault, id: string) => (vault.profiles.remove(id), vault.trash.purge(id))],
  ] as const) {
    it(`comes back failed when the replacer was ${what} while its create was in flight`, async () => {
      const { vault, engine, s } = await setup();
      const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
      await engine.syncAll();
      const t1 = vault.profiles.token(first.id).authToken;
      vault.profiles.remove(first.id, { confirmTokenLoss: true });
      const second = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
      s.kura.faults.next({ kind: 'slow', delayMs: 300 });
      const sent = s.kura.requests.length;
      const pass = engine.syncAll();
      while (s.kura.requests.length === sent) await new Promise((r) => setTimeout(r, 5));
      meanwhile(vault, second.id);
      await pass;
      expect(s.kura.state.invalidatedTokens.has(t1)).toBe(true);
      expectComesBackDead(vault, first.id);
    });
  }

  it('comes back synced, its token working, when nothing replaced it', async () => {
    const { vault, engine, s } = await setup();
    const only = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await engine.syncAll();
    const token = vault.profiles.token(only.id).authToken;
    vault.profiles.remove(only.id, { confirmTokenLoss: true });
    expect(vault.trash.restore(only.id).state).toBe('synced');
    expect(vault.profiles.token(only.id).authToken).toBe(token);
    expect(s.kura.profile('web', 'dev')?.token).toBe(token);
  });

  it('is not superseded by its own later syncs: an update, or a re-create after Kura lost it', async () => {
    const { vault, engine, s, clock } = await setup();
    const p = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await engine.syncAll();
    clock.t += DAY;
    vault.profiles.edit(p.id, { set: { K: 'b' } });
    await engine.syncAll();
    expect(vault.profiles.resolve(p.id).lastSyncType).toBe('update');
    vault.profiles.remove(p.id, { confirmTokenLoss: true });
    expect(vault.trash.restore(p.id).state).toBe('synced');

    // Kura loses it; the re-create gets a new token, which is the live one.
    s.kura.state.profiles.clear();
    vault.profiles.edit(p.id, { set: { K: 'c' } });
    await engine.syncAll();
    vault.profiles.recreate(p.id);
    clock.t += DAY;
    await engine.syncAll();
    const fresh = vault.profiles.token(p.id).authToken;
    vault.profiles.remove(p.id, { confirmTokenLoss: true });
    expect(vault.trash.restore(p.id).state).toBe('synced');
    expect(vault.profiles.token(p.id).authToken).toBe(fresh);
  });

  it('takes a token a bundle brought as the newest: a teammate re-created the name and shared it', async () => {
    const { vault, engine, s, clock } = await setup();
    const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await engine.syncAll();
    vault.profiles.remove(first.id, { confirmTokenLoss: true });
    const teammate = await newVault({ now: () => clock.t });
    cleanups.push(teammate.cleanup);
    connect(teammate.vault, s);
    teammate.vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 't' } });
    await fastEngine(teammate.vault, { now: () => clock.t }).syncAll();
    const theirs = teammate.vault.profiles.token('web/dev').authToken;
    const files = tempDir('keyhold-dead-token-');
    cleanups.push(files.cleanup);
    const file = join(files.dir, 'team.age');
    await exportToFile(teammate.vault, file, { all: true, includeTokens: true, target: { recipients: [(await vaultIdentity(vault)).recipient] } });
    await importFile(vault, file, { trustSigner: true });
    const imported = vault.profiles.resolve('web/dev');
    vault.profiles.remove(imported.id, { confirmTokenLoss: true });

    expect(vault.trash.restore(imported.id).state).not.toBe('failed');
    expect(vault.profiles.token(imported.id).authToken).toBe(theirs);
    vault.profiles.remove(imported.id, { confirmTokenLoss: true });
    expectComesBackDead(vault, first.id);
  });

  it('the newest of the two comes back synced, as before', async () => {
    const { vault, replaced } = await setup();
    const { second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    expect(vault.trash.restore(second.id).state).toBe('synced');
  });

  it('still knows after a password change, which re-keys the record', async () => {
    const { vault, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    vault.trash.purge(second.id);
    await vault.changePassword(PASSWORD, 'another long passphrase for this vault');
    expect(examine(vault).damaged).toEqual([]);
    expectComesBackDead(vault, first.id);
  });
});

describe('a damaged record of the last token', () => {
  it('is listed by the vault check, judged as an older vault is, and mended by the next sync of its name', async () => {
    const { vault, dir, engine, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    flipCell(dir, 'kura_identities', 'body', '1');
    expect(examine(vault).damaged).toEqual([expect.objectContaining({ table: 'kura_identities', column: 'body', item: 'Kura token record' })]);
    // No word from the record: the other trashed profile of the name still tells.
    expectComesBackDead(vault, first.id);

    vault.profiles.recreate(first.id);
    await engine.syncAll();
    expect(examine(vault).damaged).toEqual([]);
    vault.profiles.remove(first.id, { confirmTokenLoss: true });
    expect(vault.trash.restore(first.id).state).toBe('synced');
  });
});

describe('a vault from before the record (format 10)', () => {
  /** The vault as format 10 left it: no record table, so none of its tokens is noted. */
  function downgrade(dir: string): void {
    const db = raw(dir);
    db.exec('DROP TABLE kura_identities');
    db.pragma('user_version = 10');
    db.close();
  }

  it('is migrated at open; a replacer synced after it is known however it went', async () => {
    const { vault, dir, clock, engine } = await setup();
    const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
    await engine.syncAll();
    vault.profiles.remove(first.id, { confirmTokenLoss: true });
    vault.close();
    downgrade(dir);

    const reopened = Vault.open(dir, { now: () => clock.t });
    cleanups.push(() => reopened.close());
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(FORMAT_VERSION);
    await reopened.unlock(PASSWORD);
    clock.t += DAY;
    const second = reopened.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
    await fastEngine(reopened, { now: () => clock.t }).syncAll();
    reopened.profiles.remove(second.id, { confirmTokenLoss: true });
    reopened.trash.purge(second.id);
    expect(examine(reopened).damaged).toEqual([]);
    expectComesBackDead(reopened, first.id);
  });

  it('tokens it held before are judged as they were: by another trashed profile of the name', async () => {
    const { vault, dir, clock, replaced } = await setup();
    const { first, second } = await replaced();
    vault.profiles.remove(second.id, { confirmTokenLoss: true });
    vault.close();
    downgrade(dir);
    const reopened = Vault.open(dir, { now: () => clock.t });
    cleanups.push(() => reopened.close());
    await reopened.unlock(PASSWORD);
    expectComesBackDead(reopened, first.id);
  });
});
