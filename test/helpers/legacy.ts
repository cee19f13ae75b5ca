import type { Vault } from '../../src/core/vault/vault';

/**
 * A profile as a vault written before a rule may hold it: straight to the rows, as the old code
 * wrote it, past every check the vault makes today. Returns its id.
 */
export function writeLegacyProfile(vault: Vault, profile: { agentId: string; name: string; authData: Record<string, string> }): string {
  const { agentId, name, authData } = profile;
  const id = vault.profiles.store.insert({
    lookup: vault.cells().lookup('profiles', agentId, name),
    meta: { agentId, name, keys: Object.keys(authData), saveSession: false, lastSyncType: null, lastError: null, hasToken: false },
    secrets: { authData },
    draft: false,
    now: Date.now(),
    reason: 'create',
    snapshot: { agentId, name, authData, saveSession: false },
  });
  // Another writer's change, as far as the index knows: it is rebuilt from the rows.
  vault.db.prepare('UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1').run();
  return id;
}
