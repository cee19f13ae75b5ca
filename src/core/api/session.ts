import { existsSync } from 'node:fs';
import type { z } from 'zod';
import type { KeyholdEvents, VaultStatus } from '../../shared/contract';
import { KeyholdError } from '../../shared/errors';
import type { UserSettings } from '../../shared/settings';
import { KDF_PRESETS, type KdfParams } from '../crypto/kdf';
import { quickUnlockPolicy, type SecretStoragePort } from '../desktop';
import { SyncEngine, type SyncEngineOptions } from '../sync/engine';
import { SyncRunner } from '../sync/runner';
import { dbPath, refuseExistingVault } from '../vault/db';
import { readHeader, unwrapVaultKey } from '../vault/header';
import { Vault } from '../vault/vault';
import { defaultQuickUnlockFile, QuickUnlockStore } from './quick-unlock';

export type KdfPreset = keyof typeof KDF_PRESETS;
import type { LockReason } from '../../shared/contract';

export type { LockReason };

export type Emit = <K extends keyof KeyholdEvents>(event: K, payload: z.input<KeyholdEvents[K]>) => void;

/**
 * The operating system asking the person at the machine to confirm (Touch ID on macOS). Quick
 * unlock asks it first wherever it is available; where it is not, quick unlock works as before.
 */
export interface UserPresencePort {
  /** Whether the OS can ask now (for Touch ID: the hardware is there and a finger is enrolled). */
  available(): boolean;
  /** True once the person confirmed; false or a rejection when they did not (cancelled, failed). */
  confirm(reason: string): Promise<boolean>;
}

export interface SessionOptions {
  vaultDir: string;
  emit: Emit;
  settings: () => UserSettings;
  secretStorage?: SecretStoragePort;
  quickUnlockFile?: string;
  userPresence?: UserPresencePort;
  kdf?: KdfParams;
  sync?: SyncEngineOptions;
  now?: () => number;
  onError: (error: unknown) => void;
  /**
   * The vault locked itself (another process changed the master password, so the key this one holds
   * opens nothing): what the owner drops at every lock it drops now. `locked` is emitted after it.
   */
  onKeyLost?: () => void;
}

const sameKdf = (a: KdfParams, b: KdfParams): boolean =>
  a.alg === b.alg && a.memoryKiB === b.memoryKiB && a.iterations === b.iterations && a.parallelism === b.parallelism;

function presetOf(kdf: KdfParams): VaultStatus['kdf'] {
  for (const [name, params] of Object.entries(KDF_PRESETS) as [KdfPreset, KdfParams][]) {
    if (sameKdf(params, kdf)) return name;
  }
  return 'custom';
}

const LOCKED = () => new KeyholdError('VaultLocked', 'The vault is locked. Unlock it first.');

/**
 * The one vault this backend serves, its lifecycle (create, unlock, quick unlock, lock) and what
 * lives only while it is unlocked: the sync engine and the background runner.
 */
export class VaultSession {
  #vault: Vault | null = null;
  #engine: SyncEngine | null = null;
  #runner: SyncRunner | null = null;
  /** Bumped by every lock, so an unlock that was deriving its key meanwhile does not win. */
  #epoch = 0;
  /** Unlock-type operations run one at a time: two overlapping unlocks would each install a key. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #quick: QuickUnlockStore | null;

  constructor(private readonly options: SessionOptions) {
    this.#quick = options.secretStorage
      ? new QuickUnlockStore(options.quickUnlockFile ?? defaultQuickUnlockFile(options.vaultDir), options.secretStorage, options.now ?? Date.now)
      : null;
  }

  get dir(): string {
    return this.options.vaultDir;
  }

  #exists(): boolean {
    return this.#vault !== null || existsSync(dbPath(this.options.vaultDir));
  }

  #open(): Vault {
    this.#vault ??= this.#watched(Vault.open(this.options.vaultDir, this.options.now ? { now: this.options.now } : {}));
    return this.#vault;
  }

  /** The window hears of every read whose audit entry could not be stored. */
  #watched(vault: Vault): Vault {
    vault.audit.onUnrecorded((message) => this.options.emit('auditUnrecorded', { message }));
    // Heard at every lock of this vault. The session's own locks (lock, close) stop the runner
    // first, and a failed unlock never started one; a runner still there means the vault dropped
    // its key by itself, at a read after another process rotated it.
    vault.onLock(() => {
      if (this.#runner === null) return;
      this.#epoch++;
      this.#stopSync();
      this.options.onKeyLost?.();
      this.options.emit('locked', { reason: 'password-changed' });
    });
    return vault;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  get unlocked(): boolean {
    return this.#vault?.unlocked ?? false;
  }

  /** The unlocked vault, or VaultLocked. */
  vault(): Vault {
    if (!this.#vault?.unlocked) throw LOCKED();
    return this.#vault;
  }

  engine(): SyncEngine {
    this.vault();
    if (!this.#engine) throw LOCKED();
    return this.#engine;
  }

  /** Something may have been queued: let the background runner look. */
  kick(): void {
    this.#runner?.kick();
  }

  online(): void {
    this.#runner?.online();
  }

  resume(): void {
    this.#runner?.resume();
  }

  /** Why quick unlock cannot be used here, or null when it can. */
  quickUnlockRefusal(): string | null {
    if (!this.options.secretStorage || !this.#quick) return 'Quick unlock needs the desktop app and its system keychain.';
    const policy = quickUnlockPolicy(this.options.secretStorage);
    return policy.allowed ? null : policy.message;
  }

  status(): VaultStatus {
    const quickUnlockAvailable = this.options.settings().quickUnlock && this.quickUnlockRefusal() === null && (this.#quick?.exists() ?? false);
    if (!this.#exists()) {
      return { exists: false, unlocked: false, dir: this.dir, vaultId: null, createdAt: null, kdf: null, quickUnlockAvailable: false };
    }
    const s = this.#open().status();
    return {
      exists: true,
      unlocked: s.unlocked,
      dir: s.dir,
      vaultId: s.vaultId,
      createdAt: s.createdAt,
      kdf: presetOf(s.kdf),
      quickUnlockAvailable: quickUnlockAvailable && !s.unlocked,
    };
  }

  #params(preset: KdfPreset): KdfParams {
    // Tests pass cheap parameters for every preset; people get the preset they chose.
    return this.options.kdf ?? KDF_PRESETS[preset];
  }

  create(password: string, preset: KdfPreset): Promise<VaultStatus> {
    return this.#serial(async () => {
      refuseExistingVault(this.options.vaultDir);
      const epoch = this.#epoch;
      const vault = await Vault.create(this.dir, password, {
        kdf: this.#params(preset),
        ...(this.options.now ? { now: this.options.now } : {}),
      });
      this.#vault = this.#watched(vault);
      // A key stored for an earlier vault in this place can never open this one.
      this.#quick?.remove();
      this.#afterUnlock(epoch, true);
      return this.status();
    });
  }

  unlock(password: string): Promise<VaultStatus> {
    return this.#serial(async () => {
      const vault = this.#open();
      if (vault.unlocked) return this.status();
      const epoch = this.#epoch;
      await vault.unlock(password);
      this.#afterUnlock(epoch, true);
      return this.status();
    });
  }

  quickUnlock(): Promise<VaultStatus> {
    return this.#serial(async () => {
      if (!this.options.settings().quickUnlock) {
        throw new KeyholdError('BadInput', 'Quick unlock is off. Turn it on in Settings, or unlock with your master password.');
      }
      const refusal = this.quickUnlockRefusal();
      if (refusal !== null || !this.#quick) throw new KeyholdError('BadInput', refusal ?? 'Quick unlock is not available.');
      const vault = this.#open();
      if (vault.unlocked) return this.status();
      const epoch = this.#epoch;
      await this.#confirmPresence();
      if (vault.unlocked) return this.status();
      const { vaultId, key } = this.#quick.load(vault);
      vault.unlockWithKey(vaultId, key);
      vault.audit.recordRead('unlock_ok', { method: 'quick' });
      this.#afterUnlock(epoch, false);
      return this.status();
    });
  }

  /** Touch ID (or the like) before the stored key is used, where the OS offers it. */
  async #confirmPresence(): Promise<void> {
    const presence = this.options.userPresence;
    if (!presence?.available()) return;
    let confirmed = false;
    try {
      confirmed = await presence.confirm('unlock your Keyhold vault');
    } catch {
      confirmed = false;
    }
    if (!confirmed) throw new KeyholdError('Cancelled', 'Quick unlock was not confirmed. Try again, or unlock with your master password.');
  }

  /**
   * Checks the master password of the unlocked vault (before a setting that lets the vault open
   * without it): WrongPassword, or nothing. The password is only derived from, never kept.
   */
  async verifyPassword(password: string): Promise<void> {
    const vault = this.vault();
    const key = await unwrapVaultKey(readHeader(vault.db), password);
    key.fill(0);
    // The vault may have locked while the key was derived.
    this.vault();
  }

  changePassword(current: string, next: string, preset: KdfPreset | undefined): Promise<VaultStatus> {
    return this.#serial(async () => {
      const vault = this.vault();
      await vault.changePassword(current, next, preset === undefined ? undefined : this.#params(preset));
      // The stored key would still open the vault, but someone who changes the password expects
      // only the new one to work until they choose quick unlock again.
      this.#quick?.remove();
      return this.status();
    });
  }

  /** The quick unlock setting changed (already saved). */
  quickUnlockChanged(on: boolean): void {
    if (!this.#quick) return;
    if (!on) this.#quick.remove();
    else if (this.#vault?.unlocked) this.#saveQuick(this.#vault);
  }

  #saveQuick(vault: Vault): void {
    try {
      this.#quick?.save(vault);
    } catch (e) {
      // What was asked for (an unlock, a setting) worked; quick unlock is just not ready next time.
      this.options.onError(e);
    }
  }

  #afterUnlock(epoch: number, byPassword: boolean): void {
    const vault = this.#vault as Vault;
    if (epoch !== this.#epoch) {
      vault.lock();
      throw new KeyholdError('Cancelled', 'The vault was locked while it was being unlocked.');
    }
    if (byPassword && this.options.settings().quickUnlock && this.quickUnlockRefusal() === null) this.#saveQuick(vault);
    const { emit } = this.options;
    const sync = this.options.sync ?? {};
    this.#engine = new SyncEngine(vault, {
      ...(this.options.now ? { now: this.options.now } : {}),
      lease: { label: 'the Keyhold desktop app' },
      ...sync,
      onItem: (r) => {
        sync.onItem?.(r);
        emit('itemChanged', { kind: r.kind, id: r.id, state: r.state });
      },
      onProgress: (p) => {
        sync.onProgress?.(p);
        emit('syncProgress', p);
      },
    });
    this.#runner = new SyncRunner({
      vault,
      pass: () => (this.#engine as SyncEngine).pass(),
      ...(this.options.now ? { now: this.options.now } : {}),
      onError: this.options.onError,
    });
    this.#runner.start();
  }

  lock(reason: LockReason): void {
    this.#epoch++;
    const vault = this.#vault;
    if (!vault?.unlocked) return;
    this.#stopSync();
    vault.lock();
    this.options.emit('locked', { reason });
  }

  #stopSync(): void {
    this.#runner?.stop();
    this.#runner = null;
    const engine = this.#engine;
    this.#engine = null;
    // Requests under way are aborted and nothing more is written: their outcomes cannot be
    // recorded without the key, and their rows are due again (the lease is given up) to be
    // resent after the next unlock.
    engine?.cancel();
    engine?.close().catch(this.options.onError);
  }

  async close(): Promise<void> {
    this.#epoch++;
    const runner = this.#runner;
    const engine = this.#engine;
    runner?.stop();
    engine?.cancel();
    this.#runner = null;
    this.#engine = null;
    await runner?.settled();
    await engine?.close();
    this.#vault?.close();
    this.#vault = null;
  }
}
