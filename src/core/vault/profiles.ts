import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  type ItemVersion,
  type KeyExpiry,
  ProfileInput,
  ProfilePatch,
  type ProfileDetail,
  type ProfileSummary,
  type ProfileToken,
  type SyncState,
  type SyncType,
} from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { assertEnvNamesAllowed, keptAllowances } from '../devflow/env-names';
import type { AgentRegistry } from './agents';
import type { AuditLog } from './audit';
import { damagedError, type Cells } from './cells';
import { sql, tx } from './db';
import { isUniqueViolation } from './sqlite-errors';
import { ItemStore, PROFILE_TABLES, TRASH_DAYS, TRASH_MS, type SyncMeta } from './items';

/** Two versions of a profile compared (`keyhold profile diff`); values are null unless revealed. */
export interface ProfileVersionDiff {
  id: string;
  from: number;
  to: number;
  revealed: boolean;
  keys: { key: string; change: 'added' | 'removed' | 'changed'; from: string | null; to: string | null }[];
  fields: { field: 'agentId' | 'name' | 'saveSession'; from: string; to: string }[];
}

export interface ProfileMeta extends SyncMeta {
  agentId: string;
  name: string;
  keys: string[];
  saveSession: boolean;
  /** Keys that change how a program runs, allowed by name; absent in cells written before there were any. */
  allowEnv?: string[];
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
  /** When this vault got the token (ISO-8601); null when unknown (imported from a bundle, or older vaults). */
  obtainedAt?: string | null;
  /** The last successful push for this token: create, replace (a new token over an existing remote profile) or update. */
  syncType?: SyncType | null;
  /** No token because it was dropped after Kura answered 404 (the re-create has not synced yet). */
  droppedAfterMissing?: boolean;
}
/** How a token read is audited: which event, and what for (run, inject, token, reveal…). */
export interface TokenReadOptions {
  purpose?: string;
  event?: 'secret_revealed' | 'secret_copied';
}

export interface ProfileSnapshot {
  agentId: string;
  name: string;
  authData: Record<string, string>;
  saveSession: boolean;
  /** The token a rename or move left behind at this version, so restoring an older version can bring it back. */
  retiredToken?: ProfileRemote;
}

/** A usable token for the profile's current identity, or null. */
export function usableToken(remote: ProfileRemote | null, agentId: string, name: string): ProfileRemote | null {
  return remote?.authToken && !remote.missing && remote.agentId === agentId && remote.name === name ? remote : null;
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

  private indexRow(id: string, row: { created_at: number; updated_at: number; version: number; sync_state: SyncState }, meta: ProfileMeta): void {
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
      ...(meta.allowEnv?.length ? { allowEnv: meta.allowEnv } : {}),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      version: row.version,
      ...(meta.expiry && Object.keys(meta.expiry).length > 0 ? { expiry: meta.expiry } : {}),
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
      this.sorted = [...this.index.values()].sort((a, b) => a.summary.agentId.localeCompare(b.summary.agentId) || a.summary.name.localeCompare(b.summary.name));
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
    throw new KeyholdError('NotFound', `No profile "${ref}". Name it by its id or by agent id and name.`, { field: 'unknownProfile' });
  }

  /** The quarantined profile a reference names: by id, id prefix, or AGENT_ID/NAME through its lookup tag. */
  private damagedRef(ref: string): string | null {
    if (this.quarantined.size === 0) return null;
    const lower = ref.toLowerCase();
    const byId = [...this.quarantined].filter((id) => id === lower || (/^[0-9a-f-]{6,}$/i.test(ref) && id.startsWith(lower)));
    if (byId.length === 1) return byId[0] as string;
    const slash = ref.indexOf('/');
    if (slash <= 0) return null;
    const row = sql(this.db, 'SELECT id FROM profiles WHERE lookup = ?').get(this.lookup(ref.slice(0, slash), ref.slice(slash + 1))) as
      { id: string } | undefined;
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
    const token = summary.hasToken
      ? usableToken(
          this.guard(summary.id, () => this.store.remote(row)),
          summary.agentId,
          summary.name,
        )
      : null;
    if (options.reveal) {
      this.audit.append('secret_revealed', { item: 'profile', id: summary.id, ...(token ? { token: true } : {}) });
    }
    const shown = Object.fromEntries(Object.keys(authData).map((k) => [k, options.reveal ? (authData[k] ?? null) : null]));
    return {
      ...summary,
      authData: shown,
      revealed: options.reveal ?? false,
      tokenObtainedAt: token?.obtainedAt ?? null,
      ...(options.reveal ? { authToken: token?.authToken ?? null } : {}),
    };
  }

  /**
   * The profile's Kura auth token, for `run`, `inject` and the token command: audited as a reveal.
   * No usable token is a NotFound error that says why (never synced, lost remote profile, renamed).
   */
  token(ref: string, options: TokenReadOptions = {}): ProfileToken {
    const found = this.tokenOrReason(ref, options);
    if ('reason' in found) throw new KeyholdError('NotFound', found.reason);
    return found.token;
  }

  /** Like `token`, but no token is an answer (with its reason) rather than an error. A token read is audited. */
  tokenOrReason(ref: string, options: TokenReadOptions = {}): { id: string; token: ProfileToken } | { id: string; reason: string } {
    const summary = this.resolve(ref);
    const row = this.store.row(summary.id);
    if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
    const label = `"${summary.agentId}/${summary.name}"`;
    const remote = this.store.remote(row);
    const token = usableToken(remote, summary.agentId, summary.name);
    if (token?.authToken) {
      this.audit.append(options.event ?? 'secret_revealed', {
        item: 'profile',
        id: summary.id,
        token: true,
        ...(options.purpose ? { purpose: options.purpose } : {}),
      });
      return {
        id: summary.id,
        token: {
          ref: `${summary.agentId}/${summary.name}`,
          authToken: token.authToken,
          agentId: token.agentId,
          name: token.name,
          obtainedAt: token.obtainedAt ?? null,
        },
      };
    }
    if (remote?.missing) {
      return {
        id: summary.id,
        reason: `${label} has no valid Kura token: Kura answered 404 (the remote profile is missing), so its token was dropped. Re-create the profile to get a new one.`,
      };
    }
    if (remote?.droppedAfterMissing) {
      return {
        id: summary.id,
        reason: `${label} has no Kura token: the old one was dropped after Kura answered 404 (the remote profile was missing); a new one arrives when the re-created profile syncs.`,
      };
    }
    const retired = this.store.versions(summary.id).some((v) => v.snapshot.retiredToken?.authToken);
    if (retired) {
      return {
        id: summary.id,
        reason: `${label} has no Kura token yet under this agent and name: it was renamed or moved, and its old token is kept in its history. A new one arrives at its next sync.`,
      };
    }
    const why = { draft: ' (it is a draft)', pending: '; it is waiting for the next sync', failed: '; its last sync failed', synced: '' }[summary.syncState];
    return { id: summary.id, reason: `${label} has no Kura token yet: it has never been synced${why}.` };
  }

  /**
   * What changed between two versions of a profile: key names added, removed and changed, and
   * its agent, name and session setting when they differ. Values only with `reveal` (audited).
   */
  diff(ref: string, from: number, to: number, options: { reveal?: boolean } = {}): ProfileVersionDiff {
    const summary = this.resolve(ref);
    const versions = this.store.versions(summary.id);
    const pick = (n: number) => {
      const v = versions.find((x) => x.version === n);
      if (!v) throw new KeyholdError('NotFound', `Profile "${ref}" has no version ${n}.`, { field: 'version' });
      return v.snapshot;
    };
    const a = pick(from);
    const b = pick(to);
    const keys = [...new Set([...Object.keys(a.authData), ...Object.keys(b.authData)])].sort();
    const value = (data: Record<string, string>, key: string) => (options.reveal && Object.hasOwn(data, key) ? (data[key] ?? null) : null);
    const changes: ProfileVersionDiff['keys'] = [];
    for (const key of keys) {
      const inA = Object.hasOwn(a.authData, key);
      const inB = Object.hasOwn(b.authData, key);
      const change = !inA ? 'added' : !inB ? 'removed' : a.authData[key] === b.authData[key] ? null : 'changed';
      if (change) changes.push({ key, change, from: value(a.authData, key), to: value(b.authData, key) });
    }
    const fields: ProfileVersionDiff['fields'] = [];
    if (a.agentId !== b.agentId) fields.push({ field: 'agentId', from: a.agentId, to: b.agentId });
    if (a.name !== b.name) fields.push({ field: 'name', from: a.name, to: b.name });
    if (a.saveSession !== b.saveSession) fields.push({ field: 'saveSession', from: String(a.saveSession), to: String(b.saveSession) });
    if (options.reveal) this.audit.append('secret_revealed', { item: 'profile', id: summary.id, diff: `${from}..${to}` });
    return { id: summary.id, from, to, revealed: options.reveal ?? false, keys: changes, fields };
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
      summary: `${v.snapshot.agentId}/${v.snapshot.name}: ${Object.keys(v.snapshot.authData).length} key(s) [${Object.keys(v.snapshot.authData).join(', ')}]${v.snapshot.saveSession ? ', saves session' : ''}${v.snapshot.retiredToken?.authToken ? `; kept the Kura token of ${v.snapshot.retiredToken.agentId}/${v.snapshot.retiredToken.name}` : ''}`,
      ...(v.source ? { source: v.source } : {}),
    }));
  }

  // ---- writes ------------------------------------------------------------------------------

  private lookup(agentId: string, name: string): Buffer {
    return this.cells().lookup('profiles', agentId, name);
  }

  private conflict(agentId: string, name: string): KeyholdError {
    return new KeyholdError('Conflict', `A profile named "${name}" already exists for agent "${agentId}".`, { field: 'name' });
  }

  private insertOne(raw: ProfileInput, reason: 'create' | 'import', now: number, source?: string): { id: string; meta: ProfileMeta; draft: boolean } {
    const input = parseInput(ProfileInput, raw);
    const keys = Object.keys(input.authData);
    this.agents.checkKeys(input.agentId, keys);
    assertEnvNamesAllowed(keys, input.allowEnv, `Profile "${input.agentId}/${input.name}"`);
    const allowEnv = keptAllowances(keys, input.allowEnv);
    const meta: ProfileMeta = {
      agentId: input.agentId,
      name: input.name,
      keys,
      saveSession: input.saveSession,
      lastSyncType: null,
      lastError: null,
      hasToken: false,
      ...(allowEnv.length > 0 ? { allowEnv } : {}),
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
        source,
      });
      if (allowEnv.length > 0) this.audit.append('env_allowed', { item: 'profile', id, keys: allowEnv.join(',') });
      return { id, meta, draft: input.draft };
    } catch (e) {
      if (isUniqueViolation(e)) throw this.conflict(input.agentId, input.name);
      throw e;
    }
  }

  private indexNew(created: { id: string; meta: ProfileMeta; draft: boolean }, now: number): void {
    this.indexRow(created.id, { created_at: now, updated_at: now, version: 1, sync_state: created.draft ? 'draft' : 'pending' }, created.meta);
  }

  /** `source` (for imports) says where the values came from; it is kept, encrypted, in the history. */
  create(raw: ProfileInput, reason: 'create' | 'import' = 'create', source?: string): ProfileSummary {
    const now = this.now();
    const created = this.write(
      () => {
        const c = this.insertOne(raw, reason, now, source);
        this.audit.append('item_created', { item: 'profile', id: c.id, draft: c.draft });
        return c;
      },
      (c) => this.indexNew(c, now),
    );
    return this.resolve(created.id);
  }

  /** Creates many profiles in one transaction: all or none. */
  createMany(raws: ProfileInput[], reason: 'create' | 'import' = 'create', source?: string): string[] {
    const now = this.now();
    const created = this.write(
      () => {
        const all = raws.map((raw, i) => {
          try {
            return this.insertOne(raw, reason, now, source);
          } catch (e) {
            if (e instanceof KeyholdError)
              throw new KeyholdError(e.code, `Item ${i + 1}: ${e.message}`, e.field === undefined ? undefined : { field: e.field });
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
  edit(
    ref: string,
    rawPatch: ProfilePatch,
    options: { confirmNewRemote?: boolean; reason?: 'edit' | 'restore' | 'import'; bringBackToken?: ProfileRemote; source?: string } = {},
  ): ProfileSummary {
    const patch = parseInput(ProfilePatch, rawPatch);
    const { id } = this.resolve(ref);
    const current = this.load(id);
    const agentId = patch.agentId ?? current.meta.agentId;
    const name = patch.name ?? current.meta.name;
    const authData: Record<string, string> = patch.replaceAuthData ? { ...patch.replaceAuthData } : { ...current.secrets.authData, ...(patch.set ?? {}) };
    for (const key of patch.unset ?? []) {
      if (!(key in authData)) throw new KeyholdError('BadInput', `The profile has no key "${key}" to remove.`, { field: key });
      delete authData[key];
    }
    const saveSession = patch.saveSession ?? current.meta.saveSession;
    this.agents.checkKeys(agentId, Object.keys(authData));
    // Every change that gives such a key a value must allow it by name, so an import or a paste
    // cannot slip a new value under an allowance given for an old one.
    const written = Object.keys(authData).filter((k) => current.secrets.authData[k] !== authData[k]);
    assertEnvNamesAllowed(written, patch.allowEnv ?? [], `Profile "${agentId}/${name}"`);
    const allowEnv = keptAllowances(Object.keys(authData), [...(current.meta.allowEnv ?? []), ...(patch.allowEnv ?? [])]);
    // Every allowance given is audited, also one that renews an allowance for a new value.
    const givenAllowances = keptAllowances(Object.keys(authData), patch.allowEnv ?? []);

    const identityChanged = agentId !== current.meta.agentId || name !== current.meta.name;
    let remote: ProfileRemote | null | undefined;
    let retiredToken: ProfileRemote | undefined;
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
      // Kept in this version's history: restoring an earlier version brings it back.
      retiredToken = current.remote;
      remote = null;
      lastSyncType = null;
    }
    if (options.bringBackToken) {
      remote = options.bringBackToken;
      lastSyncType = options.bringBackToken.syncType ?? null;
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
      hasToken: remote === undefined ? current.meta.hasToken : Boolean(remote?.authToken),
      ...(allowEnv.length > 0 ? { allowEnv } : {}),
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
            snapshot: { agentId, name, authData, saveSession, ...(retiredToken ? { retiredToken } : {}) },
            source: options.source,
          });
          this.audit.append(options.reason === 'restore' ? 'item_restored' : 'item_changed', {
            item: 'profile',
            id,
            ...(retiredToken ? { tokenKeptInHistory: true } : {}),
            ...(options.bringBackToken ? { tokenRestored: true } : {}),
          });
          if (givenAllowances.length > 0) this.audit.append('env_allowed', { item: 'profile', id, keys: givenAllowances.join(',') });
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
    if (change.expiresAt != null && !Number.isFinite(change.expiresAt))
      throw new KeyholdError('BadInput', 'The expiry date is not a valid date.', { field: 'expiresAt' });
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

  restore(ref: string, version: number, options: { confirmNewRemote?: boolean; allowEnv?: string[] } = {}): ProfileSummary {
    const { id } = this.resolve(ref);
    const target = this.store.versions(id).find((v) => v.version === version);
    if (!target) throw new KeyholdError('NotFound', `Profile "${ref}" has no version ${version}.`, { field: 'unknownVersion' });
    const s = target.snapshot;
    const current = this.load(id);
    // A token left behind by a rename or move comes back with the identity it was issued for,
    // unless the profile already holds a working token for that identity.
    const hasOwn = usableToken(current.remote, s.agentId, s.name) !== null;
    const retired = hasOwn ? undefined : this.retiredTokenFor(id, s.agentId, s.name);
    return this.edit(
      id,
      {
        agentId: s.agentId,
        name: s.name,
        replaceAuthData: s.authData,
        saveSession: s.saveSession,
        ...(options.allowEnv ? { allowEnv: options.allowEnv } : {}),
      },
      {
        ...(options.confirmNewRemote === undefined ? {} : { confirmNewRemote: options.confirmNewRemote }),
        reason: 'restore',
        ...(retired ? { bringBackToken: retired } : {}),
      },
    );
  }

  /** The newest token kept in the history for this agent + name, if any. */
  private retiredTokenFor(id: string, agentId: string, name: string): ProfileRemote | undefined {
    for (const v of this.store.versions(id)) {
      const t = v.snapshot.retiredToken;
      if (t?.authToken && t.agentId === agentId && t.name === name) return t;
    }
    return undefined;
  }

  /**
   * Moves a profile to the trash (with its values, token and history) for TRASH_DAYS. A profile
   * holding a Kura token needs `confirmTokenLoss`: the remote profile stays on Kura, and once the
   * trash is purged nothing can act as it any more.
   */
  remove(ref: string, options: { confirmTokenLoss?: boolean } = {}): { id: string; wasSynced: boolean; purgeAt: string } {
    const damaged = this.resolvesToDamaged(ref);
    if (damaged) {
      // A damaged profile can still be thrown away: that needs none of its cells. Its unreadable
      // cells are of no use in the trash, so it goes at once.
      this.write(
        () => {
          const now = this.now();
          this.store.trash(damaged, now, now);
          this.store.purge([damaged]);
          this.audit.append('item_deleted', { item: 'profile', id: damaged, damaged: true });
        },
        () => this.reindex(damaged),
      );
      return { id: damaged, wasSynced: false, purgeAt: iso(this.now()) };
    }
    const summary = this.resolve(ref);
    if (summary.hasToken && !options.confirmTokenLoss) {
      throw new KeyholdError(
        'Conflict',
        `"${summary.agentId}/${summary.name}" holds a Kura auth token. Deleting it keeps the remote profile on Kura, and the token goes with the local copy: to the trash for ${TRASH_DAYS} days, then gone for good (Kura cannot show it again).`,
        { field: 'confirmTokenLoss' },
      );
    }
    const now = this.now();
    const purgeAt = now + TRASH_MS;
    this.write(
      () => {
        this.store.trash(summary.id, now, purgeAt);
        this.audit.append('item_deleted', { item: 'profile', id: summary.id, trash: true, hadToken: summary.hasToken });
      },
      () => this.reindex(summary.id),
    );
    return { id: summary.id, wasSynced: summary.hasToken, purgeAt: iso(purgeAt) };
  }

  /** Records a token that arrived for a profile trashed while its push was in flight. */
  keepTrashedToken(id: string, pushedVersion: number, remote: ProfileRemote): void {
    tx(this.db, () => {
      const row = this.store.trashedRow(id);
      if (!row) return;
      const meta = this.store.meta(row);
      if (meta.agentId !== remote.agentId || meta.name !== remote.name) return;
      // Edited after the push left: restored, it still has that change to push.
      const state = row.version === pushedVersion ? 'synced' : 'pending';
      this.store.writeSyncResult(id, { meta: { ...meta, hasToken: true, lastSyncType: remote.syncType ?? null, lastError: null }, remote, state });
    });
  }

  /** Trashed profiles, for the trash listing: ids, names and dates only. */
  trashed(): { id: string; agentId: string; name: string; hasToken: boolean; trashedAt: number; purgeAt: number }[] {
    this.cells();
    return this.store.trashedRows().map((r) => {
      const meta = this.store.meta(r);
      return { id: r.id, agentId: meta.agentId, name: meta.name, hasToken: meta.hasToken, trashedAt: r.trashed_at, purgeAt: r.purge_at };
    });
  }

  /** Brings a trashed profile back as it was (a pending one is queued again); its name must be free. */
  untrash(id: string): ProfileSummary {
    let meta: ProfileMeta | undefined;
    try {
      this.write(
        () => {
          // Read inside the transaction: another process may have restored or purged it meanwhile.
          const row = this.store.trashedRow(id);
          if (!row) throw new KeyholdError('NotFound', `Nothing in the trash has id ${id}.`);
          meta = this.store.meta(row);
          this.store.untrash(id, this.lookup(meta.agentId, meta.name), row.sync_state, this.now());
          this.audit.append('item_restored', { item: 'profile', id, fromTrash: true });
        },
        () => this.reindex(id),
      );
    } catch (e) {
      if (isUniqueViolation(e) && meta) {
        throw new KeyholdError(
          'Conflict',
          `A profile named "${meta.name}" already exists for agent "${meta.agentId}". Rename or delete that one, then restore this one.`,
          { field: 'name' },
        );
      }
      throw e;
    }
    return this.resolve(id);
  }

  /** Deletes trashed profiles for good: the given ids, every trashed one, or those due by `expiredAt`. */
  purge(ids: readonly string[] | 'all', expiredAt?: number): number {
    // Only trashed rows go, which no listing index holds: the write generation stays, and so does
    // the saved index snapshot.
    return tx(this.db, () => this.store.purge(ids, expiredAt));
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
      ...(s.allowEnv ? { allowEnv: s.allowEnv } : {}),
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
          // No token, but the reason is kept so the token command can say why.
          remote: { authToken: null, agentId: current.meta.agentId, name: current.meta.name, droppedAfterMissing: true },
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
