import { describe, expect, it } from 'vitest';
import { CELL_TABLES, NOT_CELLS } from '../../src/core/vault/cell-map';
import { Cells } from '../../src/core/vault/cells';
import { readHeader, unwrapVaultKey } from '../../src/core/vault/header';
import { Vault } from '../../src/core/vault/vault';
import { refusal, useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';
import { raw } from './tamper';

const cleanups = useCleanups();
const NEW_PASSWORD = 'an entirely different passphrase';

/** How many cells of the file open under `key`. */
function cellsOpening(db: ReturnType<typeof raw>, vaultId: string, key: Buffer): number {
  const cells = new Cells(vaultId, key);
  let opened = 0;
  for (const spec of CELL_TABLES) {
    const rows = db.prepare(`SELECT ${spec.rowId} AS _id, ${spec.columns.join(', ')} FROM ${spec.table}`).all() as Record<string, unknown>[];
    for (const row of rows) {
      for (const column of spec.columns) {
        const cell = row[column];
        if (!Buffer.isBuffer(cell)) continue;
        try {
          cells.decrypt(spec.table, String(row._id), column, cell);
          opened++;
        } catch {
          // expected: not this key's cell
        }
      }
    }
  }
  cells.zero();
  return opened;
}

// Attack: keep a copy of the vault header (vault_meta) from before a password change, e.g. from an
// old backup or a leaked old password, and graft it onto the current file. Before: passwd only
// re-wrapped the same vault key, so the old header and old password opened everything written
// since. Now: passwd rotates the vault key and re-encrypts every cell, so the old header yields a
// key that opens nothing in the new file.
describe('an old header grafted onto the vault after passwd', () => {
  it('reveals nothing written after the change, nor anything re-encrypted by it', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const vault = v.vault;
    vault.profiles.create({ agentId: 'crm', name: 'before', authData: { K: 'old secret' } });
    vault.agents.set({ agentId: 'crm', args: ['K'] });
    vault.byok.set({ kind: 'claude', provider: 'anthropic', apiKey: 'sk-ant-before-0123456789abc' });
    vault.remotes.set({ kind: 'kura', url: 'https://kura.example', credential: 'kura-api-key-before' });
    let db = raw(v.dir);
    const oldMeta = db.prepare('SELECT * FROM vault_meta WHERE id = 1').get() as Record<string, unknown>;
    db.close();

    const { cells } = await vault.changePassword(PASSWORD, NEW_PASSWORD);
    expect(cells).toBeGreaterThan(10);
    vault.profiles.create({ agentId: 'crm', name: 'after', authData: { K: 'new secret' } });
    vault.profiles.edit('crm/before', { set: { K: 'changed after' } });
    vault.close();

    // The new password opens everything.
    const check = Vault.open(v.dir);
    await check.unlock(NEW_PASSWORD);
    expect(check.profiles.get('crm/after', { reveal: true }).authData).toEqual({ K: 'new secret' });
    expect(check.byok.get('claude', { reveal: true }).apiKey).toBe('sk-ant-before-0123456789abc');
    expect(check.audit.verify().ok).toBe(true);
    check.close();

    // Graft the whole old vault_meta row back.
    db = raw(v.dir);
    const cols = Object.keys(oldMeta);
    db.prepare(`UPDATE vault_meta SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = 1`).run(oldMeta);
    const header = readHeader(db);
    const oldKey = await unwrapVaultKey(header, PASSWORD);
    expect(cellsOpening(db, header.vault_id, oldKey)).toBe(
      // Only the grafted row's own audit head, which came back with it.
      1,
    );
    db.close();

    // Through Keyhold: the old password "opens" the grafted file but every item is unreadable.
    const grafted = Vault.open(v.dir);
    cleanups.push(() => grafted.close());
    await grafted.unlock(PASSWORD);
    expect(grafted.profiles.list()).toEqual([]);
    expect(grafted.profiles.damaged()).toHaveLength(2);
    expect(grafted.byok.list()).toEqual([]);
    expect(grafted.remotes.list()).toEqual([]);
    // Its blind index tags are keyed by the new key too: the old key cannot even find a name.
    expect(refusal(() => grafted.profiles.get('crm/after', { reveal: true })).code).toBe('NotFound');
    expect(refusal(() => grafted.profiles.get(grafted.profiles.damaged()[0] as string, { reveal: true })).code).toBe('Damaged');
    expect(grafted.audit.verify().ok).toBe(false);
  });

  it('the rotation covers every BLOB column of the schema (a new encrypted column must join CELL_TABLES)', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const tables = v.vault.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[];
    const covered = new Set(CELL_TABLES.flatMap((t) => t.columns.map((c) => `${t.table}.${c}`)));
    const uncovered: string[] = [];
    for (const { name } of tables) {
      const columns = v.vault.db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as { name: string; type: string }[];
      for (const c of columns) {
        if (c.type.toUpperCase() !== 'BLOB') continue;
        const exempt = [...(NOT_CELLS[name] ?? []), ...(NOT_CELLS['*'] ?? [])].includes(c.name);
        if (!exempt && !covered.has(`${name}.${c.name}`)) uncovered.push(`${name}.${c.name}`);
      }
    }
    expect(uncovered).toEqual([]);
  });

  it('ends every session, and a process still holding the old key is locked, not writing under it', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
    const other = Vault.open(v.dir);
    cleanups.push(() => other.close());
    await other.unlock(PASSWORD);
    const { createSession, unlockWithSession } = await import('../../src/core/vault/sessions');
    const session = createSession(v.vault);
    await v.vault.changePassword(PASSWORD, NEW_PASSWORD);
    const e = refusal(() => other.profiles.create({ agentId: 'crm', name: 'stale', authData: { K: 'v' } }));
    expect(e.code).toBe('VaultLocked');
    expect(other.unlocked).toBe(false);
    v.vault.close();
    const again = Vault.open(v.dir);
    cleanups.push(() => again.close());
    expect(refusal(() => unlockWithSession(again, session.token)).code).toBe('SessionInvalid');
    await again.unlock(NEW_PASSWORD);
    expect(again.profiles.list().map((p) => p.name)).toEqual(['p']);
    expect(again.profiles.damaged()).toEqual([]);
  });
});
