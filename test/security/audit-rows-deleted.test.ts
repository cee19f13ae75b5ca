import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { raw } from './tamper';

const cleanups = useCleanups();

async function vaultWithHistory() {
  const v = await newVault();
  cleanups.push(v.cleanup);
  v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
  v.vault.profiles.get('crm/p', { reveal: true });
  v.vault.close();
  return v.dir;
}

// Attack: someone who revealed secrets removes the traces from the audit log, by deleting rows
// (all of them, the oldest, or the newest). log --verify must fail, and go on failing after
// later unlocks append new entries.
describe('audit log rows deleted outside Keyhold', () => {
  const cases: [string, string][] = [
    ['every row', 'DELETE FROM audit_log'],
    ['the oldest rows', 'DELETE FROM audit_log WHERE seq <= 2'],
    ['the newest rows', 'DELETE FROM audit_log WHERE seq >= (SELECT max(seq) - 1 FROM audit_log)'],
  ];
  for (const [what, statement] of cases) {
    it(`${what}: verification fails, also after further unlocks`, async () => {
      const dir = await vaultWithHistory();
      const db = raw(dir);
      db.prepare(statement).run();
      db.close();
      for (let round = 0; round < 2; round++) {
        const vault = Vault.open(dir);
        await vault.unlock(PASSWORD);
        expect(vault.audit.verify().ok).toBe(false);
        vault.close();
      }
      const r = await keyhold(['log', '--verify'], { env: { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD } });
      expect(r.code).toBe(8);
      expect(r.stdout).toContain('CHAIN BROKEN');
    });
  }

  it('every row and the head together: verification fails', async () => {
    const dir = await vaultWithHistory();
    const db = raw(dir);
    db.prepare('DELETE FROM audit_log').run();
    db.prepare('UPDATE vault_meta SET audit_head = NULL').run();
    db.close();
    const r = await keyhold(['log', '--verify', '--json'], { env: { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code).toBe(8);
    expect(r.json<{ verify: { ok: boolean } }>().verify.ok).toBe(false);
  });

  it('a password change (which recomputes every MAC under the new key) does not launder the gap', async () => {
    const dir = await vaultWithHistory();
    const db = raw(dir);
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    db.close();
    const vault = Vault.open(dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    await vault.changePassword(PASSWORD, 'a completely new master password');
    const verified = vault.audit.verify();
    expect(verified.ok).toBe(false);
  });
});
