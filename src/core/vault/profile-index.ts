import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ProfileSummary, SyncState } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { compareText } from '../../shared/text';
import { damagedError, type Cells } from './cells';
import { housekeeping, openTransaction, sql, tx } from './db';
import { idPrefixOf, pickProfile, type ItemStore } from './items';
import { iso, type ProfileMeta, type ProfileRemote, type ProfileSecrets, type ProfileSnapshot } from './profile-model';

/**
 * The saved listing index. `rows` is a digest of every profile row as stored, so a snapshot is
 * used only for exactly the rows it was made from: one replayed from an older file, or left
 * behind by a change that did not go through Keyhold, is rebuilt from the rows instead.
 */
interface IndexSnapshot {
  rows: string;
  items: ProfileSummary[];
  damaged: string[];
  /**
   * The items are in listing order: a read-only command lists them as they are, without sorting,
   * which would cost it more than the rest of its listing (the first collator of a process takes
   * ICU 10–15 ms to make). Absent in snapshots saved before the order was kept.
   */
  sorted?: boolean;
}

export type IndexState = 'fresh' | 'missing' | 'stale' | 'unreadable';

interface Indexed {
  summary: ProfileSummary;
  haystack: string;
}

/** The listing's summary of a profile: its meta cell and the row's plaintext columns. */
function summaryOf(id: string, row: Pick<ProfileSummary, 'createdAt' | 'updatedAt' | 'version' | 'syncState'>, meta: ProfileMeta): ProfileSummary {
  return {
    id,
    agentId: meta.agentId,
    name: meta.name,
    keys: meta.keys,
    saveSession: meta.saveSession,
    syncState: row.syncState,
    hasToken: meta.hasToken,
    lastSyncType: meta.lastSyncType,
    lastError: meta.lastError,
    ...(meta.allowEnv?.length ? { allowEnv: meta.allowEnv } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    ...(meta.expiry && Object.keys(meta.expiry).length > 0 ? { expiry: meta.expiry } : {}),
  };
}
/**
 * The profile listing: an in-memory index of every readable profile's summary (the whole meta
 * cell), saved encrypted at lock for a fast next unlock, and the quarantine of profiles whose
 * cells failed their check. Every profile write goes through write(), which keeps it in step.
 */
/** An agent id and name as they read: in Unicode's composed form (NFC). */
export const canonicalKey = (agentId: string, name: string): string => `${agentId.normalize('NFC')}\u0000${name.normalize('NFC')}`;

/**
 * Refuses an agent id and name that read the same as another profile's but are encoded otherwise
 * (a look-alike a bundle, a scanned folder or the trash could bring in beside the person's own).
 */
export function refuseLookAlike(agentId: string, name: string, twin: { id?: string; agentId: string; name: string } | undefined): void {
  if (!twin) return;
  throw new KeyholdError(
    'Conflict',
    `"${agentId}/${name}" reads the same as the profile "${twin.agentId}/${twin.name}"${twin.id ? ` (${twin.id})` : ' given before it'}, ` +
      'but its letters are encoded otherwise (Unicode normalization): the two could not be told apart. Use that profile, or another name.',
    { field: 'name' },
  );
}

export class ProfileIndex {
  private index = new Map<string, Indexed>();
  private sorted: Indexed[] | null = null;
  /** Profiles by their agent id and name in Unicode's composed form (NFC), built when first asked. */
  private canonical: Map<string, ProfileSummary> | null = null;
  /** Profiles whose meta cell failed its check: quarantined, listed apart, refused by every operation. */
  private quarantined = new Set<string>();
  /** What the last unlock found in the saved snapshot, for the vault check. */
  indexState: IndexState = 'missing';

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly store: ItemStore<ProfileMeta, ProfileSecrets, ProfileRemote, ProfileSnapshot>,
  ) {}

  // ---- index ----------------------------------------------------------------------------
  // The listing index lives in memory while unlocked. `gen` is the vault's write generation it
  // reflects; every profile write goes through write(), which bumps it in the same transaction,
  // so a different generation in the file means another process wrote, and the index is rebuilt.
  // At lock the index is saved as one encrypted snapshot for a fast next unlock.

  private gen = -1;
  private savedGen = -1;

  private fileGen(): number {
    return (sql(this.db, 'SELECT index_gen FROM vault_meta WHERE id = 1').get() as { index_gen: number }).index_gen;
  }

  buildIndex(): void {
    this.dropIndex();
    const gen = this.fileGen();
    const { state, snapshot } = this.checkSnapshot(gen);
    this.indexState = state;
    if (snapshot) {
      for (const summary of snapshot.items) this.put(summary);
      for (const id of snapshot.damaged) this.quarantined.add(id);
      if (snapshot.sorted === true) this.sorted = [...this.index.values()];
      this.savedGen = gen;
    } else {
      for (const row of this.store.allRows()) {
        const meta = this.store.metaOrNull(row);
        if (meta) this.indexRow(row.id, row, meta);
        else this.quarantined.add(row.id);
      }
    }
    this.gen = gen;
  }

  private digestSql: string | null = null;

  /**
   * A digest of what the listing is made of, as stored: every plaintext column of every profile
   * row and its whole meta cell (the cell, not just its GCM tag: a cell damaged in the middle
   * keeps its tag, and must still make the snapshot stale). Built inside SQLite, which for 10,000
   * rows costs a fraction of hashing whole rows in JavaScript. Plaintext columns are found from
   * the schema, so one a later migration adds is covered without a change here.
   */
  private rowsDigest(): string {
    if (!this.digestSql) {
      const columns = sql(this.db, "SELECT name, type FROM pragma_table_info('profiles')").all() as { name: string; type: string }[];
      const parts = columns.filter((c) => c.type.toUpperCase() !== 'BLOB').map((c) => `ifnull(${c.name}, '~')`);
      parts.push('hex(meta)');
      // Ordered by the primary key in a subquery: the index gives the order without a sort.
      this.digestSql = `SELECT group_concat(${parts.join(" || '|' || ")}, ',') FROM (SELECT * FROM profiles ORDER BY id)`;
    }
    const all = (sql(this.db, this.digestSql).pluck().get() as string | null) ?? '';
    return createHash('sha256').update(all, 'utf8').digest('hex');
  }

  /**
   * The saved snapshot, if it is exactly the index of the rows in the file. The snapshot is
   * derived data: one that fails to open, or that was made from other rows, is never trusted
   * over the rows, which are the truth.
   */
  checkSnapshot(gen = this.fileGen()): { state: IndexState; snapshot: IndexSnapshot | null } {
    const cached = sql(this.db, 'SELECT gen, body FROM index_cache WHERE id = 1').get() as { gen: number; body: Buffer } | undefined;
    if (!cached) return { state: 'missing', snapshot: null };
    let snapshot: IndexSnapshot;
    try {
      snapshot = this.cells().decrypt<IndexSnapshot>('index_cache', '1', 'body', cached.body);
    } catch {
      return { state: 'unreadable', snapshot: null };
    }
    if (!snapshot || typeof snapshot.rows !== 'string' || !Array.isArray(snapshot.items) || !Array.isArray(snapshot.damaged)) {
      return { state: 'stale', snapshot: null };
    }
    if (cached.gen !== gen || snapshot.rows !== this.rowsDigest()) return { state: 'stale', snapshot: null };
    return { state: 'fresh', snapshot };
  }

  /** Saves the index snapshot if it reflects the file and differs from the saved one; then forgets it. */
  dropIndex(save = true): void {
    if (save && this.gen >= 0 && this.gen !== this.savedGen && this.gen === this.fileGen()) {
      const snapshot: IndexSnapshot = {
        rows: this.rowsDigest(),
        items: this.inOrder().map((e) => e.summary),
        damaged: [...this.quarantined],
        sorted: true,
      };
      // The snapshot is derived data: a busy or full vault only means the next unlock rebuilds
      // the index from the rows, not that this lock (or the command that ends with it) failed.
      housekeeping(
        () =>
          tx(this.db, () =>
            sql(
              this.db,
              'INSERT INTO index_cache (id, gen, body) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, body = excluded.body',
            ).run(this.gen, this.cells().encrypt('index_cache', '1', 'body', snapshot)),
          ),
        undefined,
      );
    }
    this.index.clear();
    this.quarantined.clear();
    this.sorted = null;
    this.canonical = null;
    this.gen = -1;
    this.savedGen = -1;
  }

  /** Ids of the profiles whose listing cell is damaged (they are not in list()). */
  damaged(): string[] {
    this.refresh();
    return [...this.quarantined].sort();
  }

  // Inside one of tx()'s or readTx()'s transactions this connection sees one state of the file,
  // so what was checked once holds to its end. `checkedIn`: the transaction (openTransaction) in which the
  // index was found to match the file; `movedIn`: the one whose first write moved the generation.
  private checkedIn: number | undefined;
  private movedIn: number | undefined;

  private within(marker: number | undefined): boolean {
    return marker !== undefined && this.gen >= 0 && openTransaction(this.db) === marker;
  }

  /**
   * Runs a write transaction and keeps the index in step, rebuilding it if another process wrote
   * meanwhile. Inside a larger transaction (a sync batch records hundreds of outcomes in one), only
   * the first write checks for other writers and moves the generation: no other process can
   * write until it commits, and a rollback leaves the file's generation behind this.gen, so the
   * next read rebuilds the index either way.
   */
  write<T>(fn: () => T, updateIndex: (result: T) => void): T {
    if (this.within(this.movedIn)) {
      const out = fn();
      updateIndex(out);
      return out;
    }
    let foreign = false;
    const result = tx(this.db, () => {
      foreign = this.fileGen() !== this.gen;
      const out = fn();
      sql(this.db, 'UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1').run();
      this.movedIn = this.checkedIn = openTransaction(this.db);
      return out;
    });
    if (foreign) this.buildIndex();
    else {
      updateIndex(result);
      this.gen = this.fileGen();
    }
    return result;
  }

  refresh(): void {
    this.cells();
    if (this.within(this.checkedIn)) return;
    if (this.fileGen() !== this.gen) this.buildIndex();
    this.checkedIn = openTransaction(this.db);
  }

  private put(summary: ProfileSummary): void {
    // A sync outcome keeps the agent, the name and the very key list: so does the search text.
    const before = this.index.get(summary.id);
    const haystack =
      before && before.summary.keys === summary.keys && before.summary.agentId === summary.agentId && before.summary.name === summary.name
        ? before.haystack
        : `${summary.agentId}\u0000${summary.name}\u0000${summary.keys.join('\u0000')}`.toLowerCase();
    this.index.set(summary.id, { summary, haystack });
    this.sorted = null;
    this.canonical = null;
  }

  indexRow(id: string, row: { created_at: number; updated_at: number; version: number; sync_state: SyncState }, meta: ProfileMeta): void {
    this.put(summaryOf(id, { createdAt: iso(row.created_at), updatedAt: iso(row.updated_at), version: row.version, syncState: row.sync_state }, meta));
  }

  /** A new meta cell and state for a listed profile whose row keeps its times and version (a sync outcome). */
  reindexAs(current: ProfileSummary, meta: ProfileMeta, syncState: SyncState): void {
    this.put(summaryOf(current.id, { createdAt: current.createdAt, updatedAt: current.updatedAt, version: current.version, syncState }, meta));
  }

  reindex(id: string): void {
    const row = this.store.row(id);
    this.quarantined.delete(id);
    if (row) this.indexRow(id, row, this.store.meta(row));
    else {
      this.index.delete(id);
      this.sorted = null;
      this.canonical = null;
    }
  }

  /** The profiles in listing order: by agent id, then name, as people sort them. */
  private inOrder(): Indexed[] {
    this.sorted ??= [...this.index.values()].sort((a, b) => compareText(a.summary.agentId, b.summary.agentId) || compareText(a.summary.name, b.summary.name));
    return this.sorted;
  }

  list(options: { search?: string } = {}): ProfileSummary[] {
    this.refresh();
    const needle = options.search?.trim().toLowerCase();
    const hits = needle ? this.inOrder().filter((e) => e.haystack.includes(needle)) : this.inOrder();
    return hits.map((e) => e.summary);
  }

  count(): number {
    return this.index.size;
  }

  private *summaries(): Iterable<ProfileSummary> {
    for (const { summary } of this.index.values()) yield summary;
  }

  /** Finds a profile by id, a unique id prefix (6+ characters, as listings show) or `AGENT_ID/NAME`. */
  resolve(ref: string): ProfileSummary {
    this.refresh();
    const byId = this.index.get(ref);
    if (byId) return byId.summary;
    const found = pickProfile(this.summaries(), ref);
    if (found) return found;
    const damaged = this.damagedRef(ref);
    if (damaged) throw damagedError('profile', damaged, 'meta');
    throw new KeyholdError('NotFound', `No profile "${ref}".`, { field: 'unknownProfile' });
  }

  /** The quarantined profile a reference names: by id, id prefix, or AGENT_ID/NAME through its lookup tag. */
  private damagedRef(ref: string): string | null {
    if (this.quarantined.size === 0) return null;
    const lower = ref.toLowerCase();
    const prefix = idPrefixOf(ref);
    const byId = [...this.quarantined].filter((id) => id === lower || (prefix !== null && id.startsWith(prefix)));
    if (byId.length === 1) return byId[0] as string;
    const slash = ref.indexOf('/');
    if (slash <= 0) return null;
    const row = sql(this.db, 'SELECT id FROM profiles WHERE lookup = ?').get(this.lookup(ref.slice(0, slash), ref.slice(slash + 1))) as
      { id: string } | undefined;
    return row && this.quarantined.has(row.id) ? row.id : null;
  }

  /** The quarantined profile `ref` names when it names no readable one (so a prefix never picks it over one). */
  resolvesToDamaged(ref: string): string | null {
    try {
      this.resolve(ref);
      return null;
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'Damaged') return this.damagedRef(ref);
      throw e;
    }
  }

  /**
   * Reads an item's cells; one that fails its check quarantines the item from then on (listed as
   * damaged, refused by every operation), as a damaged meta cell does at unlock.
   */
  guard<T>(id: string, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'Damaged') {
        this.index.delete(id);
        this.sorted = null;
        this.canonical = null;
        this.quarantined.add(id);
      }
      throw e;
    }
  }

  /** The listing summary of a readable profile, or undefined. */
  summary(id: string): ProfileSummary | undefined {
    return this.index.get(id)?.summary;
  }

  /**
   * Another profile whose agent id and name read the same as these but are encoded otherwise: "café"
   * written with "é" and with "e" plus a combining accent are different strings and look the same.
   */
  readsAs(agentId: string, name: string, exceptId?: string): ProfileSummary | undefined {
    this.refresh();
    if (this.canonical === null) {
      this.canonical = new Map();
      for (const { summary } of this.index.values()) this.canonical.set(canonicalKey(summary.agentId, summary.name), summary);
    }
    const found = this.canonical.get(canonicalKey(agentId, name));
    return found && found.id !== exceptId && (found.agentId !== agentId || found.name !== name) ? found : undefined;
  }

  /** The blind index tag of a profile's agent and name. */
  lookup(agentId: string, name: string): Buffer {
    return this.cells().lookup('profiles', agentId, name);
  }
}
