import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Cells } from './cells';
import { SealedRecords } from './sealed-records';

// Kura keeps one remote profile per agent id + name, and every create or replace of it issues a
// new token and voids the one before. Which token is the live one is a fact about that agent +
// name, not about any one profile: the profile that got it may since have been renamed, moved or
// purged from the trash. So the vault keeps, per agent + name, the token it last got from Kura
// (or from a bundle), as a digest, written in the transaction that stores the token.

interface IdentityBody {
  agentId: string;
  name: string;
  /** SHA-256 (hex) of the token: enough to tell it from another, and nothing to run an agent with. */
  tokenSha256: string;
}

/** The blind index key of an agent id + name (JSON, so no separator can make two pairs one key). */
export const identityKey = (agentId: string, name: string): string => JSON.stringify([agentId, name]);

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const records = (db: Database.Database, cells: () => Cells) => new SealedRecords<IdentityBody>(db, cells, 'kura_identities', 'noted_at');

/** A token and the agent id + name it is bound to. */
export interface IdentityToken {
  agentId: string;
  name: string;
  authToken: string;
}

/**
 * Notes that `token` is now the live token of its agent + name (Kura issued or confirmed it, or a
 * bundle brought it), inside the caller's transaction. A token already noted keeps its record.
 */
export function noteToken(db: Database.Database, cells: () => Cells, token: IdentityToken, at: number): void {
  const store = records(db, cells);
  const key = identityKey(token.agentId, token.name);
  const tokenSha256 = digest(token.authToken);
  const found = store.get(key);
  if (found !== null && found !== 'damaged' && found.body.tokenSha256 === tokenSha256) return;
  store.put(key, { agentId: token.agentId, name: token.name, tokenSha256 }, at);
}

/**
 * Whether `token` is the last one noted for its agent + name: false when another was noted since
 * (Kura replaced the remote profile, so this one is void), null when none was noted (tokens from
 * before this record existed) or the record fails its check.
 */
export function isLastToken(db: Database.Database, cells: () => Cells, token: IdentityToken): boolean | null {
  const found = records(db, cells).get(identityKey(token.agentId, token.name));
  if (found === null || found === 'damaged') return null;
  return found.body.tokenSha256 === digest(token.authToken);
}
