import { randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SessionInfo } from '../../shared/contract';
import type { ByokDetail } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { EnvelopeError, open, seal } from '../crypto/envelope';
import { deriveKey } from '../crypto/keys';
import { housekeeping, sql, tx } from './db';
import type { AuditLog } from './audit';
import type { Cells } from './cells';

/**
 * What sessions need of a vault. Structural, so this module does not import vault.ts, which ends
 * every session itself when the master password changes.
 */
export interface SessionVault {
  readonly db: Database.Database;
  readonly audit: AuditLog;
  readonly vaultId: string;
  readonly unlocked: boolean;
  readonly now: () => number;
  cells(): Cells;
  unlockWithKey(vaultId: string, vaultKey: Buffer): void;
}

/*
 * CLI sessions, in the manner of `bw unlock`: the master password is asked once, and the shell
 * keeps a token that stands in for it until the session expires or is revoked.
 *
 *   token      = id "." secret            ; id: a random UUID, secret: 32 random bytes, base64url
 *   row        = id, created_at, expires_at, wrapped_key
 *   wrapped_key = seal(HKDF(secret, "keyhold/session/<vault id>|<id>"), vault key,
 *                      AD = "<vault id>|sessions|<id>|wrapped_key|<expires_at>")
 *
 * Keyhold never writes the secret anywhere: the vault holds only the vault key sealed under a key
 * derived from it, so the row alone opens nothing and the token alone opens nothing without the
 * vault file. Binding expires_at into the associated data means a row whose expiry was pushed
 * back outside Keyhold no longer opens. A token opens the vault without the KDF, which is the point
 * (and why sessions expire, and why `keyhold lock` and a password change revoke them all).
 */

export const SESSION_ENV = 'KEYHOLD_SESSION';
export const DEFAULT_SESSION_MINUTES = 30;
export const MAX_SESSION_MINUTES = 24 * 60;

const SECRET_BYTES = 32;
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export interface CreatedSession {
  /** Give this to the person once; it is stored nowhere. */
  token: string;
  id: string;
  expiresAt: string;
}

export interface OpenedSession {
  id: string;
  expiresAt: string;
}

/**
 * What a session opened for some items only holds: their values as they were when it was opened
 * (`keyhold unlock --profile REF --byok KIND`), and nothing else of the vault. Secret.
 */
export interface SessionSnapshot {
  profiles: {
    id: string;
    agentId: string;
    name: string;
    authData: Record<string, string>;
    /** The Kura auth token, when the profile had a usable one. */
    authToken: string | null;
    /** The variable `run` injects the token as (the agent's --token-env). */
    tokenEnv: string;
  }[];
  byok: { id: string; kind: string; provider: ByokDetail['provider']; apiKey: string }[];
}

interface SessionRow {
  id: string;
  expires_at: number;
  wrapped_key: Buffer;
  scoped: number;
}

// A full session's row seals the vault key; a scoped one's seals its snapshot. The two are sealed
// under different associated data, so a row whose kind was flipped outside Keyhold opens neither way.
const sessionAd = (vaultId: string, id: string, expiresAt: number, scoped: boolean) =>
  Buffer.from(`${vaultId}|sessions|${id}|${scoped ? 'snapshot' : 'wrapped_key'}|${expiresAt}`, 'utf8');

const sessionKey = (secret: Buffer, vaultId: string, id: string) => deriveKey(secret, 'session', `${vaultId}|${id}`);

const invalid = (why: string) =>
  new KeyholdError('SessionInvalid', `${SESSION_ENV} ${why} A new session is needed, or unset ${SESSION_ENV} to use the master password.`, {
    field: 'session',
  });

const altered = () => invalid('does not match its session: it was altered, or the session record was.');

/**
 * Deletes sessions whose time is up; returns how many. Housekeeping: an expired session is refused
 * by its expiry whether or not its row is gone, so a read command takes the write lock only when
 * there is something to delete, and a busy or full vault leaves the rows for a later turn.
 */
function purgeExpiredSessions(db: Database.Database, now: number): number {
  if (sql(db, 'SELECT 1 FROM sessions WHERE expires_at <= ? LIMIT 1').get(now) === undefined) return 0;
  return housekeeping(() => tx(db, () => sql(db, 'DELETE FROM sessions WHERE expires_at <= ?').run(now).changes), 0);
}

/**
 * Starts a session on an unlocked vault. With a snapshot, the session holds those items only: its
 * row seals the snapshot, not the vault key, so the token (with the vault file) opens nothing else.
 */
export function createSession(vault: SessionVault, minutes: number = DEFAULT_SESSION_MINUTES, snapshot?: SessionSnapshot): CreatedSession {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_SESSION_MINUTES) {
    throw new KeyholdError('BadInput', `A session lasts a whole number of minutes from 1 to ${MAX_SESSION_MINUTES}.`);
  }
  const cells = vault.cells();
  const vaultId = cells.vaultId;
  const id = randomUUID();
  const secret = randomBytes(SECRET_BYTES);
  const sealed = snapshot === undefined ? cells.exportKey() : Buffer.from(JSON.stringify(snapshot), 'utf8');
  const key = sessionKey(secret, vaultId, id);
  try {
    const now = vault.now();
    const expiresAt = now + minutes * 60_000;
    const scoped = snapshot !== undefined;
    const wrapped = seal(key, sealed, sessionAd(vaultId, id, expiresAt, scoped));
    tx(vault.db, () => {
      purgeExpiredSessions(vault.db, now);
      sql(vault.db, 'INSERT INTO sessions (id, created_at, expires_at, wrapped_key, scoped) VALUES (?, ?, ?, ?, ?)').run(
        id,
        now,
        expiresAt,
        wrapped,
        scoped ? 1 : 0,
      );
      vault.audit.append('session_created', {
        session: id,
        minutes,
        // Each item's reveal is its own entry, written as the snapshot was read.
        ...(snapshot ? { only: snapshotItems(snapshot) } : {}),
      });
    });
    return { token: `${id}.${secret.toString('base64url')}`, id, expiresAt: new Date(expiresAt).toISOString() };
  } finally {
    secret.fill(0);
    key.fill(0);
    sealed.fill(0);
  }
}

/** Opens a session's row with its token: the session and what its row seals (the vault key, or a snapshot). */
function openRow(vault: SessionVault, token: string): { session: OpenedSession; scoped: boolean; sealed: Buffer } {
  const match = TOKEN.exec(token.trim());
  if (!match) throw invalid('is not a Keyhold session token.');
  const id = match[1] as string;
  const now = vault.now();
  const row = sql(vault.db, 'SELECT id, expires_at, wrapped_key, scoped FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
  purgeExpiredSessions(vault.db, now);
  // An expired row is deleted at the next open of any session (so the file and a token alone never
  // unwrap the key), so a session that expired earlier reads as ended, and the message says both.
  if (!row) throw invalid('is not a session of this vault, or the session ended: it expired, or the vault was locked or its master password changed.');
  if (row.expires_at <= now) throw invalid(`expired at ${new Date(row.expires_at).toISOString()}.`);
  const vaultId = vault.vaultId;
  const secret = Buffer.from(match[2] as string, 'base64url');
  // 43 characters carry 258 bits: the last one's lowest 2 bits are dropped in decoding, so four
  // spellings decode to one secret. Only the one Keyhold wrote is the token; the others were altered.
  if (secret.toString('base64url') !== match[2]) {
    secret.fill(0);
    throw altered();
  }
  const key = sessionKey(secret, vaultId, id);
  const scoped = row.scoped !== 0;
  try {
    const sealed = open(key, row.wrapped_key, sessionAd(vaultId, id, row.expires_at, scoped));
    return { session: { id, expiresAt: new Date(row.expires_at).toISOString() }, scoped, sealed };
  } catch (e) {
    if (e instanceof EnvelopeError) throw altered();
    throw e;
  } finally {
    secret.fill(0);
    key.fill(0);
  }
}

/** The names of what a scoped session holds, for a message: `crm-bot/prod, byok claude-code`. */
export function snapshotItems(snapshot: SessionSnapshot): string {
  return [...snapshot.profiles.map((p) => `${p.agentId}/${p.name}`), ...snapshot.byok.map((b) => `byok ${b.kind}`)].join(', ');
}

function readSnapshot(sealed: Buffer): SessionSnapshot {
  try {
    return JSON.parse(sealed.toString('utf8')) as SessionSnapshot;
  } finally {
    sealed.fill(0);
  }
}

/** The refusal of a session opened for some items only, naming what it holds and `why` it will not do. */
export function outsideSession(snapshot: SessionSnapshot, why: string): KeyholdError {
  return new KeyholdError(
    'SessionInvalid',
    `${SESSION_ENV} is a session for ${snapshotItems(snapshot)} only, and ${why}. Unset ${SESSION_ENV} to use the master password.`,
    { field: 'sessionScope' },
  );
}

/**
 * Opens a session with its token. A session of the whole vault unlocks the vault (no KDF) and its
 * `snapshot` is null; one opened for some items only leaves the vault locked and gives what it
 * holds, unaudited (there is no key to seal an entry with; reading the items was audited when the
 * session began). An expired, revoked, unknown or forged token is refused with SessionInvalid; the
 * message never shows it.
 */
export function openSession(vault: SessionVault, token: string): { session: OpenedSession; snapshot: SessionSnapshot | null } {
  const { session, scoped, sealed } = openRow(vault, token);
  if (scoped) return { session, snapshot: readSnapshot(sealed) };
  vault.unlockWithKey(vault.vaultId, sealed);
  vault.audit.appendWithNext('unlock_ok', { via: 'session', session: session.id });
  return { session, snapshot: null };
}

/** Unlocks a locked vault with a session token; a session opened for some items only holds no vault key, and is refused. */
export function unlockWithSession(vault: SessionVault, token: string): OpenedSession {
  const { session, snapshot } = openSession(vault, token);
  if (snapshot !== null) throw outsideSession(snapshot, 'this needs the whole vault');
  return session;
}

/**
 * The sessions of this vault that have not ended, soonest to end first. What a scoped session
 * holds is sealed under its token, so it is read from the audit entry written when it began.
 */
export function listSessions(vault: SessionVault): SessionInfo[] {
  const rows = sql(vault.db, 'SELECT id, created_at, expires_at, scoped FROM sessions WHERE expires_at > ? ORDER BY expires_at, id').all(vault.now()) as (Omit<
    SessionRow,
    'wrapped_key'
  > & { created_at: number })[];
  const named = new Map<string, string>();
  if (rows.some((r) => r.scoped !== 0)) {
    for (const e of vault.audit.list({ event: 'session_created', limit: 10_000 })) {
      if (typeof e.detail.session === 'string' && typeof e.detail.only === 'string') named.set(e.detail.session, e.detail.only);
    }
  }
  return rows.map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
    holds: r.scoped === 0 ? null : (named.get(r.id) ?? 'some items (not named in the log)'),
  }));
}

/**
 * Ends every session of the vault (`keyhold lock`, a password change), within the caller's
 * transaction if there is one. Audited when the vault is unlocked: a locked vault has no key to
 * seal an audit entry with, and ending sessions must never need the password.
 */
export function endAllSessions(vault: SessionVault, reason: 'locked' | 'password_changed' | 'ended_in_window'): number {
  return tx(vault.db, () => {
    const count = sql(vault.db, 'DELETE FROM sessions').run().changes;
    if (count > 0 && vault.unlocked) vault.audit.append('sessions_revoked', { count, reason });
    return count;
  });
}
