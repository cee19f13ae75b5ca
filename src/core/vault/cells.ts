import { KeyholdError } from '../../shared/errors';
import { EnvelopeError, open, seal } from '../crypto/envelope';
import { deriveKey, hmac } from '../crypto/keys';

export type Table =
  | 'vault_meta'
  | 'remotes'
  | 'agents'
  | 'profiles'
  | 'profile_versions'
  | 'byok_keys'
  | 'byok_versions'
  | 'outbox'
  | 'audit_log'
  | 'contacts'
  | 'index_cache'
  | 'sessions'
  | 'vault_keys'
  | 'trusted_files'
  | 'wrapped_configs'
  | 'kura_identities'
  // Not a table: the window's unsaved form, sealed in main's memory at a lock (core/api/form-draft.ts).
  | 'form_drafts';

/** True for the error a cell that failed its integrity check raises. */
export const isTamperedCell = (e: unknown): boolean => e instanceof KeyholdError && e.code === 'TamperedCell';

export type DamagedWhat = 'profile' | 'BYOK key' | 'agent declaration' | 'connection' | 'contact';

/**
 * The error every operation on a quarantined item gives: the item is named by its id, the rest
 * of the vault is unaffected. Core's words only; the CLI and the window add how to see the list.
 */
export function damagedError(what: DamagedWhat, id: string, column?: string): KeyholdError {
  return new KeyholdError(
    'Damaged',
    `The ${what} ${id} is damaged: ${column ? `its stored ${column} ` : 'a stored value of it '}failed its integrity check (the vault file was modified outside Keyhold or is damaged), so it cannot be used. The rest of the vault is unaffected; the vault check lists every damaged item.`,
    { field: 'damaged' },
  );
}

/**
 * The unlocked vault's keys and the cell codec. Associated data is `vault id | table | row id | column`,
 * so a cell copied to another row, column, table or vault fails to open.
 */
export class Cells {
  private readonly vaultKey: Buffer;
  private readonly lookupKey: Buffer;
  readonly auditKey: Buffer;
  private zeroed = false;

  constructor(
    readonly vaultId: string,
    vaultKey: Buffer,
  ) {
    this.vaultKey = vaultKey;
    this.lookupKey = deriveKey(vaultKey, 'lookup', vaultId);
    this.auditKey = deriveKey(vaultKey, 'audit', vaultId);
  }

  private ad(table: Table, rowId: string, column: string): Buffer {
    return Buffer.from(`${this.vaultId}|${table}|${rowId}|${column}`, 'utf8');
  }

  private key(): Buffer {
    if (this.zeroed) throw new KeyholdError('VaultLocked', 'The vault is locked.');
    return this.vaultKey;
  }

  encrypt(table: Table, rowId: string, column: string, value: unknown): Buffer {
    const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
    try {
      return seal(this.key(), plaintext, this.ad(table, rowId, column));
    } finally {
      plaintext.fill(0);
    }
  }

  decrypt<T>(table: Table, rowId: string, column: string, cell: Buffer): T {
    let plaintext: Buffer;
    try {
      plaintext = open(this.key(), cell, this.ad(table, rowId, column));
    } catch (e) {
      if (e instanceof EnvelopeError) {
        throw new KeyholdError(
          'TamperedCell',
          `A stored value (${table}.${column} of ${rowId}) failed its integrity check: the vault file was modified outside Keyhold or is damaged.`,
        );
      }
      throw e;
    }
    try {
      return JSON.parse(plaintext.toString('utf8')) as T;
    } finally {
      plaintext.fill(0);
    }
  }

  /** A keyed, deterministic tag: lets SQLite enforce uniqueness without seeing the value. */
  lookup(table: Table, ...parts: string[]): Buffer {
    return hmac(this.lookupKey, table, ...parts);
  }

  /** The vault key itself, for re-wrapping (password change, sessions). */
  exportKey(): Buffer {
    return Buffer.from(this.key());
  }

  zero(): void {
    this.vaultKey.fill(0);
    this.lookupKey.fill(0);
    this.auditKey.fill(0);
    this.zeroed = true;
  }
}
