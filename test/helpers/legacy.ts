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

/** A BYOK key as a vault written before a rule may hold it (see writeLegacyProfile). Returns its id. */
export function writeLegacyByokKey(vault: Vault, key: { kind: string; apiKey: string }): string {
  const { kind, apiKey } = key;
  return vault.byok.store.insert({
    lookup: vault.cells().lookup('byok_keys', kind),
    meta: { kind, provider: 'other', keyHint: '…', remoteRow: null, lastProbe: null, lastSyncType: null, lastError: null, hasToken: false },
    secrets: { apiKey },
    draft: true,
    now: Date.now(),
    reason: 'create',
    snapshot: { kind, provider: 'other', apiKey },
  });
}
