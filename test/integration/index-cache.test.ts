import { describe, expect, it, vi } from 'vitest';
import { Cells } from '../../src/core/vault/cells';
import { tx } from '../../src/core/vault/db';
import { Vault } from '../../src/core/vault/vault';
import { newVault, PASSWORD } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

const cleanups = useCleanups();

const cacheRow = (v: Vault) =>
  v.db.prepare('SELECT c.gen AS cached, m.index_gen AS current FROM vault_meta m LEFT JOIN index_cache c ON c.id = 1').get() as {
    cached: number | null;
    current: number;
  };

describe('listing index snapshot and writes from other processes', () => {
  it('saves an encrypted snapshot at lock and uses it at the next unlock', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.createMany(Array.from({ length: 20 }, (_, i) => ({ agentId: 'a', name: `p${i}`, authData: { K: 'v' } })));
    const before = vault.profiles.list();
    vault.lock();
    expect(cacheRow(vault).cached).toBe(cacheRow(vault).current);
    // Prove the snapshot is what unlock reads: no profile meta cell is opened.
    const decrypt = vi.spyOn(Cells.prototype, 'decrypt');
    await vault.unlock(PASSWORD);
    expect(decrypt.mock.calls.filter(([table]) => table === 'profiles')).toEqual([]);
    decrypt.mockRestore();
    expect(vault.profiles.list()).toEqual(before);
    expect(vault.profiles.indexState).toBe('fresh');
    vault.lock();
  });

  it('keeps the listing order in the snapshot: a read after unlock sorts nothing, an older snapshot is sorted on read', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const names = ['zeta', 'Émile', 'alpha', 'beta', 'émile', 'Zed'];
    vault.profiles.createMany(names.map((name, i) => ({ agentId: i % 2 ? 'b' : 'a', name, authData: {} })));
    const ordered = vault.profiles.list().map((p) => `${p.agentId}/${p.name}`);
    const collator = new Intl.Collator();
    const expected = names
      .map((name, i) => ({ agentId: i % 2 ? 'b' : 'a', name }))
      .sort((x, y) => collator.compare(x.agentId, y.agentId) || collator.compare(x.name, y.name))
      .map((p) => `${p.agentId}/${p.name}`);
    expect(ordered).toEqual(expected);
    vault.lock();

    const sort = vi.spyOn(Array.prototype, 'sort');
    await vault.unlock(PASSWORD);
    expect(vault.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual(ordered);
    expect(sort).not.toHaveBeenCalled();
    sort.mockRestore();
    expect(vault.profiles.indexState).toBe('fresh');

    // A snapshot saved before the order was kept (no flag, any order) is sorted when read.
    const keys = (vault as unknown as { keys: Cells }).keys;
    const row = vault.db.prepare('SELECT body FROM index_cache WHERE id = 1').get() as { body: Buffer };
    const saved = keys.decrypt<{ items: unknown[]; sorted?: boolean }>('index_cache', '1', 'body', row.body);
    const legacy = { ...saved, items: [...saved.items].reverse() };
    delete legacy.sorted;
    const body = keys.encrypt('index_cache', '1', 'body', legacy);
    vault.lock();
    vault.db.prepare('UPDATE index_cache SET body = ? WHERE id = 1').run(body);
    await vault.unlock(PASSWORD);
    expect(vault.profiles.indexState).toBe('fresh');
    expect(vault.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual(ordered);
  });

  it('sees profiles written by another process while unlocked', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.create({ agentId: 'a', name: 'mine', authData: {} });
    const other = Vault.open(dir);
    await other.unlock(PASSWORD);
    other.profiles.create({ agentId: 'a', name: 'theirs', authData: {} });
    other.profiles.edit('a/mine', { set: { K: 'changed elsewhere' } });
    other.close();
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['mine', 'theirs']);
    expect(vault.profiles.get('a/mine').keys).toEqual(['K']);
    // Our own write after theirs keeps both.
    vault.profiles.create({ agentId: 'a', name: 'third', authData: {} });
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['mine', 'theirs', 'third']);
  });

  it('writes in one transaction move the generation once and check for other writers once; a rollback leaves none of them listed', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.createMany(['p0', 'p1', 'p2'].map((name) => ({ agentId: 'a', name, authData: {} })));
    const gen = () => cacheRow(vault).current;
    const before = gen();
    tx(vault.db, () => {
      for (const name of ['p0', 'p1', 'p2']) vault.profiles.edit(`a/${name}`, { set: { K: name } });
    });
    expect(gen()).toBe(before + 1);
    // Another process sees every write of that transaction.
    const other = Vault.open(dir);
    await other.unlock(PASSWORD);
    expect(other.profiles.list().map((p) => p.keys)).toEqual([['K'], ['K'], ['K']]);
    other.profiles.create({ agentId: 'a', name: 'theirs', authData: {} });
    other.close();
    // The once-per-transaction check belongs to that transaction: the next one sees their write.
    expect(tx(vault.db, () => vault.profiles.list().map((p) => p.name))).toEqual(['p0', 'p1', 'p2', 'theirs']);
    expect(() =>
      tx(vault.db, () => {
        vault.profiles.create({ agentId: 'a', name: 'rolled-back-1', authData: {} });
        vault.profiles.create({ agentId: 'a', name: 'rolled-back-2', authData: {} });
        throw new Error('stop here');
      }),
    ).toThrow('stop here');
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['p0', 'p1', 'p2', 'theirs']);
    vault.profiles.create({ agentId: 'a', name: 'after', authData: {} });
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['after', 'p0', 'p1', 'p2', 'theirs']);
  });

  it('ignores a stale or damaged snapshot and rebuilds from the rows', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.create({ agentId: 'a', name: 'one', authData: {} });
    vault.close();
    const writer = Vault.open(dir);
    await writer.unlock(PASSWORD);
    writer.db.prepare('DELETE FROM index_cache').run();
    writer.profiles.create({ agentId: 'a', name: 'two', authData: {} });
    writer.close();
    const stale = Vault.open(dir);
    stale.db.prepare('UPDATE index_cache SET body = zeroblob(64)').run();
    await stale.unlock(PASSWORD);
    expect(stale.profiles.list().map((p) => p.name)).toEqual(['one', 'two']);
    stale.close();
  });
});
