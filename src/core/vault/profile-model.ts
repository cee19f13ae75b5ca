import type { KeyExpiry, ProfileSummary, SyncType } from '../../shared/domain';
import type { SyncMeta } from './items';

// What a profile is made of in the vault: its cells (meta, secrets, remote) and history snapshots.

/** Two versions of a profile compared (`keyhold profile diff`); values are null unless revealed. */
export interface ProfileVersionDiff {
  id: string;
  from: number;
  to: number;
  revealed: boolean;
  keys: { key: string; change: 'added' | 'removed' | 'changed'; from: string | null; to: string | null }[];
  fields: { field: 'agentId' | 'name' | 'saveSession'; from: string; to: string }[];
}

export interface ProfileMeta extends SyncMeta {
  agentId: string;
  name: string;
  keys: string[];
  saveSession: boolean;
  /** Keys that change how a program runs, allowed by name; absent in cells written before there were any. */
  allowEnv?: string[];
  expiry?: Record<string, KeyExpiry>;
}
export interface ProfileSecrets {
  authData: Record<string, string>;
}
/** What the remote knows: the token and the identity (agent + name) it is bound to. */
export interface ProfileRemote {
  authToken: string | null;
  agentId: string;
  name: string;
  /** Kura answered 404 to an update: the remote profile is gone; re-creating drops the token. */
  missing?: boolean;
  /** When this vault got the token (ISO-8601); null when unknown (imported from a bundle, or older vaults). */
  obtainedAt?: string | null;
  /** The last successful push for this token: create, replace (a new token over an existing remote profile) or update. */
  syncType?: SyncType | null;
  /** No token because it was dropped after Kura answered 404 (the re-create has not synced yet). */
  droppedAfterMissing?: boolean;
}
/** How a token read is audited: which event, and what for (run, inject, token, reveal…). */
export interface TokenReadOptions {
  purpose?: string;
  event?: 'secret_revealed' | 'secret_copied';
}

export interface ProfileSnapshot {
  agentId: string;
  name: string;
  authData: Record<string, string>;
  saveSession: boolean;
  /** The token a rename or move left behind at this version, so restoring an older version can bring it back. */
  retiredToken?: ProfileRemote;
}

/** A usable token for the profile's current identity, or null. */
export function usableToken(remote: ProfileRemote | null, agentId: string, name: string): ProfileRemote | null {
  return remote?.authToken && !remote.missing && remote.agentId === agentId && remote.name === name ? remote : null;
}

/** The meta cell's content, which the listing summary carries whole. */
export function metaOf(s: ProfileSummary): ProfileMeta {
  return {
    agentId: s.agentId,
    name: s.name,
    keys: s.keys,
    saveSession: s.saveSession,
    lastSyncType: s.lastSyncType,
    lastError: s.lastError,
    hasToken: s.hasToken,
    ...(s.allowEnv ? { allowEnv: s.allowEnv } : {}),
    ...(s.expiry ? { expiry: s.expiry } : {}),
  };
}

// A sync batch records hundreds of outcomes within one millisecond, and formatting a time costs
// about 1.5 µs on this VM: the last one formatted is kept.
let lastMs = Number.NaN;
let lastIso = '';
export const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
};
