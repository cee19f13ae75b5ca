import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell, raw } from './tamper';

const cleanups = useCleanups();

interface Saved {
  gen: number;
  body: Buffer;
}

// Attack: the listing index snapshot (index_cache) is encrypted, so it cannot be forged outright,
// but an old one can be replayed: copy it aside, let the person delete or rename a profile, then
// put the old snapshot back with a matching generation counter. Before: the listing showed the
// deleted profile under its old name, over the rows. Now: the snapshot is bound to a digest of
// the rows it was made from, so it is detected as stale and the index is rebuilt from the rows.
describe('a replayed (stale) index snapshot', () => {
  it('is detected and the listing comes from the rows', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'old-name', authData: { K: 'v' } });
    v.vault.profiles.create({ agentId: 'crm', name: 'deleted-later', authData: { K: 'v' } });
    v.vault.close();
    let db = raw(v.dir);
    const saved = db.prepare('SELECT gen, body FROM index_cache WHERE id = 1').get() as Saved;
    db.close();

    const vault = Vault.open(v.dir);
    await vault.unlock(PASSWORD);
    vault.profiles.edit('crm/old-name', { name: 'new-name' });
    vault.profiles.remove('crm/deleted-later');
    vault.close();

    db = raw(v.dir);
    db.prepare('UPDATE index_cache SET gen = ?, body = ? WHERE id = 1').run(saved.gen, saved.body);
    db.prepare('UPDATE vault_meta SET index_gen = ? WHERE id = 1').run(saved.gen);
    db.close();

    const reopened = Vault.open(v.dir);
    cleanups.push(() => reopened.close());
    await reopened.unlock(PASSWORD);
    expect(reopened.profiles.indexState).toBe('stale');
    expect(reopened.profiles.list().map((p) => p.name)).toEqual(['new-name']);
  });

  it('a row changed outside Keyhold without touching the counter is not hidden by the snapshot', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'a', authData: { K: 'v' } });
    v.vault.profiles.create({ agentId: 'crm', name: 'b', authData: { K: 'v' } });
    v.vault.close();
    const db = raw(v.dir);
    db.prepare('DELETE FROM profiles WHERE id = (SELECT id FROM profiles LIMIT 1)').run();
    db.close();
    const reopened = Vault.open(v.dir);
    cleanups.push(() => reopened.close());
    await reopened.unlock(PASSWORD);
    expect(reopened.profiles.indexState).toBe('stale');
    expect(reopened.profiles.list()).toHaveLength(1);
  });

  it('a meta cell damaged after the snapshot was saved makes the snapshot stale, so the damage shows', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const p = v.vault.profiles.create({ agentId: 'crm', name: 'a', authData: { K: 'v' } });
    v.vault.close();
    // The middle of the cell, not its tag.
    flipCell(v.dir, 'profiles', 'meta', 'id = ?', p.id);
    const reopened = Vault.open(v.dir);
    cleanups.push(() => reopened.close());
    await reopened.unlock(PASSWORD);
    expect(reopened.profiles.indexState).toBe('stale');
    expect(reopened.profiles.damaged()).toEqual([p.id]);
  });
});
