import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { raw } from './tamper';

const cleanups = useCleanups();

// Attack: set vault_meta.audit_head to NULL (alone, or after deleting the newest entries, whose
// removal the head would otherwise reveal). Before: the next unlock failed outright, or, with the
// rows gone too, the chain started over and verified. Now: the vault opens and verification fails.
describe('audit chain head set to NULL', () => {
  for (const alsoDeleteNewest of [false, true]) {
    it(`${alsoDeleteNewest ? 'with the newest entries deleted: ' : ''}the vault opens and log --verify fails`, async () => {
      const v = await newVault();
      cleanups.push(v.cleanup);
      v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
      v.vault.profiles.get('crm/p', { reveal: true });
      v.vault.close();
      const db = raw(v.dir);
      if (alsoDeleteNewest) db.prepare("DELETE FROM audit_log WHERE event = 'secret_revealed'").run();
      db.prepare('UPDATE vault_meta SET audit_head = NULL').run();
      db.close();

      const vault = Vault.open(v.dir);
      await vault.unlock(PASSWORD);
      expect(vault.profiles.list().map((p) => p.name)).toEqual(['p']);
      expect(vault.audit.verify()).toMatchObject({ ok: false });
      vault.close();
      // Later unlocks write a fresh head; the recorded break keeps the chain failing.
      const r = await keyhold(['log', '--verify'], { env: { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD } });
      expect(r.code).toBe(8);
      expect(r.stdout).toMatch(/CHAIN BROKEN.*head was found missing or damaged/);
    });
  }

  it('doctor reports the chain as broken (exit 8)', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.close();
    const db = raw(v.dir);
    db.prepare('UPDATE vault_meta SET audit_head = NULL').run();
    db.close();
    const r = await keyhold(['doctor', '--json'], { env: { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code).toBe(8);
    expect(r.json<{ audit: { ok: boolean } }>().audit.ok).toBe(false);
  });
});
