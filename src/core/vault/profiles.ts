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
} from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { reservedKeyProblem } from '../../shared/text-rules';
import { assertEnvNamesAllowed, keptAllowances } from '../devflow/env-names';
import type { AgentRegistry } from './agents';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import { ItemStore, PROFILE_TABLES } from './items';
import type { IdentityToken } from './kura-identities';
import type { ProfileContext } from './profile-context';
import { planEdit } from './profile-edit';
import * as versions from './profile-history';
import { canonicalKey, ProfileIndex, refuseLookAlike, type IndexState } from './profile-index';
import {
  iso,
  metaOf,
  type ProfileMeta,
  type ProfileRemote,
  type ProfileSecrets,
  type ProfileSnapshot,
  type ProfileVersionDiff,
  type TokenReadOptions,
  usableToken,
} from './profile-model';
import * as outcomes from './profile-sync';
import * as tokens from './profile-tokens';
import * as trash from './profile-trash';
import { isUniqueViolation } from './sqlite-errors';

function refuseReservedKey(authData: unknown): void {
  const problem = reservedKeyProblem(authData);
  if (problem) throw new KeyholdError('BadInput', problem, { field: 'authData' });
}

export type { IndexState } from './profile-index';
// What callers imported from here before the split: the item's types and the token check.
export type * from './profile-model';
export { usableToken } from './profile-model';

/**
 * The profiles of the vault. This class is the one door to them; the work is done by concept:
 * the listing index (profile-index.ts), token reads (profile-tokens.ts), history and restore
 * (profile-history.ts), the trash (profile-trash.ts), sync outcomes (profile-sync.ts) and what an
 * edit makes of a profile (profile-edit.ts). Creating, and writing an edit, are here.
 */
export class Profiles {
  readonly store: ItemStore<ProfileMeta, ProfileSecrets, ProfileRemote, ProfileSnapshot>;
  private readonly idx: ProfileIndex;
  private readonly ctx: ProfileContext;

  constructor(
    db: Database.Database,
    cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly agents: AgentRegistry,
    private readonly now: () => number,
  ) {
    this.store = new ItemStore(PROFILE_TABLES, db, cells);
    this.idx = new ProfileIndex(db, cells, this.store);
    this.ctx = { db, cells, audit, now, store: this.store, index: this.idx, load: (id) => this.load(id) };
  }

  // ---- the listing index (profile-index.ts) ----------------------------------------------

  /** What the last unlock found in the saved snapshot, for the vault check. */
  get indexState(): IndexState {
    return this.idx.indexState;
  }

  buildIndex(): void {
    this.idx.buildIndex();
  }

  /** Saves the index snapshot if it reflects the file and differs from the saved one; then forgets it. */
  dropIndex(save = true): void {
    this.idx.dropIndex(save);
  }

  /** Ids of the profiles whose listing cell is damaged (they are not in list()). */
  damaged(): string[] {
    return this.idx.damaged();
  }

  list(options: { search?: string } = {}): ProfileSummary[] {
    return this.idx.list(options);
  }

  count(): number {
    return this.idx.count();
  }

  /** Finds a profile by id, a unique id prefix (6+ characters, as listings show) or `AGENT_ID/NAME`. */
  resolve(ref: string): ProfileSummary {
    try {
      return this.idx.resolve(ref);
    } catch (e) {
      // Asked for by the name it had, a deleted profile is found where it is.
      if (e instanceof KeyholdError && e.field === 'unknownProfile') throw trash.inTrashError(this.ctx, ref) ?? e;
      throw e;
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  get(ref: string, options: { reveal?: boolean } = {}): ProfileDetail {
    const summary = this.resolve(ref);
    const row = this.store.row(summary.id);
    if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
    const { authData } = this.idx.guard(summary.id, () => this.store.secrets(row));
    const token = summary.hasToken
      ? usableToken(
          this.idx.guard(summary.id, () => this.store.remote(row)),
          summary.agentId,
          summary.name,
        )
      : null;
    if (options.reveal) {
      this.audit.recordRead('secret_revealed', { item: 'profile', id: summary.id, ...(token ? { token: true } : {}) });
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
    return tokens.token(this.ctx, ref, options);
  }

  /** Like `token`, but no token is an answer (with its reason) rather than an error. A token read is audited. */
  tokenOrReason(ref: string, options: TokenReadOptions = {}): { id: string; token: ProfileToken } | { id: string; reason: string } {
    return tokens.tokenOrReason(this.ctx, ref, options);
  }

  /** The full item for the sync engine and the developer workflow; never sent to a renderer. */
  load(id: string): { summary: ProfileSummary; meta: ProfileMeta; secrets: ProfileSecrets; remote: ProfileRemote | null } {
    const row = this.store.row(id);
    const summary = this.idx.summary(id);
    if (!row || !summary) throw new KeyholdError('NotFound', `No profile with id ${id}.`);
    return this.idx.guard(id, () => ({ summary, meta: this.store.meta(row), secrets: this.store.secrets(row), remote: this.store.remote(row) }));
  }

  /**
   * What a push needs: the listing summary (which holds all of the meta cell) plus the values and
   * the remote token. Decrypts two cells, not three: sync is throughput-bound on this.
   */
  loadForPush(id: string): { summary: ProfileSummary; secrets: ProfileSecrets; remote: ProfileRemote | null } | null {
    this.idx.refresh();
    const summary = this.idx.summary(id);
    const row = summary && this.store.secretRow(id);
    if (!summary || !row) return null;
    try {
      return this.idx.guard(id, () => ({ summary, secrets: this.store.secrets(row), remote: this.store.remote(row) }));
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
    this.idx.refresh();
    const summary = this.idx.summary(id);
    if (!summary) return null;
    return {
      summary,
      remote: () => {
        const row = this.store.secretRow(id);
        return row ? this.store.remote(row) : null;
      },
    };
  }

  // ---- history (profile-history.ts) --------------------------------------------------------

  history(ref: string): ItemVersion[] {
    return versions.history(this.ctx, ref);
  }

  /** What changed between two versions (key names; values only with `reveal`, audited). */
  diff(ref: string, from: number, to: number, options: { reveal?: boolean } = {}): ProfileVersionDiff {
    return versions.diff(this.ctx, ref, from, to, options);
  }

  /** Makes an earlier version current again, as a new version (see restoreEdit). */
  restore(ref: string, version: number, options: { confirmNewRemote?: boolean; allowEnv?: string[] } = {}): ProfileSummary {
    const plan = versions.restoreEdit(this.ctx, ref, version, options);
    return this.edit(plan.id, plan.patch, plan.options);
  }

  // ---- writes ------------------------------------------------------------------------------

  private lookup(agentId: string, name: string): Buffer {
    return this.idx.lookup(agentId, name);
  }

  private conflict(agentId: string, name: string): KeyholdError {
    return new KeyholdError('Conflict', `A profile named "${name}" already exists for agent "${agentId}".`, { field: 'name' });
  }

  private insertOne(
    raw: ProfileInput,
    reason: 'create' | 'import',
    now: number,
    source?: string,
    batch?: Map<string, { agentId: string; name: string }>,
  ): { id: string; meta: ProfileMeta; draft: boolean } {
    refuseReservedKey(raw.authData);
    const input = parseInput(ProfileInput, raw);
    const key = canonicalKey(input.agentId, input.name);
    const earlier = batch?.get(key);
    refuseLookAlike(
      input.agentId,
      input.name,
      this.idx.readsAs(input.agentId, input.name) ?? (earlier && (earlier.agentId !== input.agentId || earlier.name !== input.name) ? earlier : undefined),
    );
    batch?.set(key, { agentId: input.agentId, name: input.name });
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
    this.idx.indexRow(created.id, { created_at: now, updated_at: now, version: 1, sync_state: created.draft ? 'draft' : 'pending' }, created.meta);
  }

  /** `source` (for imports) says where the values came from; it is kept, encrypted, in the history. */
  create(raw: ProfileInput, reason: 'create' | 'import' = 'create', source?: string): ProfileSummary {
    const now = this.now();
    const created = this.idx.write(
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
    const created = this.idx.write(
      () => {
        const batch = new Map<string, { agentId: string; name: string }>();
        const all = raws.map((raw, i) => {
          try {
            return this.insertOne(raw, reason, now, source, batch);
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
    refuseReservedKey(rawPatch.set);
    refuseReservedKey(rawPatch.replaceAuthData);
    const patch = parseInput(ProfilePatch, rawPatch);
    const both = (patch.unset ?? []).find((key) => patch.set !== undefined && Object.hasOwn(patch.set, key));
    if (both !== undefined) {
      throw new KeyholdError('BadInput', `The key "${both}" is both set and removed in one change; give one of the two.`, { field: both });
    }
    const { id } = this.resolve(ref);
    let target = { agentId: '', name: '' };
    try {
      this.idx.write(
        // Everything the change is decided on is read inside its write transaction: an edit another
        // process committed meanwhile is built on, never written over.
        () => {
          const row = this.store.row(id);
          if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
          const current = this.idx.guard(id, () => ({ meta: this.store.meta(row), secrets: this.store.secrets(row), remote: this.store.remote(row) }));
          const change = planEdit(this.ctx, this.agents, id, patch, current, row.sync_state, options);
          target = change.meta;
          if (change.same) return false;
          this.store.update(id, {
            lookup: this.lookup(change.meta.agentId, change.meta.name),
            meta: change.meta,
            secrets: { authData: change.authData },
            ...(change.remote === undefined ? {} : { remote: change.remote }),
            state: change.state,
            now: this.now(),
            reason: options.reason ?? 'edit',
            snapshot: {
              agentId: change.meta.agentId,
              name: change.meta.name,
              authData: change.authData,
              saveSession: change.meta.saveSession,
              ...(change.retiredToken ? { retiredToken: change.retiredToken } : {}),
            },
            source: options.source,
          });
          this.audit.append(options.reason === 'restore' ? 'item_restored' : 'item_changed', {
            item: 'profile',
            id,
            ...(change.retiredToken ? { tokenKeptInHistory: true } : {}),
            ...(options.bringBackToken ? { tokenRestored: true } : {}),
          });
          if (change.givenAllowances.length > 0) this.audit.append('env_allowed', { item: 'profile', id, keys: change.givenAllowances.join(',') });
          return true;
        },
        (changed) => {
          if (changed) this.idx.reindex(id);
        },
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw this.conflict(target.agentId, target.name);
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
    this.idx.write(
      () => {
        const row = this.store.row(id);
        if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
        const meta = this.store.meta(row);
        if (!meta.keys.includes(key)) throw new KeyholdError('NotFound', `The profile has no key "${key}".`, { field: key });
        const current = meta.expiry && Object.hasOwn(meta.expiry, key) ? meta.expiry[key] : undefined;
        const entry: KeyExpiry = { ...(current ?? { since: iso(row.updated_at) }) };
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
      () => this.idx.reindex(id),
    );
    return this.resolve(id);
  }

  /** Promotes a draft so the next sync pushes it. */
  ready(ref: string): ProfileSummary {
    const summary = this.resolve(ref);
    if (summary.syncState !== 'draft') return summary;
    return this.edit(summary.id, { draft: false });
  }

  // ---- the trash (profile-trash.ts) --------------------------------------------------------

  /** Moves a profile to the trash; one holding a Kura token needs `confirmTokenLoss`. */
  remove(ref: string, options: { confirmTokenLoss?: boolean } = {}): { id: string; wasSynced: boolean; purgeAt: string } {
    return trash.remove(this.ctx, ref, options);
  }

  /** Records a token that arrived for a profile trashed while its push was in flight. */
  keepTrashedToken(id: string, pushedVersion: number, remote: ProfileRemote & { authToken: string }): void {
    trash.keepTrashedToken(this.ctx, id, pushedVersion, remote);
  }

  trashed(): { id: string; agentId: string; name: string; hasToken: boolean; trashedAt: number; purgeAt: number }[] {
    return trash.trashed(this.ctx);
  }

  untrash(id: string): ProfileSummary {
    return trash.untrash(this.ctx, id);
  }

  purge(ids: readonly string[] | 'all', expiredAt?: number): number {
    return trash.purge(this.ctx, ids, expiredAt);
  }

  purgeDue(at: number): boolean {
    return this.ctx.store.purgeDue(at);
  }

  // ---- sync outcomes (profile-sync.ts) -----------------------------------------------------

  /** The meta cell's content, which the listing summary carries whole. */
  static metaOf(s: ProfileSummary): ProfileMeta {
    return metaOf(s);
  }

  /** Used by the sync engine to record an outcome; the engine owns the outbox row. `received`: a token Kura answered with, or a bundle brought. */
  recordSync(current: ProfileSummary, meta: ProfileMeta, remote: ProfileRemote | null, state: SyncState, received?: IdentityToken): void {
    outcomes.recordSync(this.ctx, current, meta, remote, state, received);
  }

  /** After Kura lost the remote profile: forget the token and push a create. */
  recreate(ref: string): ProfileSummary {
    return outcomes.recreate(this.ctx, ref);
  }

  /** Puts a failed profile back in the queue as it is. */
  retry(ref: string): ProfileSummary {
    return outcomes.retry(this.ctx, ref);
  }
}
