import { describe, expect, it } from 'vitest';
import { collectExport } from '../../src/core/share/export';
import { tx } from '../../src/core/vault/db';
import type { Vault } from '../../src/core/vault/vault';
import { flipCell, raw } from '../security/tamper';
import { refusal, useCleanups } from '../helpers/cleanup';
import { newVault } from '../helpers/vault';

// ItemStore.bulkRead: many cells read in one read transaction with the vault key checked once.
// Another process is a second connection to the same file, committing while the read runs.

const cleanups = useCleanups();

async function withProfiles(n: number): Promise<{ vault: Vault; dir: string }> {
  const v = await newVault();
  cleanups.push(v.cleanup);
  v.vault.profiles.createMany(Array.from({ length: n }, (_, i) => ({ agentId: 'a', name: `p${i}`, authData: { K: `value ${i}` } })));
  return v;
}

/** What another Keyhold process's password change leaves in the header: a different wrapped key. */
function rotateElsewhere(dir: string): void {
  const db = raw(dir);
  try {
    const { wrapped_key } = db.prepare('SELECT wrapped_key FROM vault_meta WHERE id = 1').get() as { wrapped_key: Buffer };
    const other = Buffer.from(wrapped_key);
    other[0] = (other[0] as number) ^ 1;
    db.prepare('UPDATE vault_meta SET wrapped_key = ? WHERE id = 1').run(other);
  } finally {
    db.close();
  }
}

describe('bulk reads of item cells', () => {
  it('opens every live item with the same values as the one-by-one path', async () => {
    const { vault } = await withProfiles(5);
    const store = vault.profiles.store;
    const one = vault.profiles.list().map((s) => [s.id, store.secrets(store.secretRow(s.id)!).authData] as const);
    const bulk = store.bulkRead((rows) => [...rows.values()].map((r) => [r.id, store.secrets(r).authData] as const));
    expect(new Map(bulk)).toEqual(new Map(one));
    expect(bulk).toHaveLength(5);
  });

  it('sees one state of the file while another process commits', async () => {
    const { vault, dir } = await withProfiles(3);
    const store = vault.profiles.store;
    const seen = store.bulkRead((rows) => {
      const other = raw(dir);
      try {
        other.prepare('DELETE FROM profiles').run();
      } finally {
        other.close();
      }
      // The rows were read before the delete; reads after it, in the same read, still see them.
      const again = (vault.db.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number }).n;
      return { rows: rows.size, again, values: [...rows.values()].map((r) => store.secrets(r).authData.K).sort() };
    });
    expect(seen).toEqual({ rows: 3, again: 3, values: ['value 0', 'value 1', 'value 2'] });
    // Outside the read, the delete is seen.
    expect((vault.db.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number }).n).toBe(0);
  });

  it('checks the key once at the start: a password change before the read locks the vault', async () => {
    const { vault, dir } = await withProfiles(2);
    rotateElsewhere(dir);
    const e = refusal(() => vault.profiles.store.bulkRead((rows) => rows.size));
    expect(e.code).toBe('VaultLocked');
    expect(vault.unlocked).toBe(false);
  });

  it('a password change committed during the read is still found by the next read after it', async () => {
    const { vault, dir } = await withProfiles(2);
    const store = vault.profiles.store;
    const values = store.bulkRead((rows) => {
      rotateElsewhere(dir);
      // The read's own state still holds the key it checked: its cells open.
      return [...rows.values()].map((r) => store.secrets(r).authData.K).sort();
    });
    expect(values).toEqual(['value 0', 'value 1']);
    // The check the read made must not hide the change from the next one.
    expect(refusal(() => vault.profiles.list()).code).toBe('VaultLocked');
    expect(vault.unlocked).toBe(false);
  });

  it('the checked key does not outlive the read, even when the read throws', async () => {
    const { vault, dir } = await withProfiles(1);
    const store = vault.profiles.store;
    const [row] = store.bulkRead((rows) => [...rows.values()]);
    expect(() =>
      store.bulkRead(() => {
        throw new Error('reader failed');
      }),
    ).toThrow('reader failed');
    rotateElsewhere(dir);
    // Outside a bulk read every cell opened checks the key against the file again.
    expect(refusal(() => store.secrets(row!)).code).toBe('VaultLocked');
  });

  it('reports a damaged cell exactly as the one-by-one path does', async () => {
    const { vault, dir } = await withProfiles(3);
    const victim = vault.profiles.resolve('a/p1').id;
    flipCell(dir, 'profiles', 'secrets', 'id = ?', victim);
    const store = vault.profiles.store;
    const single = refusal(() => store.secrets(store.secretRow(victim)!));
    const bulk = store.bulkRead((rows) => refusal(() => store.secrets(rows.get(victim)!)));
    expect(single.code).toBe('Damaged');
    expect({ code: bulk.code, message: bulk.message, field: bulk.field }).toEqual({ code: single.code, message: single.message, field: single.field });
    expect(bulk.message).toContain(victim);
    // The other items of the same read still open.
    const others = store.bulkRead((rows) => [...rows.values()].filter((r) => r.id !== victim).map((r) => store.secrets(r).authData.K));
    expect(others.sort()).toEqual(['value 0', 'value 2']);
  });

  it('an export refuses a damaged profile, or leaves it out when salvaging', async () => {
    const { vault, dir } = await withProfiles(3);
    const victim = vault.profiles.resolve('a/p2').id;
    flipCell(dir, 'profiles', 'secrets', 'id = ?', victim);
    expect(refusal(() => collectExport(vault, { all: true })).code).toBe('Damaged');
    const salvaged = collectExport(vault, { all: true, skipDamaged: true });
    expect(salvaged.items.profiles.map((p) => p.name).sort()).toEqual(['p0', 'p1']);
  });

  it('runs inside a transaction already open', async () => {
    const { vault } = await withProfiles(2);
    const n = tx(vault.db, () => {
      vault.profiles.create({ agentId: 'a', name: 'inside', authData: { K: 'new' } });
      return vault.profiles.store.bulkRead((rows) => rows.size);
    });
    expect(n).toBe(3);
  });
});
