import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell } from './tamper';

const cleanups = useCleanups();

// Attack: one damaged byte in vault_meta.audit_head. Before: every unlock failed (the unlock
// audits itself, which needs the head). Now: the vault opens, the chain goes on from its last
// entry after a recorded break, and verification keeps failing so the damage is never hidden.
describe('a damaged audit chain head', () => {
  it('does not lock the vault, and the break stays visible to log --verify', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
    v.vault.close();
    flipCell(v.dir, 'vault_meta', 'audit_head', 'id = 1');

    const vault = Vault.open(v.dir);
    await vault.unlock(PASSWORD);
    expect(vault.profiles.get('crm/p', { reveal: true }).authData).toEqual({ K: 'v' });
    const events = vault.audit.list().map((e) => e.event);
    expect(events.slice(0, 2)).toEqual(['secret_revealed', 'unlock_ok']);
    expect(events).toContain('audit_chain_broken');
    const verified = vault.audit.verify();
    expect(verified.ok).toBe(false);
    expect(verified.problem).toMatch(/head was found missing or damaged/);
    vault.close();

    const r = await keyhold(['log', '--verify'], { env: { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code).toBe(8);
    expect(r.stdout).toContain('CHAIN BROKEN');
  });
});
