import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { refusal, useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell, raw } from './tamper';

const cleanups = useCleanups();

// Attack: one damaged byte in one profile's meta cell. Before: the unlock failed (TamperedCell)
// and the whole vault was lost. Now: that profile is quarantined and everything else opens.
describe('a damaged profile meta cell', () => {
  async function damagedVault() {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'good', authData: { K: 'kept' } });
    const bad = v.vault.profiles.create({ agentId: 'crm', name: 'bad', authData: { K: 'lost' } });
    v.vault.byok.set({ kind: 'claude', provider: 'anthropic', apiKey: 'sk-ant-0123456789abcdefghij' });
    v.vault.close();
    flipCell(v.dir, 'profiles', 'meta', 'id = ?', bad.id);
    // With no saved snapshot the index is built from the rows (the snapshot case is below).
    const db = raw(v.dir);
    db.prepare('DELETE FROM index_cache').run();
    db.close();
    return { ...v, badId: bad.id };
  }

  it('quarantines only that profile: the vault unlocks, the rest lists and reads', async () => {
    const { dir, badId } = await damagedVault();
    const vault = Vault.open(dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['good']);
    expect(vault.profiles.get('crm/good', { reveal: true }).authData).toEqual({ K: 'kept' });
    expect(vault.byok.list().map((b) => b.kind)).toEqual(['claude']);
    expect(vault.profiles.damaged()).toEqual([badId]);
    // Every way of naming it gives a Damaged error with its id, never a wrong item or "not found".
    for (const ref of [badId, badId.slice(0, 8), 'crm/bad']) {
      const e = refusal(() => vault.profiles.get(ref));
      expect(e.code).toBe('Damaged');
      expect(e.message).toContain(badId);
    }
    expect(refusal(() => vault.profiles.edit('crm/bad', { set: { K: 'x' } })).code).toBe('Damaged');
    // It can be thrown away, and then the name is free again.
    vault.profiles.remove(badId);
    expect(vault.profiles.damaged()).toEqual([]);
    vault.profiles.create({ agentId: 'crm', name: 'bad', authData: { K: 'again' } });
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['bad', 'good']);
  });

  it('stays quarantined when the next unlock starts from the saved snapshot', async () => {
    const { dir, badId } = await damagedVault();
    const first = Vault.open(dir);
    await first.unlock(PASSWORD);
    first.close();
    const second = Vault.open(dir);
    cleanups.push(() => second.close());
    await second.unlock(PASSWORD);
    expect(second.profiles.indexState).toBe('fresh');
    expect(second.profiles.damaged()).toEqual([badId]);
    expect(refusal(() => second.profiles.get(badId)).code).toBe('Damaged');
  });

  it('a damaged secrets cell is a Damaged error on that profile, with its id', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const p = v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
    v.vault.close();
    flipCell(v.dir, 'profiles', 'secrets', 'id = ?', p.id);
    const vault = Vault.open(v.dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    const e = refusal(() => vault.profiles.get('crm/p', { reveal: true }));
    expect(e.code).toBe('Damaged');
    expect(e.message).toContain(p.id);
    // Found damaged, it is quarantined like a damaged meta cell, and a sync skips it.
    expect(vault.profiles.damaged()).toEqual([p.id]);
    expect(vault.profiles.loadForPush(p.id)).toBeNull();
  });

  it('the CLI marks it in listings and doctor names its table, row and column (exit 8)', async () => {
    const { dir, badId } = await damagedVault();
    const env = { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD };
    const list = await keyhold(['profile', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${badId}\\s+\\(unreadable\\)\\s+DAMAGED`));
    expect(list.stdout).toContain('crm/good');
    expect(list.stderr).toContain(badId);
    const json = await keyhold(['profile', 'list', '--json'], { env });
    expect(json.json<{ name: string }[]>().map((p) => p.name)).toEqual(['good']);
    const show = await keyhold(['profile', 'show', 'crm/bad'], { env });
    expect(show.code).toBe(8);
    expect(show.stderr).toContain(badId);
    expect(show.stderr).toContain('keyhold doctor');

    const doctor = await keyhold(['doctor', '--json'], { env });
    expect(doctor.code).toBe(8);
    const report = doctor.json<{ ok: boolean; damaged: unknown[]; header: { ok: boolean }; audit: { ok: boolean } }>();
    expect(report.ok).toBe(false);
    expect(report.header.ok).toBe(true);
    expect(report.audit.ok).toBe(true);
    expect(report.damaged).toEqual([{ table: 'profiles', rowId: badId, column: 'meta', item: 'profile', trashed: false }]);
    const text = await keyhold(['doctor'], { env });
    expect(text.stdout).toMatch(new RegExp(`profiles\\s+${badId}\\s+meta\\s+profile`));
  });

  it('doctor on a healthy vault says so (exit 0)', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
    v.vault.close();
    const r = await keyhold(['doctor', '--json'], { env: { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, damaged: [], audit: { ok: true }, header: { ok: true }, database: { ok: true } });
  });
});
