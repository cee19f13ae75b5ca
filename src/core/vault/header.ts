import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { KeyholdError, parseInput } from '../../shared/errors';
import { EnvelopeError, open, seal } from '../crypto/envelope';
import { checkKdfFloor, deriveKek, KdfParams } from '../crypto/kdf';
import { deriveKey, equalBytes } from '../crypto/keys';

interface HeaderRow {
  vault_id: string;
  kdf: string;
  salt: Buffer;
  verifier: Buffer;
  wrapped_key: Buffer;
  header_sum: Buffer;
  created_at: number;
}

export interface Wrapped {
  kdf: string;
  salt: Buffer;
  verifier: Buffer;
  wrapped_key: Buffer;
  header_sum: Buffer;
}

const TAMPERED = () =>
  new KeyholdError('TamperedHeader', 'The vault header was modified outside Keyhold or is damaged, so the vault cannot be opened. Restore it from a backup.');

// Binds the wrapped vault key to the header it sits in: changing the KDF parameters or the salt
// makes the unwrap fail even if the password is right.
const wrapAd = (vaultId: string, kdf: string, salt: Buffer) => Buffer.from(`${vaultId}|vault_meta|1|wrapped_key|${kdf}|${salt.toString('hex')}`, 'utf8');

// An unkeyed checksum of the header: it tells a damaged or edited header apart from a wrong
// password (it protects diagnosis, not secrecy: the wrap above is what protects the key).
const headerSum = (vaultId: string, w: Omit<Wrapped, 'header_sum'>) =>
  createHash('sha256')
    .update(`${vaultId}|${w.kdf}|${w.salt.toString('hex')}|${w.verifier.toString('hex')}|${w.wrapped_key.toString('hex')}`)
    .digest();

/** Wraps a vault key under a password with fresh salt. */
export async function wrapVaultKey(vaultId: string, vaultKey: Buffer, password: string, params: KdfParams): Promise<Wrapped> {
  const salt = randomBytes(16);
  const parsed = parseInput(KdfParams, params);
  checkKdfFloor(parsed, 'input');
  const kdf = JSON.stringify(parsed);
  const kek = await deriveKek(password, salt, params);
  try {
    const verifier = deriveKey(kek, 'check', vaultId);
    const wrapped_key = seal(deriveKey(kek, 'wrap', vaultId), vaultKey, wrapAd(vaultId, kdf, salt));
    const partial = { kdf, salt, verifier, wrapped_key };
    return { ...partial, header_sum: headerSum(vaultId, partial) };
  } finally {
    kek.fill(0);
  }
}

export function readHeader(db: Database.Database): HeaderRow {
  const row = db.prepare('SELECT vault_id, kdf, salt, verifier, wrapped_key, header_sum, created_at FROM vault_meta WHERE id = 1').get() as
    HeaderRow | undefined;
  if (!row) throw TAMPERED();
  return row;
}

export function kdfOf(header: HeaderRow): KdfParams {
  try {
    return parseInput(KdfParams, JSON.parse(header.kdf));
  } catch {
    throw TAMPERED();
  }
}

/** Returns the vault key, telling a wrong password from a tampered header. */
export async function unwrapVaultKey(header: HeaderRow, password: string): Promise<Buffer> {
  const expected = headerSum(header.vault_id, header);
  if (!equalBytes(expected, header.header_sum)) throw TAMPERED();
  const params = kdfOf(header);
  // The header sum is unkeyed, so whoever can write the file can also lower the cost in it:
  // refuse before the password goes anywhere near a cheap derivation.
  checkKdfFloor(params, 'header');
  const kek = await deriveKek(password, header.salt, params);
  try {
    if (!equalBytes(deriveKey(kek, 'check', header.vault_id), header.verifier)) {
      throw new KeyholdError('WrongPassword', 'Wrong master password.');
    }
    try {
      return open(deriveKey(kek, 'wrap', header.vault_id), header.wrapped_key, wrapAd(header.vault_id, header.kdf, header.salt));
    } catch (e) {
      if (e instanceof EnvelopeError) throw TAMPERED();
      throw e;
    }
  } finally {
    kek.fill(0);
  }
}

/** The header's KDF parameters and a problem, if any, without a password: for the vault check. */
export function checkHeader(header: HeaderRow): string | null {
  if (!equalBytes(headerSum(header.vault_id, header), header.header_sum)) return 'The header checksum does not match: it was modified or is damaged.';
  try {
    checkKdfFloor(kdfOf(header), 'header');
  } catch (e) {
    return e instanceof KeyholdError ? e.message : 'The header is unreadable.';
  }
  return null;
}

export interface NewHeader {
  vaultId: string;
  vaultKey: Buffer;
  wrapped: Wrapped;
}

/** The slow half of creating a vault (the KDF), done before the synchronous transaction. */
export async function prepareHeader(password: string, params: KdfParams): Promise<NewHeader> {
  const vaultId = randomUUID();
  const vaultKey = randomBytes(32);
  return { vaultId, vaultKey, wrapped: await wrapVaultKey(vaultId, vaultKey, password, params) };
}

export function insertHeader(db: Database.Database, h: NewHeader, now: number): void {
  const w = h.wrapped;
  db.prepare(
    `INSERT INTO vault_meta (id, vault_id, kdf, salt, verifier, wrapped_key, header_sum, created_at, password_changed_at)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(h.vaultId, w.kdf, w.salt, w.verifier, w.wrapped_key, w.header_sum, now, now);
}

export function replaceWrap(db: Database.Database, w: Wrapped, now: number): void {
  db.prepare(`UPDATE vault_meta SET kdf = ?, salt = ?, verifier = ?, wrapped_key = ?, header_sum = ?, password_changed_at = ? WHERE id = 1`).run(
    w.kdf,
    w.salt,
    w.verifier,
    w.wrapped_key,
    w.header_sum,
    now,
  );
}
