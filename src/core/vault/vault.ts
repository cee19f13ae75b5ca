import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { MasterPassword } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { DEFAULT_KDF, type KdfParams } from '../crypto/kdf';
import { AgentRegistry } from './agents';
import { AuditLog } from './audit';
import { ByokKeys } from './byok';
import { Cells } from './cells';
import { createDatabase, dataVersion, discardNewVault, openDatabase, tx } from './db';
import { insertHeader, kdfOf, prepareHeader, readHeader, replaceWrap, unwrapVaultKey, wrapVaultKey } from './header';
import { Profiles } from './profiles';
import { Remotes } from './remotes';
import { reencryptAll } from './rotate';
import { endAllSessions } from './sessions';
import { Trash } from './trash';
import { TrustedFiles } from './trusted-files';
import { WrappedConfigs } from './wrapped-configs';

/**
 * Refuses a new master password holding a line break: a prompt ends at one, so such a password can
 * never be typed, only given from the environment (`$(cat file)` keeps the CR of a Windows file).
 */
function refuseUntypable(password: string): void {
  if (/[\r\n]/.test(password)) {
    throw new KeyholdError(
      'BadInput',
      'The new master password holds a line break (CR or LF, as text from a file often ends with): no prompt could ever take it. Nothing was changed.',
    );
  }
}

export interface VaultOptions {
  now?: () => number;
}

export interface VaultStatus {
  dir: string;
  vaultId: string;
  unlocked: boolean;
  createdAt: string;
  kdf: KdfParams;
}

/**
 * One vault directory. Opening it reads only the header; unlocking derives the key, folds in
 * events recorded while locked and builds the in-memory index; locking zeroes the key and drops
 * the index.
 */
export class Vault {
  private keys: Cells | null = null;
  /** The wrapped key the unlock saw, and the last data_version checked against it (see cells()). */
  private keyStamp: Buffer | null = null;
  private dataVersion = -1;
  readonly audit: AuditLog;
  readonly agents: AgentRegistry;
  readonly profiles: Profiles;
  readonly byok: ByokKeys;
  readonly remotes: Remotes;
  readonly trash: Trash;
  readonly trustedFiles: TrustedFiles;
  readonly wrappedConfigs: WrappedConfigs;
  private readonly lockListeners = new Set<() => void>();

  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
    readonly now: () => number,
  ) {
    const cells = () => this.cells();
    this.audit = new AuditLog(db, cells, now);
    this.agents = new AgentRegistry(db, cells, this.audit, now);
    this.profiles = new Profiles(db, cells, this.audit, this.agents, now);
    this.byok = new ByokKeys(db, cells, this.audit, now);
    this.remotes = new Remotes(db, cells, this.audit, now);
    this.trash = new Trash(this.profiles, this.byok, this.audit, now);
    this.trustedFiles = new TrustedFiles(db, cells, this.audit, now);
    this.wrappedConfigs = new WrappedConfigs(db, cells, this.audit, now);
  }

  static async create(dir: string, password: string, options: VaultOptions & { kdf?: KdfParams } = {}): Promise<Vault> {
    parseInput(MasterPassword, password);
    refuseUntypable(password);
    const now = options.now ?? Date.now;
    const db = createDatabase(dir);
    try {
      const header = await prepareHeader(password, options.kdf ?? DEFAULT_KDF);
      const vault = new Vault(dir, db, now);
      vault.keys = new Cells(header.vaultId, header.vaultKey);
      tx(db, () => {
        insertHeader(db, header, now());
        vault.audit.start();
      });
      vault.stamp();
      vault.afterUnlock();
      return vault;
    } catch (e) {
      discardNewVault(db);
      throw e;
    }
  }

  static open(dir: string, options: VaultOptions = {}): Vault {
    const db = openDatabase(dir);
    return new Vault(dir, db, options.now ?? Date.now);
  }

  get unlocked(): boolean {
    return this.keys !== null;
  }

  get vaultId(): string {
    return readHeader(this.db).vault_id;
  }

  status(): VaultStatus {
    const header = readHeader(this.db);
    return {
      dir: this.dir,
      vaultId: header.vault_id,
      unlocked: this.unlocked,
      createdAt: new Date(header.created_at).toISOString(),
      kdf: kdfOf(header),
    };
  }

  cells(): Cells {
    if (!this.keys) throw new KeyholdError('VaultLocked', 'The vault is locked. Unlock it first.');
    // Another process may have rotated the vault key (a password change): this process's key then
    // opens nothing and would seal cells no one can open. data_version moves only when another
    // connection commits, so the header is read again only then.
    // (No stamp yet only while a new vault writes its header.)
    const dv = this.keyStamp ? dataVersion(this.db) : this.dataVersion;
    if (dv !== this.dataVersion) {
      this.dataVersion = dv;
      if (!readHeader(this.db).wrapped_key.equals(this.keyStamp as Buffer)) {
        this.forget();
        throw new KeyholdError(
          'VaultLocked',
          'The master password was changed in another Keyhold window or command, so this one was locked. Unlock it with the new password.',
        );
      }
    }
    return this.keys;
  }

  private stamp(): void {
    this.keyStamp = Buffer.from(readHeader(this.db).wrapped_key);
    this.dataVersion = dataVersion(this.db);
  }

  /** Drops the key without saving anything under it (it may no longer be the vault's key). */
  private forget(): void {
    if (!this.keys) return;
    this.profiles.dropIndex(false);
    this.agents.dropIndex();
    this.keys.zero();
    this.keys = null;
    this.keyStamp = null;
    for (const listener of this.lockListeners) listener();
  }

  async unlock(password: string): Promise<void> {
    if (this.keys) return;
    const header = readHeader(this.db);
    let vaultKey: Buffer;
    try {
      vaultKey = await unwrapVaultKey(header, password);
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'WrongPassword') {
        try {
          AuditLog.recordLocked(this.db, 'unlock_failed', this.now());
        } catch (recording) {
          // A full disk or a busy vault keeps the attempt out of the log; the person still learns
          // that the password was wrong, which is what they can act on.
          if (!(recording instanceof KeyholdError)) throw recording;
        }
      }
      throw e;
    }
    this.unlockWithKey(header.vault_id, vaultKey);
    this.audit.recordRead('unlock_ok', {});
  }

  /** Unlocks with an already unwrapped vault key (CLI sessions); the caller audits. */
  unlockWithKey(vaultId: string, vaultKey: Buffer): void {
    this.keys = new Cells(vaultId, vaultKey);
    this.stamp();
    try {
      this.afterUnlock();
    } catch (e) {
      this.lock();
      throw e;
    }
  }

  private afterUnlock(): void {
    this.audit.foldPending();
    this.agents.buildIndex();
    this.profiles.buildIndex();
    this.trash.purgeExpired();
  }

  lock(): void {
    if (!this.keys) return;
    try {
      // Dropping the index saves its encrypted snapshot, so it needs the key one last time.
      this.profiles.dropIndex();
    } catch (e) {
      // Another process changed the password meanwhile: cells() forgot the key (and told the
      // listeners), so nothing was saved under it, and locking is done.
      if (this.keys === null && e instanceof KeyholdError && e.code === 'VaultLocked') return;
      throw e;
    } finally {
      if (this.keys !== null) {
        this.agents.dropIndex();
        this.keys.zero();
        this.keys = null;
        this.keyStamp = null;
      }
    }
    for (const listener of this.lockListeners) listener();
  }

  onLock(listener: () => void): () => void {
    this.lockListeners.add(listener);
    return () => this.lockListeners.delete(listener);
  }

  /**
   * Changes the master password and rotates the vault key: a new random key, every cell
   * re-encrypted under it, blind index tags and audit MACs recomputed, sessions ended, all in one
   * transaction (a crash leaves the old vault or the new one, each opened by its own password).
   * A copy of the old header grafted onto the file afterwards yields the old key, which opens
   * nothing written since. Damaged cells open under no key and are carried over as they are.
   */
  async changePassword(oldPassword: string, newPassword: string, kdf?: KdfParams): Promise<{ cells: number }> {
    const previous = this.cells();
    parseInput(MasterPassword, newPassword);
    refuseUntypable(newPassword);
    const header = readHeader(this.db);
    (await unwrapVaultKey(header, oldPassword)).fill(0);
    const newKey = randomBytes(32);
    const next = new Cells(header.vault_id, Buffer.from(newKey));
    let moved = 0;
    try {
      const wrapped = await wrapVaultKey(header.vault_id, newKey, newPassword, kdf ?? kdfOf(header));
      const before = this.audit.verify();
      tx(this.db, () => {
        if (!readHeader(this.db).wrapped_key.equals(header.wrapped_key)) {
          throw new KeyholdError('Conflict', 'The master password was changed meanwhile by another Keyhold process. Nothing was changed here.');
        }
        moved = reencryptAll(this.db, previous, next);
        replaceWrap(this.db, wrapped, this.now());
        this.keys = next;
        this.audit.rechain(before);
        this.audit.append('password_changed', { kdfChanged: kdf !== undefined, keyRotated: true, cells: moved });
        // A session holds the old key, so it must not outlive it.
        endAllSessions(this, 'password_changed');
      });
    } catch (e) {
      // Rolled back, also when the COMMIT itself failed (a full disk fills up as the write-ahead log
      // is written): the file holds the old key, so this process goes on with it.
      if (this.keys === next) this.keys = previous;
      next.zero();
      throw e;
    } finally {
      newKey.fill(0);
    }
    previous.zero();
    this.stamp();
    return { cells: moved };
  }

  close(): void {
    try {
      this.lock();
    } finally {
      this.db.close();
    }
  }
}
