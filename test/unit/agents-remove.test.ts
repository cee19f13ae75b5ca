import { afterEach, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { newVault, PASSWORD } from '../helpers/vault';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('removing an agent declaration', () => {
  it('forgets the arguments (its profiles accept any key again), survives a reopen, and is audited', async () => {
    const t = await newVault();
    cleanup = t.cleanup;
    t.vault.agents.set({ agentId: 'crm', args: ['USER'] });
    expect(() => t.vault.agents.checkKeys('crm', ['TOKEN'])).toThrow(/does not declare/);
    const removed = t.vault.agents.remove('crm');
    expect(removed.args).toEqual(['USER']);
    expect(t.vault.agents.list()).toEqual([]);
    expect(() => t.vault.agents.checkKeys('crm', ['TOKEN'])).not.toThrow();
    expect(() => t.vault.agents.remove('crm')).toThrow(/No agent "crm" is declared/);
    const audit = t.vault.audit.list({ limit: 10, event: 'agent_changed' });
    expect(audit.some((e) => e.detail.removed === true)).toBe(true);
    t.vault.close();

    const again = Vault.open(t.dir);
    await again.unlock(PASSWORD);
    expect(again.agents.list()).toEqual([]);
    again.close();
  });
});
