import { randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ItemVersion, SyncState, SyncType } from '../../shared/domain';
import { readTx, sql } from './db';
import { KeyholdError } from '../../shared/errors';
import { damagedError, isTamperedCell, type Cells, type Table } from './cells';
import { isUniqueViolation } from './sqlite-errors';

// What profiles and BYOK keys share: a row with plaintext sync bookkeeping and three encrypted
// cells (meta: what listings show; secrets: the values; remote: what the server gave back),
// a version history, and at most one outbox row.
export type { ItemKind } from '../../shared/sync';
import type { ItemKind } from '../../shared/sync';

/**
 * What a reference must look like to be read as the start of an item id (listings show the first
 * 8 characters): 6 or more hex digits and dashes, in either case. The lowercased prefix, or null.
 */
export function idPrefixOf(ref: string): string | null {
  return /^[0-9a-f-]{6,}$/i.test(ref) ? ref.toLowerCase() : null;
}

/**
 * The one profile a reference names among these: its id, `AGENT_ID/NAME`, or a unique id prefix
 * (a name wins over a prefix); null if none. An agent id and a name may both hold "/", so
 * `a/b/c` can name agent "a"'s profile "b/c" and agent "a/b"'s profile "c" at once: that is
 * refused, naming both by id, rather than one of them handed out.
 */
export function pickProfile<T extends { id: string; agentId: string; name: string }>(profiles: Iterable<T>, ref: string): T | null {
  const prefix = idPrefixOf(ref);
  const named: T[] = [];
  const prefixed: T[] = [];
  for (const p of profiles) {
    if (p.id === ref) return p;
    if (`${p.agentId}/${p.name}` === ref) named.push(p);
    else if (prefix !== null && p.id.startsWith(prefix)) prefixed.push(p);
  }
  const found = named.length > 0 ? named : prefixed;
  if (found.length > 1) {
    const which = named.length > 0 ? found.map((p) => `${p.id} (agent "${p.agentId}", name "${p.name}")`).join(' and ') : null;
    throw new KeyholdError(
      'BadInput',
      which === null
        ? `"${ref}" matches ${found.length} profiles; give more of the id.`
        : `"${ref}" names ${found.length} profiles: ${which}. Name it by its id.`,
      { field: 'ambiguousProfile' },
    );
  }
  return found[0] ?? null;
}

export interface ItemTables {
  kind: ItemKind;
  items: Extract<Table, 'profiles' | 'byok_keys'>;
  versions: Extract<Table, 'profile_versions' | 'byok_versions'>;
}

/** How long a deleted item waits in the trash before it is purged for good. */
export const TRASH_DAYS = 30;
export const TRASH_MS = TRASH_DAYS * 24 * 60 * 60 * 1000;

export const PROFILE_TABLES: ItemTables = { kind: 'profile', items: 'profiles', versions: 'profile_versions' };
export const BYOK_TABLES: ItemTables = { kind: 'byok', items: 'byok_keys', versions: 'byok_versions' };

/** Sync outcome fields every listing shows; kept in the meta cell so listing decrypts one cell per row. */
export interface SyncMeta {
  lastSyncType: SyncType | null;
  lastError: string | null;
  hasToken: boolean;
}

export interface ItemRow {
  id: string;
  lookup: Buffer;
  created_at: number;
  updated_at: number;
  version: number;
  sync_state: SyncState;
  meta: Buffer;
  secrets: Buffer;
  remote: Buffer | null;
}

export type VersionReason = ItemVersion['reason'];

/** What a history entry's encrypted body holds; `source` is absent in bodies written before it existed. */
interface VersionBody<Snapshot> {
  itemId: string;
  snapshot: Snapshot;
  source?: string;
}

export type SecretRow = Pick<ItemRow, 'id' | 'secrets' | 'remote'>;

export class ItemStore<Meta extends SyncMeta, Secrets, Remote, Snapshot> {
  constructor(
    readonly t: ItemTables,
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
  ) {}

  // Every read below sees live items only: a trashed row is invisible until it is restored.

  row(id: string): ItemRow | undefined {
    return sql(this.db, `SELECT * FROM ${this.t.items} WHERE id = ? AND trashed_at IS NULL`).get(id) as ItemRow | undefined;
  }

  /** The live item with this lookup tag. */
  rowByLookup(lookup: Buffer): ItemRow | undefined {
    return sql(this.db, `SELECT * FROM ${this.t.items} WHERE lookup = ? AND trashed_at IS NULL`).get(lookup) as ItemRow | undefined;
  }

  /** The cells a push needs, without the rest of the row. */
  secretRow(id: string): Pick<ItemRow, 'id' | 'secrets' | 'remote'> | undefined {
    return sql(this.db, `SELECT id, secrets, remote FROM ${this.t.items} WHERE id = ? AND trashed_at IS NULL`).get(id) as
      Pick<ItemRow, 'id' | 'secrets' | 'remote'> | undefined;
  }

  allRows(): Pick<ItemRow, 'id' | 'created_at' | 'updated_at' | 'version' | 'sync_state' | 'meta'>[] {
    return sql(this.db, `SELECT id, created_at, updated_at, version, sync_state, meta FROM ${this.t.items} WHERE trashed_at IS NULL`).all() as ItemRow[];
  }

  /** Every item's secret cells in one query, for bulk reads such as an export. */
  secretRows(): Map<string, SecretRow> {
    // Rows as arrays, made into objects here: better-sqlite3 builds a keyed row object more slowly
    // than a literal does (a fifth of this read at 10,000 rows). raw() changes the cached statement,
    // so this SQL text is used nowhere else.
    const rows = sql(this.db, `SELECT id, secrets, remote FROM ${this.t.items} WHERE trashed_at IS NULL`).raw(true).all() as [string, Buffer, Buffer | null][];
    const byId = new Map<string, SecretRow>();
    for (const r of rows) byId.set(r[0], { id: r[0], secrets: r[1], remote: r[2] });
    return byId;
  }

  /**
   * Runs `read` over every live item's secret cells (secretRows) in one read transaction: the
   * vault's key is checked against the file at its start, and the transaction holds the file at
   * the state that check saw, so another process's password change cannot slip in between and
   * every later check in it is a cached one (dataVersion, db.ts). Cells open exactly as they do
   * one by one: a damaged cell is the same Damaged error.
   */
  bulkRead<T>(read: (rows: Map<string, SecretRow>) => T): T {
    return readTx(this.db, () => {
      // The first read of the transaction: it fixes the state every later read sees.
      this.cells();
      return read(this.secretRows());
    });
  }

  /** Opens one of an item's cells; a cell that fails its check makes the item Damaged, named by id. */
  private open<T>(table: Table, rowId: string, column: string, cell: Buffer, itemId: string): T {
    try {
      return this.cells().decrypt<T>(table, rowId, column, cell);
    } catch (e) {
      if (isTamperedCell(e)) throw damagedError(this.t.kind === 'profile' ? 'profile' : 'BYOK key', itemId, column === 'body' ? 'history' : column);
      throw e;
    }
  }

  meta(row: Pick<ItemRow, 'id' | 'meta'>): Meta {
    return this.open<Meta>(this.t.items, row.id, 'meta', row.meta, row.id);
  }

  secrets(row: Pick<ItemRow, 'id' | 'secrets'>): Secrets {
    return this.open<Secrets>(this.t.items, row.id, 'secrets', row.secrets, row.id);
  }

  remote(row: Pick<ItemRow, 'id' | 'remote'>): Remote | null {
    return row.remote ? this.open<Remote>(this.t.items, row.id, 'remote', row.remote, row.id) : null;
  }

  /** The item's meta, or null when that cell is damaged (for listings, which skip such items). */
  metaOrNull(row: Pick<ItemRow, 'id' | 'meta'>): Meta | null {
    try {
      return this.meta(row);
    } catch (e) {
      if (e instanceof Error && (e as { code?: string }).code === 'Damaged') return null;
      throw e;
    }
  }

  insert(args: {
    lookup: Buffer;
    meta: Meta;
    secrets: Secrets;
    draft: boolean;
    now: number;
    reason: VersionReason;
    snapshot: Snapshot;
    source?: string | undefined;
  }): string {
    const id = randomUUID();
    const cells = this.cells();
    const state: SyncState = args.draft ? 'draft' : 'pending';
    sql(
      this.db,

      `INSERT INTO ${this.t.items} (id, lookup, created_at, updated_at, version, sync_state, meta, secrets, remote)
         VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL)`,
    ).run(
      id,
      args.lookup,
      args.now,
      args.now,
      state,
      cells.encrypt(this.t.items, id, 'meta', args.meta),
      cells.encrypt(this.t.items, id, 'secrets', args.secrets),
    );
    this.addVersion(id, 1, args.reason, args.snapshot, args.now, args.source);
    this.setQueued(id, state, args.now);
    return id;
  }

  /** Writes a new version of an item. `remote` undefined keeps the stored remote cell. */
  update(
    id: string,
    args: {
      lookup: Buffer;
      meta: Meta;
      secrets: Secrets;
      remote?: Remote | null;
      state: SyncState;
      now: number;
      reason: VersionReason;
      snapshot: Snapshot;
      source?: string | undefined;
    },
  ): number {
    const cells = this.cells();
    const current = sql(this.db, `SELECT version FROM ${this.t.items} WHERE id = ?`).get(id) as { version: number };
    const version = current.version + 1;
    const remoteSql = args.remote === undefined ? '' : ', remote = @remote';
    sql(
      this.db,

      `UPDATE ${this.t.items} SET lookup = @lookup, updated_at = @now, version = @version, sync_state = @state,
         meta = @meta, secrets = @secrets${remoteSql} WHERE id = @id`,
    ).run({
      id,
      lookup: args.lookup,
      now: args.now,
      version,
      state: args.state,
      meta: cells.encrypt(this.t.items, id, 'meta', args.meta),
      secrets: cells.encrypt(this.t.items, id, 'secrets', args.secrets),
      ...(args.remote === undefined ? {} : { remote: args.remote === null ? null : cells.encrypt(this.t.items, id, 'remote', args.remote) }),
    });
    this.addVersion(id, version, args.reason, args.snapshot, args.now, args.source);
    this.setQueued(id, args.state, args.now);
    return version;
  }

  /**
   * Rewrites the cells the sync engine owns without creating a user-visible version. The engine
   * manages the outbox row itself (backoff must survive this write).
   */
  writeSyncResult(id: string, args: { meta: Meta; remote: Remote | null; state: SyncState }): void {
    const cells = this.cells();
    sql(this.db, `UPDATE ${this.t.items} SET sync_state = ?, meta = ?, remote = ? WHERE id = ?`).run(
      args.state,
      cells.encrypt(this.t.items, id, 'meta', args.meta),
      args.remote === null ? null : cells.encrypt(this.t.items, id, 'remote', args.remote),
      id,
    );
  }

  /** Puts a failed item back in the queue without a new version (retry, re-create). */
  requeue(id: string, args: { meta: Meta; remote: Remote | null; now: number }): void {
    this.writeSyncResult(id, { ...args, state: 'pending' });
    this.setQueued(id, 'pending', args.now);
  }

  /** Keeps the outbox in step with the state: exactly the pending items have a row. */
  private setQueued(id: string, state: SyncState, now: number): void {
    if (state === 'pending') {
      // An edit while a push is queued coalesces into the one row; the payload is read at send time.
      sql(
        this.db,

        `INSERT INTO outbox (item_kind, item_id, enqueued_at, attempts, next_attempt_at)
           VALUES (?, ?, ?, 0, ?)
           ON CONFLICT (item_kind, item_id) DO UPDATE SET next_attempt_at = MIN(next_attempt_at, excluded.next_attempt_at)`,
      ).run(this.t.kind, id, now, now);
    } else {
      sql(this.db, 'DELETE FROM outbox WHERE item_kind = ? AND item_id = ? AND inflight_version IS NULL').run(this.t.kind, id);
    }
  }

  /**
   * `source` says where an imported version came from (a file and line, a bundle and its signer).
   * It is the person's data, so it rides in the encrypted body beside the snapshot; bodies written
   * before it existed simply have none.
   */
  private addVersion(id: string, version: number, reason: VersionReason, snapshot: Snapshot, now: number, source: string | undefined): void {
    const vid = randomUUID();
    sql(this.db, `INSERT INTO ${this.t.versions} (id, item_id, version, created_at, reason, body) VALUES (?, ?, ?, ?, ?, ?)`).run(
      vid,
      id,
      version,
      now,
      reason,
      this.cells().encrypt(this.t.versions, vid, 'body', { itemId: id, snapshot, ...(source ? { source } : {}) }),
    );
  }

  versions(id: string): { version: number; at: number; reason: VersionReason; snapshot: Snapshot; source?: string }[] {
    const rows = sql(this.db, `SELECT id, version, created_at, reason, body FROM ${this.t.versions} WHERE item_id = ? ORDER BY version DESC`).all(id) as {
      id: string;
      version: number;
      created_at: number;
      reason: VersionReason;
      body: Buffer;
    }[];
    return rows.map((r) => {
      const body = this.open<VersionBody<Snapshot>>(this.t.versions, r.id, 'body', r.body, id);
      return {
        version: r.version,
        at: r.created_at,
        reason: r.reason,
        snapshot: body.snapshot,
        ...(typeof body.source === 'string' && body.source !== '' ? { source: body.source } : {}),
      };
    });
  }

  // ---- trash ---------------------------------------------------------------------------------

  /**
   * Soft-deletes an item: row, cells and history stay until `purgeAt`. Its outbox row goes, so a
   * trashed item is never pushed; the lookup tag becomes random bytes so the name is free meanwhile.
   */
  trash(id: string, now: number, purgeAt: number): void {
    sql(this.db, 'DELETE FROM outbox WHERE item_kind = ? AND item_id = ?').run(this.t.kind, id);
    sql(this.db, `UPDATE ${this.t.items} SET trashed_at = ?, purge_at = ?, lookup = ? WHERE id = ? AND trashed_at IS NULL`).run(
      now,
      purgeAt,
      randomBytes(32),
      id,
    );
  }

  trashedRows(): (Pick<ItemRow, 'id' | 'created_at' | 'updated_at' | 'version' | 'sync_state' | 'meta'> & { trashed_at: number; purge_at: number })[] {
    return sql(
      this.db,
      `SELECT id, created_at, updated_at, version, sync_state, meta, trashed_at, purge_at FROM ${this.t.items} WHERE trashed_at IS NOT NULL`,
    ).all() as (ItemRow & { trashed_at: number; purge_at: number })[];
  }

  trashedRow(id: string): ItemRow | undefined {
    return sql(this.db, `SELECT * FROM ${this.t.items} WHERE id = ? AND trashed_at IS NOT NULL`).get(id) as ItemRow | undefined;
  }

  /** Brings a trashed item back under its real lookup tag (a unique violation if the name is taken now). */
  untrash(id: string, lookup: Buffer, state: SyncState, now: number): void {
    sql(this.db, `UPDATE ${this.t.items} SET trashed_at = NULL, purge_at = NULL, lookup = ? WHERE id = ? AND trashed_at IS NOT NULL`).run(lookup, id);
    this.setQueued(id, state, now);
  }

  /**
   * Restores a trashed item as it was (a pending one is queued again), inside the caller's
   * transaction: the row is read there, as another process may have restored or purged it
   * meanwhile. `lookupOf` gives its real lookup tag; `taken` the error when that name is in use now.
   */
  restoreFromTrash(id: string, now: number, lookupOf: (meta: Meta) => Buffer, taken: (meta: Meta) => KeyholdError): Meta {
    const row = this.trashedRow(id);
    if (!row) throw new KeyholdError('NotFound', `Nothing in the trash has id ${id}.`);
    const meta = this.meta(row);
    try {
      this.untrash(id, lookupOf(meta), row.sync_state, now);
    } catch (e) {
      if (isUniqueViolation(e)) throw taken(meta);
      throw e;
    }
    return meta;
  }

  /** Whether a trashed item is due to be purged by `at`: a read, which takes no write lock. */
  purgeDue(at: number): boolean {
    return sql(this.db, `SELECT 1 FROM ${this.t.items} WHERE purge_at <= ? LIMIT 1`).get(at) !== undefined;
  }

  /** Deletes trashed items for good (history included); `expiredAt` limits it to those due by then. */
  purge(ids: readonly string[] | 'all', expiredAt?: number): number {
    const where =
      ids === 'all'
        ? expiredAt === undefined
          ? 'trashed_at IS NOT NULL'
          : 'trashed_at IS NOT NULL AND purge_at <= @expiredAt'
        : 'trashed_at IS NOT NULL AND id = @id';
    const del = sql(this.db, `DELETE FROM ${this.t.items} WHERE ${where}`);
    if (ids === 'all') return (expiredAt === undefined ? del.run() : del.run({ expiredAt })).changes;
    return ids.reduce((n, id) => n + del.run({ id }).changes, 0);
  }
}
