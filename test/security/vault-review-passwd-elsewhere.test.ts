import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';

const cleanups = useCleanups();
const A = 'the first new master password';
const B = 'the second new master password';

async function opensWith(dir: string, password: string, others: string[]): Promise<void> {
  const vault = Vault.open(dir);
  try {
    for (const other of others) await expect(vault.unlock(other)).rejects.toMatchObject({ code: 'WrongPassword' });
    await vault.unlock(password);
    expect(vault.profiles.damaged()).toEqual([]);
    expect(vault.profiles.get('crm/prod', { reveal: true }).authData.API_KEY).toBe('sk-kept-0123456789');
    expect(vault.audit.verify().ok).toBe(true);
  } finally {
    vault.close();
  }
}

// A second Keyhold holds the vault open, unlocked (a `keyhold import` waiting at its question, the
// window left open), while `keyhold passwd` rotates the key. Before: closing that second vault threw
// "Cannot read properties of null (reading 'zero')" and left its database open: the command waiting
// reported "Something went wrong inside Keyhold" (exit 1) instead of finishing or naming the change.
describe('a vault held open while another process changes the password', () => {
  it('closes cleanly, saving nothing under the old key, and says so on its next use', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-kept-0123456789' } });
    const held = Vault.open(v.dir);
    await held.unlock(PASSWORD);
    held.profiles.list();
    await v.vault.changePassword(PASSWORD, A);
    v.vault.close();

    expect(() => held.close()).not.toThrow();
    expect(held.unlocked).toBe(false);
    expect(held.db.open).toBe(false);
    await opensWith(v.dir, A, [PASSWORD]);

    // Used instead of closed: the change is named, and closing afterwards is quiet too.
    const again = Vault.open(v.dir);
    await again.unlock(A);
    const other = Vault.open(v.dir);
    await other.unlock(A);
    await other.changePassword(A, B);
    other.close();
    expect(() => again.profiles.list()).toThrow(/The master password was changed in another Keyhold window or command/);
    expect(() => again.close()).not.toThrow();
    await opensWith(v.dir, B, [PASSWORD, A]);
  });

  it('two password changes at once: one wins, the other is refused, and the vault opens with the winner’s password only', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-kept-0123456789' } });
    const second = Vault.open(v.dir);
    await second.unlock(PASSWORD);
    // Both derive their keys at once (Argon2 runs off the main thread), then both write.
    const results = await Promise.allSettled([v.vault.changePassword(PASSWORD, A), second.changePassword(PASSWORD, B)]);
    const won = results.map((r) => r.status === 'fulfilled');
    expect(won.filter(Boolean)).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(['Conflict', 'VaultLocked']).toContain((lost.reason as { code?: string }).code);
    expect(String((lost.reason as Error).message)).toMatch(/changed .*(meanwhile|in another Keyhold)/);
    expect(String((lost.reason as Error).message)).not.toContain(B);
    expect(() => v.vault.close()).not.toThrow();
    expect(() => second.close()).not.toThrow();
    await opensWith(v.dir, won[0] ? A : B, [PASSWORD, won[0] ? B : A]);
  });
});
