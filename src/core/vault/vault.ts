import type Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { MasterPassword } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { DEFAULT_KDF, type KdfParams } from '../crypto/kdf';
import { AgentRegistry } from './agents';
import { AuditLog } from './audit';
import { ByokKeys } from './byok';
import { Cells } from './cells';
import { createDatabase, dbPath, openDatabase, tx } from './db';
import { insertHeader, kdfOf, prepareHeader, readHeader, replaceWrap, unwrapVaultKey, wrapVaultKey } from './header';
import { Profiles } from './profiles';
import { Remotes } from './remotes';
import { endAllSessions } from './sessions';
import { Trash } from './trash';

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
  readonly audit: AuditLog;
  readonly agents: AgentRegistry;
  readonly profiles: Profiles;
  readonly byok: ByokKeys;
  readonly remotes: Remotes;
  readonly trash: Trash;
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
  }

  static async create(dir: string, password: string, options: VaultOptions & { kdf?: KdfParams } = {}): Promise<Vault> {
    parseInput(MasterPassword, password);
    const now = options.now ?? Date.now;
    const db = createDatabase(dir);
    try {
      const header = await prepareHeader(password, options.kdf ?? DEFAULT_KDF);
      const vault = new Vault(dir, db, now);
      vault.keys = new Cells(header.vaultId, header.vaultKey);
      tx(db, () => {
        insertHeader(db, header, now());
        vault.audit.append('vault_created', {});
      });
      vault.afterUnlock();
      return vault;
    } catch (e) {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath(dir) + suffix, { force: true });
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
    return this.keys;
  }

  async unlock(password: string): Promise<void> {
    if (this.keys) return;
    const header = readHeader(this.db);
    let vaultKey: Buffer;
    try {
      vaultKey = await unwrapVaultKey(header, password);
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'WrongPassword') AuditLog.recordLocked(this.db, 'unlock_failed', this.now());
      throw e;
    }
    this.unlockWithKey(header.vault_id, vaultKey);
    this.audit.append('unlock_ok', {});
  }

  /** Unlocks with an already unwrapped vault key (CLI sessions); the caller audits. */
  unlockWithKey(vaultId: string, vaultKey: Buffer): void {
    this.keys = new Cells(vaultId, vaultKey);
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
    } finally {
      this.agents.dropIndex();
      this.keys.zero();
      this.keys = null;
    }
    for (const listener of this.lockListeners) listener();
  }

  onLock(listener: () => void): () => void {
    this.lockListeners.add(listener);
    return () => this.lockListeners.delete(listener);
  }

  /** Re-wraps the vault key under a new password (and optionally new KDF parameters) in one transaction. */
  async changePassword(oldPassword: string, newPassword: string, kdf?: KdfParams): Promise<void> {
    this.cells();
    parseInput(MasterPassword, newPassword);
    const header = readHeader(this.db);
    const vaultKey = await unwrapVaultKey(header, oldPassword);
    try {
      const wrapped = await wrapVaultKey(header.vault_id, vaultKey, newPassword, kdf ?? kdfOf(header));
      tx(this.db, () => {
          replaceWrap(this.db, wrapped, this.now());
          this.audit.append('password_changed', { kdfChanged: kdf !== undefined });
          // A session stands in for the old password, so it must not outlive it.
          endAllSessions(this, 'password_changed');
        });
    } finally {
      vaultKey.fill(0);
    }
  }

  close(): void {
    this.lock();
    this.db.close();
  }
}

