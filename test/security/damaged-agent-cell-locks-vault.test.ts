import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { refusal, useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell } from './tamper';

const cleanups = useCleanups();

// Attack: one damaged byte in an agent declaration. Before: every unlock failed. Now: only that
// agent's declaration is unusable (its keys cannot be checked, so profiles for it are refused
// with Damaged until it is declared again), and the vault opens.
describe('a damaged agent declaration cell', () => {
  it('quarantines the declaration; declaring the agent again replaces it', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.agents.set({ agentId: 'crm', args: ['K'] });
    v.vault.agents.set({ agentId: 'mail', args: ['M'] });
    v.vault.profiles.create({ agentId: 'mail', name: 'p', authData: { M: 'v' } });
    const badId = (v.vault.db.prepare('SELECT id FROM agents WHERE lookup = ?').get(v.vault.cells().lookup('agents', 'crm')) as { id: string }).id;
    v.vault.close();
    flipCell(v.dir, 'agents', 'body', 'id = ?', badId);

    const vault = Vault.open(v.dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    expect(vault.agents.list().map((a) => a.agentId)).toEqual(['mail']);
    expect(vault.agents.damaged()).toEqual([badId]);
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['p']);
    const e = refusal(() => vault.profiles.create({ agentId: 'crm', name: 'x', authData: { K: 'v' } }));
    expect(e.code).toBe('Damaged');
    expect(e.message).toContain(badId);

    vault.agents.set({ agentId: 'crm', args: ['K'] });
    expect(vault.agents.damaged()).toEqual([]);
    vault.profiles.create({ agentId: 'crm', name: 'x', authData: { K: 'v' } });
    // Sorted by agent, then name: crm/x before mail/p.
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['x', 'p']);
  });

  it('doctor lists it', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.agents.set({ agentId: 'crm', args: ['K'] });
    const id = (v.vault.db.prepare('SELECT id FROM agents').get() as { id: string }).id;
    v.vault.close();
    flipCell(v.dir, 'agents', 'body', 'id = ?', id);
    const r = await keyhold(['doctor', '--json'], { env: { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code).toBe(8);
    expect(r.json<{ damaged: unknown[] }>().damaged).toEqual([{ table: 'agents', rowId: id, column: 'body', item: 'agent declaration' }]);
  });
});
