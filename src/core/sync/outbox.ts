import type Database from 'better-sqlite3';
import type { Cells } from '../vault/cells';
import { sql } from '../vault/db';
import type { ItemKind } from '../vault/items';

export interface OutboxRow {
  item_kind: ItemKind;
  item_id: string;
  enqueued_at: number;
  attempts: number;
  next_attempt_at: number;
  inflight_version: number | null;
  inflight_since: number | null;
  last_error: Buffer | null;
  create_sent_at: number | null;
}

/** What a push reads of its outbox row when it claims it (Outbox.claimable). */
export type PushRow = Pick<OutboxRow, 'item_kind' | 'item_id' | 'attempts' | 'create_sent_at'>;

/**
 * The sync queue: at most one row per item (edits coalesce into it), the payload read from the item
 * at send time. A row is claimed (inflight_version = the item version being sent) before the request
 * and settled in the same transaction that records the outcome, so a kill -9 anywhere leaves either
 * an unclaimed row or a claimed one that the next holder of the sync lease (lease.ts) turns back
 * into a due row. Only the lease holder claims or settles rows.
 */
export class Outbox {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
  ) {}

  all(): OutboxRow[] {
    return sql(this.db, 'SELECT * FROM outbox ORDER BY next_attempt_at, enqueued_at').all() as OutboxRow[];
  }

  /**
   * The row again, inside the transaction that claims it, if it is still due at `now` and not in
   * flight: only the columns a push uses (a whole row object cost twice as much to read).
   */
  claimable(kind: ItemKind, id: string, now: number): PushRow | undefined {
    const r = sql(
      this.db,
      'SELECT attempts, create_sent_at FROM outbox WHERE item_kind = ? AND item_id = ? AND inflight_version IS NULL AND next_attempt_at <= ?',
    ).get(kind, id, now) as Pick<OutboxRow, 'attempts' | 'create_sent_at'> | undefined;
    return r && { item_kind: kind, item_id: id, attempts: r.attempts, create_sent_at: r.create_sent_at };
  }

  due(now: number): OutboxRow[] {
    return sql(this.db, 'SELECT * FROM outbox WHERE next_attempt_at <= ? AND inflight_version IS NULL ORDER BY next_attempt_at, enqueued_at').all(
      now,
    ) as OutboxRow[];
  }

  /** Marks the row in flight; `create` also records (once) that a create was sent for it. */
  claim(kind: ItemKind, id: string, version: number, now: number, create = false): void {
    sql(
      this.db,
      'UPDATE outbox SET inflight_version = ?, inflight_since = ?, create_sent_at = CASE WHEN ? THEN COALESCE(create_sent_at, ?) ELSE create_sent_at END WHERE item_kind = ? AND item_id = ?',
    ).run(version, now, create ? 1 : 0, now, kind, id);
  }

  /** A transient failure: try again at `nextAt`. */
  retryLater(kind: ItemKind, id: string, nextAt: number, error: string): void {
    sql(
      this.db,
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, inflight_version = NULL, inflight_since = NULL, last_error = ? WHERE item_kind = ? AND item_id = ?',
    ).run(nextAt, this.cells().encrypt('outbox', `${kind}:${id}`, 'last_error', error), kind, id);
  }

  /** Not sent (connection missing or paused): stays due, no attempt counted. */
  hold(kind: ItemKind, id: string, error: string): void {
    sql(this.db, 'UPDATE outbox SET inflight_version = NULL, inflight_since = NULL, last_error = ? WHERE item_kind = ? AND item_id = ?').run(
      this.cells().encrypt('outbox', `${kind}:${id}`, 'last_error', error),
      kind,
      id,
    );
  }

  /** The item changed while its push was in flight: push the new version as soon as possible. */
  again(kind: ItemKind, id: string, now: number): void {
    sql(
      this.db,
      'UPDATE outbox SET attempts = 0, next_attempt_at = ?, inflight_version = NULL, inflight_since = NULL, last_error = NULL WHERE item_kind = ? AND item_id = ?',
    ).run(now, kind, id);
  }

  remove(kind: ItemKind, id: string): void {
    sql(this.db, 'DELETE FROM outbox WHERE item_kind = ? AND item_id = ?').run(kind, id);
  }

  lastError(row: OutboxRow): string | null {
    return row.last_error ? this.cells().decrypt<string>('outbox', `${row.item_kind}:${row.item_id}`, 'last_error', row.last_error) : null;
  }

  /** The network is back: rows backing off after failures are due now, in one statement. */
  wakeBackedOff(now: number): number {
    return sql(this.db, 'UPDATE outbox SET attempts = 0, next_attempt_at = ? WHERE inflight_version IS NULL AND attempts > 0 AND next_attempt_at > ?').run(
      now,
      now,
    ).changes;
  }

  /** Puts an item back in the queue now (retry from the UI or CLI). */
  enqueueNow(kind: ItemKind, id: string, now: number): void {
    sql(
      this.db,
      `INSERT INTO outbox (item_kind, item_id, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, ?, 0, ?)
       ON CONFLICT (item_kind, item_id) DO UPDATE SET attempts = 0, next_attempt_at = excluded.next_attempt_at`,
    ).run(kind, id, now, now);
  }
}
