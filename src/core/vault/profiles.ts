import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  type ItemVersion,
  ProfileInput,
  ProfilePatch,
  type ProfileDetail,
  type ProfileSummary,
  type SyncState,
  type SyncType,
} from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import type { AgentRegistry } from './agents';
import type { AuditLog } from './audit';
import { damagedError, type Cells } from './cells';
import { sql, tx } from './db';
import { isUniqueViolation } from './sqlite-errors';
import { ItemStore, PROFILE_TABLES, type SyncMeta } from './items';

export interface ProfileMeta extends SyncMeta {
  agentId: string;
  name: string;
  keys: string[];
  saveSession: boolean;
}
export interface ProfileSecrets {
  authData: Record<string, string>;
}
/** What the remote knows: the token and the identity (agent + name) it is bound to. */
export interface ProfileRemote {
  authToken: string | null;
  agentId: string;
  name: string;
  /** Kura answered 404 to an update: the remote profile is gone; re-creating drops the token. */
  missing?: boolean;
}
export interface ProfileSnapshot {
  agentId: string;
  name: string;
  authData: Record<string, string>;
  saveSession: boolean;
}

/**
 * The saved listing index. `rows` is a digest of every profile row as stored, so a snapshot is
 * used only for exactly the rows it was made from: one replayed from an older file, or left
 * behind by a change that did not go through Keyhold, is rebuilt from the rows instead.
 */
interface IndexSnapshot {
  rows: string;
  items: ProfileSummary[];
  damaged: string[];
}

export type IndexState = 'fresh' | 'missing' | 'stale' | 'unreadable';

interface Indexed {
  summary: ProfileSummary;
  haystack: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Profiles {
  readonly store: ItemStore<ProfileMeta, ProfileSecrets, ProfileRemote, ProfileSnapshot>;
  private index = new Map<string, Indexed>();
  private sorted: Indexed[] | null = null;
  /** Profiles whose meta cell failed its check: quarantined, listed apart, refused by every operation. */
  private quarantined = new Set<string>();
  /** What the last unlock found in the saved snapshot, for the vault check. */
  indexState: IndexState = 'missing';

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly agents: AgentRegistry,
    private readonly now: () => number,
  ) {
    this.store = new ItemStore(PROFILE_TABLES, db, cells);
  }

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
        items: [...this.index.values()].map((e) => e.summary),
        damaged: [...this.quarantined],
      };
      sql(this.db, 'INSERT INTO index_cache (id, gen, body) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, body = excluded.body').run(
        this.gen,
        this.cells().encrypt('index_cache', '1', 'body', snapshot),
      );
    }
    this.index.clear();
    this.quarantined.clear();
    this.sorted = null;
    this.gen = -1;
    this.savedGen = -1;
  }

  /** Ids of the profiles whose listing cell is damaged (they are not in list()). */
  damaged(): string[] {
    this.refresh();
    return [...this.quarantined].sort();
  }

  /** Runs a write transaction and keeps the index in step, rebuilding it if another process wrote meanwhile. */
  private write<T>(fn: () => T, updateIndex: (result: T) => void): T {
    let foreign = false;
    const result = tx(this.db, () => {
      foreign = this.fileGen() !== this.gen;
      const out = fn();
      sql(this.db, 'UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1').run();
      return out;
    });
    if (foreign) this.buildIndex();
    else {
      updateIndex(result);
      this.gen = this.fileGen();
    }
    return result;
  }

  private refresh(): void {
    this.cells();
    if (this.fileGen() !== this.gen) this.buildIndex();
  }

  private put(summary: ProfileSummary): void {
    const haystack = `${summary.agentId}\u0000${summary.name}\u0000${summary.keys.join('\u0000')}`.toLowerCase();
    this.index.set(summary.id, { summary, haystack });
    this.sorted = null;
  }

  private indexRow(
    id: string,
    row: { created_at: number; updated_at: number; version: number; sync_state: SyncState },
    meta: ProfileMeta,
  ): void {
    const summary: ProfileSummary = {
      id,
      agentId: meta.agentId,
      name: meta.name,
      keys: meta.keys,
      saveSession: meta.saveSession,
      syncState: row.sync_state,
      hasToken: meta.hasToken,
      lastSyncType: meta.lastSyncType,
      lastError: meta.lastError,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      version: row.version,
    };
    this.put(summary);
  }

  private reindex(id: string): void {
    const row = this.store.row(id);
    this.quarantined.delete(id);
    if (row) this.indexRow(id, row, this.store.meta(row));
    else {
      this.index.delete(id);
      this.sorted = null;
    }
  }

  list(options: { search?: string } = {}): ProfileSummary[] {
    this.refresh();
    if (!this.sorted) {
      this.sorted = [...this.index.values()].sort(
        (a, b) => a.summary.agentId.localeCompare(b.summary.agentId) || a.summary.name.localeCompare(b.summary.name),
      );
    }
    const needle = options.search?.trim().toLowerCase();
    const hits = needle ? this.sorted.filter((e) => e.haystack.includes(needle)) : this.sorted;
    return hits.map((e) => e.summary);
  }

  count(): number {
    return this.index.size;
  }

  /** Finds a profile by id, a unique id prefix (6+ characters, as listings show) or `AGENT_ID/NAME`. */
  resolve(ref: string): ProfileSummary {
    this.refresh();
    const byId = this.index.get(ref);
    if (byId) return byId.summary;
    const prefixHits: ProfileSummary[] = [];
    const canBePrefix = /^[0-9a-f-]{6,}$/i.test(ref);
    for (const { summary } of this.index.values()) {
      if (`${summary.agentId}/${summary.name}` === ref) return summary;
      if (canBePrefix && summary.id.startsWith(ref.toLowerCase())) prefixHits.push(summary);
    }
    if (prefixHits.length === 1) return prefixHits[0] as ProfileSummary;
    if (prefixHits.length > 1) throw new KeyholdError('BadInput', `"${ref}" matches ${prefixHits.length} profiles; give more of the id.`);
    const damaged = this.damagedRef(ref);
    if (damaged) throw damagedError('profile', damaged, 'meta');
    throw new KeyholdError('NotFound', `No profile "${ref}". Use its id or AGENT_ID/NAME (see "keyhold profile list").`);
  }

  /** The quarantined profile a reference names: by id, id prefix, or AGENT_ID/NAME through its lookup tag. */
  private damagedRef(ref: string): string | null {
    if (this.quarantined.size === 0) return null;
    const lower = ref.toLowerCase();
    const byId = [...this.quarantined].filter((id) => id === lower || (/^[0-9a-f-]{6,}$/i.test(ref) && id.startsWith(lower)));
    if (byId.length === 1) return byId[0] as string;
    const slash = ref.indexOf('/');
    if (slash <= 0) return null;
    const row = sql(this.db, 'SELECT id FROM profiles WHERE lookup = ?').get(this.lookup(ref.slice(0, slash), ref.slice(slash + 1))) as { id: string } | undefined;
    return row && this.quarantined.has(row.id) ? row.id : null;
  }

  /** The quarantined profile `ref` names when it names no readable one (so a prefix never picks it over one). */
  private resolvesToDamaged(ref: string): string | null {
    try {
      this.resolve(ref);
      return null;
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'Damaged') return this.damagedRef(ref);
      throw e;
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  /**
   * Reads an item's cells; one that fails its check quarantines the item from then on (listed as
   * damaged, refused by every operation), as a damaged meta cell does at unlock.
   */
  private guard<T>(id: string, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'Damaged') {
        this.index.delete(id);
        this.sorted = null;
        this.quarantined.add(id);
      }
      throw e;
    }
  }

  get(ref: string, options: { reveal?: boolean } = {}): ProfileDetail {
    const summary = this.resolve(ref);
    const row = this.store.row(summary.id);
    if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
    const { authData } = this.guard(summary.id, () => this.store.secrets(row));
    if (options.reveal) {
      this.audit.append('secret_revealed', { item: 'profile', id: summary.id });
    }
    const shown = Object.fromEntries(Object.keys(authData).map((k) => [k, options.reveal ? (authData[k] ?? null) : null]));
    return { ...summary, authData: shown, revealed: options.reveal ?? false };
  }

  /** The full item for the sync engine and the developer workflow; never sent to a renderer. */
  load(id: string): { summary: ProfileSummary; meta: ProfileMeta; secrets: ProfileSecrets; remote: ProfileRemote | null } {
    const row = this.store.row(id);
    const summary = this.index.get(id)?.summary;
    if (!row || !summary) throw new KeyholdError('NotFound', `No profile with id ${id}.`);
    return this.guard(id, () => ({ summary, meta: this.store.meta(row), secrets: this.store.secrets(row), remote: this.store.remote(row) }));
  }

  /**
   * What a push needs: the listing summary (which holds all of the meta cell) plus the values and
   * the remote token. Decrypts two cells, not three: sync is throughput-bound on this.
   */
  loadForPush(id: string): { summary: ProfileSummary; secrets: ProfileSecrets; remote: ProfileRemote | null } | null {
    this.refresh();
    const summary = this.index.get(id)?.summary;
    const row = summary && this.store.secretRow(id);
    if (!summary || !row) return null;
    try {
      return this.guard(id, () => ({ summary, secrets: this.store.secrets(row), remote: this.store.remote(row) }));
    } catch (e) {
      // A damaged item cannot be pushed; the rest of the queue goes on (the vault check lists it).
      if (e instanceof KeyholdError && e.code === 'Damaged') return null;
      throw e;
    }
  }

  /**
   * The current summary, for recording an outcome; the remote cell is read and decrypted only if
   * the outcome needs it (a failure, or a rename while the push was in flight).
   */
  loadForSync(id: string): { summary: ProfileSummary; remote: () => ProfileRemote | null } | null {
    this.refresh();
    const summary = this.index.get(id)?.summary;
    if (!summary) return null;
    return {
      summary,
      remote: () => {
        const row = this.store.secretRow(id);
        return row ? this.store.remote(row) : null;
      },
    };
  }

  history(ref: string): ItemVersion[] {
    const { id } = this.resolve(ref);
    return this.store.versions(id).map((v) => ({
      version: v.version,
      at: iso(v.at),
      reason: v.reason,
      summary: `${v.snapshot.agentId}/${v.snapshot.name}: ${Object.keys(v.snapshot.authData).length} key(s) [${Object.keys(v.snapshot.authData).join(', ')}]${v.snapshot.saveSession ? ', saves session' : ''}`,
    }));
  }

  // ---- writes ------------------------------------------------------------------------------

  private lookup(agentId: string, name: string): Buffer {
    return this.cells().lookup('profiles', agentId, name);
  }

  private conflict(agentId: string, name: string): KeyholdError {
    return new KeyholdError('Conflict', `A profile named "${name}" already exists for agent "${agentId}".`, { field: 'name' });
  }

  private insertOne(raw: ProfileInput, reason: 'create' | 'import', now: number): { id: string; meta: ProfileMeta; draft: boolean } {
    const input = parseInput(ProfileInput, raw);
    this.agents.checkKeys(input.agentId, Object.keys(input.authData));
    const meta: ProfileMeta = {
      agentId: input.agentId,
      name: input.name,
      keys: Object.keys(input.authData),
      saveSession: input.saveSession,
      lastSyncType: null,
      lastError: null,
      hasToken: false,
    };
    try {
      const id = this.store.insert({
        lookup: this.lookup(input.agentId, input.name),
        meta,
        secrets: { authData: input.authData },
        draft: input.draft,
        now,
        reason,
        snapshot: { agentId: input.agentId, name: input.name, authData: input.authData, saveSession: input.saveSession },
      });
      return { id, meta, draft: input.draft };
    } catch (e) {
      if (isUniqueViolation(e)) throw this.conflict(input.agentId, input.name);
      throw e;
    }
  }

  private indexNew(created: { id: string; meta: ProfileMeta; draft: boolean }, now: number): void {
    this.indexRow(created.id, { created_at: now, updated_at: now, version: 1, sync_state: created.draft ? 'draft' : 'pending' }, created.meta);
  }

  create(raw: ProfileInput, reason: 'create' | 'import' = 'create'): ProfileSummary {
    const now = this.now();
    const created = this.write(
      () => {
        const c = this.insertOne(raw, reason, now);
        this.audit.append('item_created', { item: 'profile', id: c.id, draft: c.draft });
        return c;
      },
      (c) => this.indexNew(c, now),
    );
    return this.resolve(created.id);
  }

  /** Creates many profiles in one transaction: all or none. */
  createMany(raws: ProfileInput[], reason: 'create' | 'import' = 'create'): string[] {
    const now = this.now();
    const created = this.write(
      () => {
        const all = raws.map((raw, i) => {
          try {
            return this.insertOne(raw, reason, now);
          } catch (e) {
            if (e instanceof KeyholdError) throw new KeyholdError(e.code, `Item ${i + 1}: ${e.message}`, e.field === undefined ? undefined : { field: e.field });
            throw e;
          }
        });
        this.audit.append('item_created', { item: 'profile', count: all.length });
        return all;
      },
      (all) => all.forEach((c) => this.indexNew(c, now)),
    );
    return created.map((c) => c.id);
  }

  /**
   * Applies a change. Renaming or moving a profile that has a remote token makes it a new remote
   * profile (Kura binds tokens to agent + name); that needs `confirmNewRemote`.
   */
  edit(ref: string, rawPatch: ProfilePatch, options: { confirmNewRemote?: boolean; reason?: 'edit' | 'restore' | 'import' } = {}): ProfileSummary {
    const patch = parseInput(ProfilePatch, rawPatch);
    const { id } = this.resolve(ref);
    const current = this.load(id);
    const agentId = patch.agentId ?? current.meta.agentId;
    const name = patch.name ?? current.meta.name;
    const authData: Record<string, string> = patch.replaceAuthData
      ? { ...patch.replaceAuthData }
      : { ...current.secrets.authData, ...(patch.set ?? {}) };
    for (const key of patch.unset ?? []) {
      if (!(key in authData)) throw new KeyholdError('BadInput', `The profile has no key "${key}" to remove.`, { field: key });
      delete authData[key];
    }
    const saveSession = patch.saveSession ?? current.meta.saveSession;
    this.agents.checkKeys(agentId, Object.keys(authData));

    const identityChanged = agentId !== current.meta.agentId || name !== current.meta.name;
    let remote: ProfileRemote | null | undefined;
    let lastSyncType: SyncType | null = current.meta.lastSyncType;
    if (identityChanged && current.remote?.authToken) {
      if (!options.confirmNewRemote) {
        throw new KeyholdError(
          'Conflict',
          `"${current.meta.agentId}/${current.meta.name}" is synced. Renaming or moving it creates a new remote profile with a new token; the old remote profile stays on Kura.`,
          // Points at the confirmation the call lacks, so callers can ask for it (not at the name).
          { field: 'confirmNewRemote' },
        );
      }
      remote = null;
      lastSyncType = null;
    }
    const draft = patch.draft ?? current.summary.syncState === 'draft';
    const state: SyncState = draft ? 'draft' : 'pending';
    const meta: ProfileMeta = {
      agentId,
      name,
      keys: Object.keys(authData),
      saveSession,
      lastSyncType,
      lastError: null,
      hasToken: remote === null ? false : current.meta.hasToken,
    };
    try {
      this.write(
        () => {
          this.store.update(id, {
            lookup: this.lookup(agentId, name),
            meta,
            secrets: { authData },
            ...(remote === undefined ? {} : { remote }),
            state,
            now: this.now(),
            reason: options.reason ?? 'edit',
            snapshot: { agentId, name, authData, saveSession },
          });
          this.audit.append(options.reason === 'restore' ? 'item_restored' : 'item_changed', { item: 'profile', id });
        },
        () => this.reindex(id),
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw this.conflict(agentId, name);
      throw e;
    }
    return this.resolve(id);
  }

  /** Promotes a draft so the next sync pushes it. */
  ready(ref: string): ProfileSummary {
    const summary = this.resolve(ref);
    if (summary.syncState !== 'draft') return summary;
    return this.edit(summary.id, { draft: false });
  }

  restore(ref: string, version: number, options: { confirmNewRemote?: boolean } = {}): ProfileSummary {
    const { id } = this.resolve(ref);
    const target = this.store.versions(id).find((v) => v.version === version);
    if (!target) throw new KeyholdError('NotFound', `Profile "${ref}" has no version ${version} (see "keyhold profile history").`);
    const s = target.snapshot;
    return this.edit(
      id,
      { agentId: s.agentId, name: s.name, replaceAuthData: s.authData, saveSession: s.saveSession },
      { ...options, reason: 'restore' },
    );
  }

  remove(ref: string): { id: string; wasSynced: boolean } {
    const damaged = this.resolvesToDamaged(ref);
    if (damaged) {
      // A damaged profile can still be thrown away: that needs none of its cells.
      this.write(
        () => {
          this.store.delete(damaged);
          this.audit.append('item_deleted', { item: 'profile', id: damaged, damaged: true });
        },
        () => this.reindex(damaged),
      );
      return { id: damaged, wasSynced: false };
    }
    const summary = this.resolve(ref);
    this.write(
      () => {
        this.store.delete(summary.id);
        this.audit.append('item_deleted', { item: 'profile', id: summary.id });
      },
      () => this.reindex(summary.id),
    );
    return { id: summary.id, wasSynced: summary.hasToken };
  }

  /** The meta cell's content, which the listing summary carries whole. */
  static metaOf(s: ProfileSummary): ProfileMeta {
    return { agentId: s.agentId, name: s.name, keys: s.keys, saveSession: s.saveSession, lastSyncType: s.lastSyncType, lastError: s.lastError, hasToken: s.hasToken };
  }

  /** Used by the sync engine to record an outcome; the engine owns the outbox row. */
  recordSync(current: ProfileSummary, meta: ProfileMeta, remote: ProfileRemote | null, state: SyncState): void {
    const id = current.id;
    this.write(
      () => this.store.writeSyncResult(id, { meta, remote, state }),
      () =>
        this.indexRow(
          id,
          { created_at: Date.parse(current.createdAt), updated_at: Date.parse(current.updatedAt), version: current.version, sync_state: state },
          meta,
        ),
    );
  }

  /**
   * After Kura lost the remote profile (404 on update): forget the token and push a create, which
   * makes a new remote profile with a new token.
   */
  recreate(ref: string): ProfileSummary {
    const { id } = this.resolve(ref);
    const current = this.load(id);
    if (!current.remote?.missing) {
      throw new KeyholdError('Conflict', `"${current.meta.agentId}/${current.meta.name}" is not missing on Kura; there is nothing to re-create.`);
    }
    this.write(
      () => {
        this.store.requeue(id, {
          meta: { ...current.meta, hasToken: false, lastError: null, lastSyncType: null },
          remote: null,
          now: this.now(),
        });
        this.audit.append('item_changed', { item: 'profile', id, recreate: true });
      },
      () => this.reindex(id),
    );
    return this.resolve(id);
  }

  /** Puts a failed profile back in the queue as it is. */
  retry(ref: string): ProfileSummary {
    const { id } = this.resolve(ref);
    const current = this.load(id);
    if (current.summary.syncState !== 'failed') return current.summary;
    if (current.remote?.missing) {
      throw new KeyholdError('Conflict', `Kura no longer has "${current.meta.agentId}/${current.meta.name}"; re-create it instead of retrying.`);
    }
    this.write(
      () => this.store.requeue(id, { meta: { ...current.meta, lastError: null }, remote: current.remote, now: this.now() }),
      () => this.reindex(id),
    );
    return this.resolve(id);
  }
}
