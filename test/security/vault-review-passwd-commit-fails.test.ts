import { describe, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';
import { Vault } from '../../src/core/vault/vault';

const cleanups = useCleanups();
const NEW = 'a different master password entirely';

/**
 * Makes the next password change fail at COMMIT, after every statement of it ran: a deferred
 * foreign key that the change breaks is checked only then. A full disk does the same to a vault in
 * WAL mode (the transaction's pages reach the log only when it commits), as does an I/O error.
 */
function commitWillFail(vault: Vault): void {
  vault.db.exec(`
    CREATE TABLE review_trap (x INTEGER REFERENCES vault_meta(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER review_trap_wrap AFTER UPDATE OF wrapped_key ON vault_meta BEGIN INSERT INTO review_trap VALUES (2); END;
  `);
}

// Bad luck: passwd's transaction fails at its very end (the disk fills while the log is written).
// Before: the rollback kept the old key in the file, but the process went on with the new key, and
// zeroed it: every later read or write said "The vault is locked" while the vault said it was
// unlocked (the desktop app's window stayed unlocked and refused everything). Now the process keeps the old key, which the file still holds.
describe('passwd whose transaction fails at commit', () => {
  it('keeps the old key in use: the vault reads, writes and closes, and opens with the old password', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const kept = v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-before-0123456789' } });
    commitWillFail(v.vault);

    await expect(v.vault.changePassword(PASSWORD, NEW)).rejects.toThrow();
    expect(v.vault.unlocked).toBe(true);
    expect(v.vault.profiles.get(kept.id, { reveal: true }).authData.API_KEY).toBe('sk-before-0123456789');
    const after = v.vault.profiles.create({ agentId: 'crm', name: 'after', authData: { API_KEY: 'sk-after-0123456789' } });
    expect(() => v.vault.close()).not.toThrow();

    const again = Vault.open(v.dir);
    await expect(again.unlock(NEW)).rejects.toMatchObject({ code: 'WrongPassword' });
    await again.unlock(PASSWORD);
    expect(again.profiles.damaged()).toEqual([]);
    expect(again.profiles.get(after.id, { reveal: true }).authData.API_KEY).toBe('sk-after-0123456789');
    expect(again.audit.verify().ok).toBe(true);
    again.close();
  });
});
