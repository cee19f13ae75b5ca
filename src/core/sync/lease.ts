import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { KeyholdError } from '../../shared/errors';
import { sql, tx } from '../vault/db';

export interface LeaseHolder {
  owner: string;
  /** What holds it, for people: "keyhold sync", "Keyhold desktop". */
  label: string;
  pid: number;
  host: string;
  acquiredAt: number;
  expiresAt: number;
}

interface LeaseRow {
  owner: string;
  label: string;
  pid: number;
  host: string;
  acquired_at: number;
  expires_at: number;
}

export interface SyncLeaseOptions {
  label: string;
  /** How long the lease lasts without renewal; renewed every third of it while held. */
  ttlMs?: number;
  /** Wall clock: holders in other processes compare against it. */
  now?: () => number;
  pid?: number;
  host?: string;
  /** Whether a process on this host is alive; a holder that died is not waited for. */
  isAlive?: (pid: number) => boolean;
}

export const LEASE_TTL_MS = 30_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const toHolder = (r: LeaseRow): LeaseHolder => ({
  owner: r.owner,
  label: r.label,
  pid: r.pid,
  host: r.host,
  acquiredAt: r.acquired_at,
  expiresAt: r.expires_at,
});

export function describeHolder(h: LeaseHolder): string {
  return `${h.label} (process ${h.pid} on ${h.host})`;
}

export function busyError(h: LeaseHolder): KeyholdError {
  return new KeyholdError(
    'SyncBusy',
    `Another sync is running on this vault: ${describeHolder(h)}, since ${new Date(h.acquiredAt).toISOString()}. Wait for it to finish, or try again after ${new Date(h.expiresAt).toISOString()} if it stopped.`,
  );
}

export function leaseLostError(): KeyholdError {
  return new KeyholdError('SyncBusy', 'Another process took over syncing this vault; this sync stopped without recording anything further.');
}

/**
 * Sync is single-writer across processes: the process holding this row is the only one that
 * claims outbox rows or records outcomes. It is taken, renewed and checked inside `.immediate()`
 * transactions, so two processes can never both believe they hold it. A holder that stops
 * renewing (killed, frozen) loses it at `expires_at`, or at once when it is a dead process on
 * this host; whoever takes it over first makes the rows left in flight due again.
 */
export class SyncLease {
  readonly owner = randomUUID();
  readonly #db: Database.Database;
  readonly #label: string;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #pid: number;
  readonly #host: string;
  readonly #isAlive: (pid: number) => boolean;
  #renewTimer: ReturnType<typeof setInterval> | null = null;
  /** Holds taken in this process (a whole run, and the passes inside it); released at zero. */
  #holds = 0;

  constructor(db: Database.Database, options: SyncLeaseOptions) {
    this.#db = db;
    this.#label = options.label;
    this.#ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#pid = options.pid ?? process.pid;
    this.#host = options.host ?? hostname();
    this.#isAlive = options.isAlive ?? processAlive;
  }

  get held(): boolean {
    return this.#holds > 0;
  }

  /** The current holder, whoever it is, or null when nobody holds a live lease. */
  holder(): LeaseHolder | null {
    const row = sql(this.#db, 'SELECT * FROM sync_lease WHERE id = 1').get() as LeaseRow | undefined;
    return row && this.#live(row) ? toHolder(row) : null;
  }

  #live(row: LeaseRow): boolean {
    if (row.expires_at <= this.#now()) return false;
    if (row.host === this.#host && row.pid !== this.#pid && !this.#isAlive(row.pid)) return false;
    return true;
  }

  /**
   * Takes the lease if it is free, expired, or its holder died; returns the live holder otherwise.
   * Rows another holder left in flight are made due again in the same transaction.
   */
  tryAcquire(): LeaseHolder | null {
    const other = tx(this.#db, () => {
      const row = sql(this.#db, 'SELECT * FROM sync_lease WHERE id = 1').get() as LeaseRow | undefined;
      if (row && row.owner !== this.owner && this.#live(row)) return toHolder(row);
      const now = this.#now();
      if (!row || row.owner !== this.owner) recoverInflight(this.#db);
      sql(
        this.#db,
        `INSERT INTO sync_lease (id, owner, label, pid, host, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, label = excluded.label, pid = excluded.pid, host = excluded.host,
           acquired_at = CASE WHEN owner = excluded.owner THEN acquired_at ELSE excluded.acquired_at END, expires_at = excluded.expires_at`,
      ).run(this.owner, this.#label, this.#pid, this.#host, now, now + this.#ttlMs);
      return null;
    });
    if (other !== null) return other;
    this.#holds++;
    if (this.#renewTimer === null) {
      this.#renewTimer = setInterval(
        () => {
          try {
            tx(this.#db, () => this.check());
          } catch {
            // Lost: the next check inside a write transaction says so and stops the run.
          }
        },
        Math.max(10, Math.floor(this.#ttlMs / 3)),
      );
      this.#renewTimer.unref();
    }
    return null;
  }

  /**
   * Waits for the lease until `deadline` (wall clock), polling; throws SyncBusy naming the holder
   * when the time runs out, or Cancelled when `signal` aborts first.
   */
  async acquire(options: { deadline: number; signal?: AbortSignal; pollMs?: number }): Promise<void> {
    let other: LeaseHolder | null = null;
    for (;;) {
      if (options.signal?.aborted) throw other ? busyError(other) : new KeyholdError('Cancelled', 'The sync was cancelled.');
      other = this.tryAcquire();
      if (other === null) return;
      const left = options.deadline - this.#now();
      if (left <= 0) throw busyError(other);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, options.pollMs ?? 250, Math.max(1, (other as LeaseHolder).expiresAt - this.#now())));
        function done(): void {
          clearTimeout(t);
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
        options.signal?.addEventListener('abort', done);
      });
    }
  }

  /**
   * Inside a write transaction: confirms this process still holds the lease and extends it, or
   * throws SyncBusy. Every sync write runs this first, so a process that lost the lease (frozen
   * past its expiry, say) can never record an outcome over the new holder's.
   */
  check(): void {
    const now = this.#now();
    const changes = sql(this.#db, 'UPDATE sync_lease SET expires_at = ? WHERE id = 1 AND owner = ?').run(now + this.#ttlMs, this.owner).changes;
    if (changes === 0) throw leaseLostError();
  }

  /**
   * Gives one hold up; at the last, the lease itself, and rows this process left in flight (a
   * cancelled run) are due again.
   */
  release(): void {
    if (this.#holds === 0) return;
    if (--this.#holds > 0) return;
    if (this.#renewTimer !== null) clearInterval(this.#renewTimer);
    this.#renewTimer = null;
    tx(this.#db, () => {
      if (sql(this.#db, 'DELETE FROM sync_lease WHERE id = 1 AND owner = ?').run(this.owner).changes > 0) recoverInflight(this.#db);
    });
  }
}

/**
 * Rows claimed by a holder that is gone are due again (a row is only claimed once due, so its
 * next attempt time is already past). Run only by whoever takes or gives up the lease: while a
 * live process holds it, its rows in flight are its own.
 */
function recoverInflight(db: Database.Database): void {
  sql(db, 'UPDATE outbox SET inflight_version = NULL, inflight_since = NULL WHERE inflight_version IS NOT NULL').run();
}
