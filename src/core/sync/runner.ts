import type { RemoteKind } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { ItemResult } from '../../shared/sync';
import type { ItemKind } from '../vault/items';
import { dataVersion } from '../vault/db';
import type { Vault } from '../vault/vault';
import { Outbox } from './outbox';

export interface SyncRunnerOptions {
  vault: Vault;
  /** One engine pass (SyncEngine.pass, which already shares a pass in progress). */
  pass: () => Promise<ItemResult[]>;
  now?: () => number;
  /** The shortest wait before a timer-driven pass, so an item that stays due cannot spin the loop. */
  minDelayMs?: number;
  /** The longest single wait; a later due time is reached in steps (timers drift across sleep). */
  maxDelayMs?: number;
  /** How long to wait after a pass failed unexpectedly (a full disk, say) before trying again. */
  errorDelayMs?: number;
  /** How long to wait when another process is syncing this vault (it holds the sync lease) or holds its write lock. */
  busyDelayMs?: number;
  /**
   * How often to look for another process's commits (PRAGMA data_version): an item the CLI
   * queued while the window is open is pushed without waiting for anything here to change.
   */
  watchMs?: number;
  onError?: (error: unknown) => void;
}

const REMOTE_OF: Record<ItemKind, RemoteKind> = { profile: 'kura', byok: 'backside' };

/**
 * Background sync while the vault is unlocked: a pass soon after anything is queued, another when
 * the earliest retry falls due, and one when the network comes back or the machine wakes. Items
 * waiting on a missing or paused connection do not schedule anything: only a change to that
 * connection (which calls `kick`) can unblock them. Its timer never keeps the process alive.
 */
export class SyncRunner {
  readonly #options: SyncRunnerOptions;
  readonly #outbox: Outbox;
  readonly #now: () => number;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #passing: Promise<void> | null = null;
  #again = false;
  #watch: ReturnType<typeof setInterval> | null = null;
  #dataVersion = -1;

  constructor(options: SyncRunnerOptions) {
    this.#options = options;
    this.#outbox = new Outbox(options.vault.db, () => options.vault.cells());
    this.#now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#dataVersion = this.#readDataVersion();
    this.#watch = setInterval(() => this.#look(), this.#options.watchMs ?? 2_000);
    this.#watch.unref();
    this.kick();
  }

  stop(): void {
    this.#running = false;
    this.#again = false;
    this.#clear();
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
  }

  #readDataVersion(): number {
    return dataVersion(this.#options.vault.db);
  }

  /** Another process committed (queued an item, changed a connection): look at the queue again. */
  #look(): void {
    try {
      const version = this.#readDataVersion();
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      this.kick();
    } catch (e) {
      this.#options.onError?.(e);
    }
  }

  /** Something was queued (or a connection changed): run a pass soon. */
  kick(): void {
    if (!this.#running) return;
    if (this.#passing) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  /**
   * The network is back: items backing off from network errors are due now rather than when
   * their (possibly minutes-long) backoff ends.
   */
  online(): void {
    if (!this.#running) return;
    try {
      this.#outbox.wakeBackedOff(this.#now());
    } catch (e) {
      this.#options.onError?.(e);
    }
    this.kick();
  }

  /** The machine woke up: timers may have slept through due retries. */
  resume(): void {
    this.kick();
  }

  /** Resolves once the pass under way, if any, has ended. */
  async settled(): Promise<void> {
    await this.#passing;
  }

  #clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    this.#clear();
    const delay = Math.min(Math.max(0, ms), this.#options.maxDelayMs ?? 5 * 60_000);
    this.#timer = setTimeout(() => void this.#run(), delay);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    this.#timer = null;
    if (!this.#running || this.#passing) return;
    let failed = false;
    let busy = false;
    this.#passing = (async () => {
      try {
        await this.#options.pass();
      } catch (e) {
        // Another process is syncing, or held the vault's write lock past the wait: not a failure,
        // just a later turn.
        if (e instanceof KeyholdError && (e.code === 'SyncBusy' || e.code === 'VaultBusy')) busy = true;
        else {
          failed = true;
          // A pass cut short by a lock is expected; only a failure while still running is news.
          if (this.#running) this.#options.onError?.(e);
        }
      }
    })();
    await this.#passing;
    this.#passing = null;
    if (!this.#running) return;
    if (this.#again) {
      this.#again = false;
      this.#schedule(0);
      return;
    }
    if (failed) {
      this.#schedule(this.#options.errorDelayMs ?? 30_000);
      return;
    }
    if (busy) {
      this.#schedule(this.#options.busyDelayMs ?? 5_000);
      return;
    }
    const next = this.#nextDueAt();
    if (next !== null) this.#schedule(Math.max(next - this.#now(), this.#options.minDelayMs ?? 100));
  }

  /** The earliest retry among rows that a pass could actually send. */
  #nextDueAt(): number | null {
    try {
      const usable = new Set(
        this.#options.vault.remotes
          .list()
          .filter((r) => r.hasCredential && !r.paused)
          .map((r) => r.kind),
      );
      let next: number | null = null;
      for (const row of this.#outbox.all()) {
        if (row.inflight_version !== null || !usable.has(REMOTE_OF[row.item_kind])) continue;
        if (next === null || row.next_attempt_at < next) next = row.next_attempt_at;
      }
      return next;
    } catch (e) {
      this.#options.onError?.(e);
      return null;
    }
  }
}
