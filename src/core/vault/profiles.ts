import type Database from 'better-sqlite3';
import {
  type ItemVersion,
  type KeyExpiry,
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
import type { Cells } from './cells';
import { sql, tx } from './db';
import { isUniqueViolation } from './sqlite-errors';
import { ItemStore, PROFILE_TABLES, type SyncMeta } from './items';

export interface ProfileMeta extends SyncMeta {
  agentId: string;
  name: string;
  keys: string[];
  saveSession: boolean;
  expiry?: Record<string, KeyExpiry>;
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

interface Indexed {
  summary: ProfileSummary;
  haystack: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Profiles {
  readonly store: ItemStore<ProfileMeta, ProfileSecrets, ProfileRemote, ProfileSnapshot>;
  private index = new Map<string, Indexed>();
  private sorted: Indexed[] | null = null;

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
    const cached = sql(this.db, 'SELECT gen, body FROM index_cache WHERE id = 1').get() as { gen: number; body: Buffer } | undefined;
    const snapshot = cached && cached.gen === gen ? this.readSnapshot(cached.body) : null;
    if (snapshot) {
      for (const summary of snapshot) this.put(summary);
      this.savedGen = gen;
    } else {
      for (const row of this.store.allRows()) this.indexRow(row.id, row, this.store.meta(row));
    }
    this.gen = gen;
  }

  // The snapshot is derived data: one that fails to open is rebuilt from the rows, which are the truth.
  private readSnapshot(body: Buffer): ProfileSummary[] | null {
    try {
      return this.cells().decrypt<ProfileSummary[]>('index_cache', '1', 'body', body);
    } catch {
      return null;
    }
  }

  /** Saves the index snapshot if it reflects the file and differs from the saved one; then forgets it. */
  dropIndex(): void {
    if (this.gen >= 0 && this.gen !== this.savedGen && this.gen === this.fileGen()) {
      const snapshot = [...this.index.values()].map((e) => e.summary);
      sql(this.db, 'INSERT INTO index_cache (id, gen, body) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET gen = excluded.gen, body = excluded.body').run(
        this.gen,
        this.cells().encrypt('index_cache', '1', 'body', snapshot),
      );
    }
    this.index.clear();
    this.sorted = null;
    this.gen = -1;
    this.savedGen = -1;
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
      ...(meta.expiry && Object.keys(meta.expiry).length > 0 ? { expiry: meta.expiry } : {}),
    };
    this.put(summary);
  }

  private reindex(id: string): void {
    const row = this.store.row(id);
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
    throw new KeyholdError('NotFound', `No profile "${ref}". Use its id or AGENT_ID/NAME (see "keyhold profile list").`);
  }

  // ---- reads -------------------------------------------------------------------------------

  get(ref: string, options: { reveal?: boolean } = {}): ProfileDetail {
    const summary = this.resolve(ref);
    const row = this.store.row(summary.id);
    if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
    const { authData } = this.store.secrets(row);
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
    return { summary, meta: this.store.meta(row), secrets: this.store.secrets(row), remote: this.store.remote(row) };
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
    return { summary, secrets: this.store.secrets(row), remote: this.store.remote(row) };
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
    // A key's expiry follows its value: a new value has no known expiry date and starts its rotation period again.
    const expiry: Record<string, KeyExpiry> = {};
    for (const [key, e] of Object.entries(current.meta.expiry ?? {})) {
      if (!(key in authData)) continue;
      if (authData[key] === current.secrets.authData[key]) expiry[key] = e;
      else if (e.rotateDays !== undefined) expiry[key] = { rotateDays: e.rotateDays, since: iso(this.now()) };
    }
    const meta: ProfileMeta = {
      agentId,
      name,
      keys: Object.keys(authData),
      saveSession,
      lastSyncType,
      lastError: null,
      hasToken: remote === null ? false : current.meta.hasToken,
      ...(Object.keys(expiry).length > 0 ? { expiry } : {}),
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

  /**
   * Sets when one value expires and how often it should be replaced (null clears; undefined keeps).
   * No new version: the values are unchanged.
   */
  setExpiry(ref: string, key: string, change: { expiresAt?: number | null; rotateDays?: number | null }): ProfileSummary {
    if (change.rotateDays != null && (!Number.isInteger(change.rotateDays) || change.rotateDays < 1 || change.rotateDays > 3650)) {
      throw new KeyholdError('BadInput', 'A rotation period is a whole number of days from 1 to 3650.', { field: 'rotateDays' });
    }
    if (change.expiresAt != null && !Number.isFinite(change.expiresAt)) throw new KeyholdError('BadInput', 'The expiry date is not a valid date.', { field: 'expiresAt' });
    const { id } = this.resolve(ref);
    this.write(
      () => {
        const row = this.store.row(id);
        if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
        const meta = this.store.meta(row);
        if (!meta.keys.includes(key)) throw new KeyholdError('NotFound', `The profile has no key "${key}".`, { field: key });
        const entry: KeyExpiry = { ...(meta.expiry?.[key] ?? { since: iso(row.updated_at) }) };
        if (change.expiresAt === null) delete entry.expiresAt;
        else if (change.expiresAt !== undefined) entry.expiresAt = iso(change.expiresAt);
        if (change.rotateDays === null) delete entry.rotateDays;
        else if (change.rotateDays !== undefined) entry.rotateDays = change.rotateDays;
        const expiry = { ...(meta.expiry ?? {}) };
        if (entry.expiresAt === undefined && entry.rotateDays === undefined) delete expiry[key];
        else expiry[key] = entry;
        this.store.writeSyncResult(id, { meta: { ...meta, expiry }, remote: this.store.remote(row), state: row.sync_state });
        this.audit.append('item_changed', { item: 'profile', id });
      },
      () => this.reindex(id),
    );
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
    return {
      agentId: s.agentId,
      name: s.name,
      keys: s.keys,
      saveSession: s.saveSession,
      lastSyncType: s.lastSyncType,
      lastError: s.lastError,
      hasToken: s.hasToken,
      ...(s.expiry ? { expiry: s.expiry } : {}),
    };
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
