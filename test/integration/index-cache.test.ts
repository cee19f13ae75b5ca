import { describe, expect, it, vi } from 'vitest';
import { Cells } from '../../src/core/vault/cells';
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
