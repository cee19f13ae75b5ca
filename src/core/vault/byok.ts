import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { tx } from './db';
import {
  AgentKind,
  ByokInput,
  checkProviderKey,
  isLocalOnlyProvider,
  keyHint,
  probeHealth,
  PROVIDER_KEY_PREFIX,
  type ByokDetail,
  type ByokSummary,
  type ItemVersion,
  type SyncState,
} from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { compareText } from '../../shared/text';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import { BYOK_TABLES, ItemStore, TRASH_MS, type ItemRow, type SyncMeta } from './items';

export interface ByokMeta extends SyncMeta {
  kind: string;
  provider: ByokSummary['provider'];
  keyHint: string;
  /** The agent-config row Backside returned on the last successful push. */
  remoteRow: Record<string, unknown> | null;
  /** Backside's last probe of the current key (absent in rows written before it was recorded). */
  lastProbe?: ProbeRecord | null;
  /** Epoch ms when the key stops working; cleared when the key changes. */
  expiresAt?: number | null;
  /** Replace the key this many days after its last change; kept across rotations. */
  rotateDays?: number | null;
}
export interface ProbeRecord {
  ok: boolean;
  at: number;
  message: string | null;
}
export interface ByokSecrets {
  apiKey: string;
}
export interface ByokSnapshot {
  kind: string;
  provider: ByokSummary['provider'];
  apiKey: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

// What stands for a key rather than being one (a keyhold:// reference, ${VAR}, $VAR, a {{ }} template):
// stored, it would be sent and injected as the key. No provider's key holds "$", "{" or "://".
const REFERENCE = /^keyhold:|:\/\/|\$\{|\{\{|^\$[A-Za-z_]\w*$/i;

const localOnlyError = (provider: string): KeyholdError =>
  new KeyholdError('BadInput', `Backside takes Anthropic keys only: this ${provider} key stays on this machine (for run and inject) and is never synced.`, {
    field: 'provider',
  });

/** One provider API key per agent kind. Rotation keeps the previous key in history. */
export class ByokKeys {
  readonly store: ItemStore<ByokMeta, ByokSecrets, null, ByokSnapshot>;

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {
    this.store = new ItemStore(BYOK_TABLES, db, cells);
  }

  private summarize(row: Pick<ItemRow, 'id' | 'created_at' | 'updated_at' | 'version' | 'sync_state' | 'meta'>): ByokSummary {
    const meta = this.store.meta(row);
    return {
      id: row.id,
      kind: meta.kind,
      provider: meta.provider,
      keyHint: meta.keyHint,
      syncState: row.sync_state,
      lastSyncType: meta.lastSyncType,
      lastError: meta.lastError,
      localOnly: isLocalOnlyProvider(meta.provider),
      lastProbe: meta.lastProbe ? { ...meta.lastProbe, at: iso(meta.lastProbe.at) } : null,
      probeHealth: probeHealth(meta.provider, meta.lastProbe ?? null),
      remote: meta.remoteRow,
      ...(meta.expiresAt != null ? { expiresAt: iso(meta.expiresAt) } : {}),
      ...(meta.rotateDays != null ? { rotateDays: meta.rotateDays } : {}),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      version: row.version,
    };
  }

  list(): ByokSummary[] {
    return this.store
      .allRows()
      .filter((r) => this.store.metaOrNull(r) !== null)
      .map((r) => this.summarize(r))
      .sort((a, b) => compareText(a.kind, b.kind));
  }

  /** Ids of the keys whose listing cell is damaged (they are not in list()). */
  damaged(): string[] {
    return this.store
      .allRows()
      .filter((r) => this.store.metaOrNull(r) === null)
      .map((r) => r.id)
      .sort();
  }

  private find(kind: string): ItemRow {
    const parsed = AgentKind.safeParse(kind);
    const row = parsed.success ? this.store.rowByLookup(this.cells().lookup('byok_keys', kind)) : undefined;
    if (!row) throw this.inTrashError(kind) ?? new KeyholdError('NotFound', `No BYOK key for agent kind "${kind}".`, { field: 'unknownKind' });
    return row;
  }

  /** The error for a kind whose key is in the trash (the newest, when deleted more than once), as for profiles; null when none is. */
  private inTrashError(kind: string): KeyholdError | null {
    let found: { id: string; trashedAt: number } | null = null;
    for (const r of this.store.trashedRows()) {
      if (this.store.metaOrNull(r)?.kind === kind && (found === null || r.trashed_at > found.trashedAt)) found = { id: r.id, trashedAt: r.trashed_at };
    }
    if (found === null) return null;
    return new KeyholdError(
      'NotFound',
      `The BYOK key for agent kind "${kind}" (${found.id}) is in the trash, deleted ${iso(found.trashedAt)}: restore it from the trash to use it.`,
      { field: 'inTrash' },
    );
  }

  get(kind: string, options: { reveal?: boolean } = {}): ByokDetail {
    const row = this.find(kind);
    const summary = this.summarize(row);
    let apiKey: string | null = null;
    if (options.reveal) {
      apiKey = this.store.secrets(row).apiKey;
      this.audit.recordRead('secret_revealed', { item: 'byok', id: row.id });
    }
    return { ...summary, apiKey, revealed: options.reveal ?? false };
  }

  load(id: string): { summary: ByokSummary; meta: ByokMeta; secrets: ByokSecrets } {
    const row = this.store.row(id);
    if (!row) throw new KeyholdError('NotFound', `No BYOK key with id ${id}.`);
    return { summary: this.summarize(row), meta: this.store.meta(row), secrets: this.store.secrets(row) };
  }

  /** The rules `set` applies to its input, without writing: for checks made before saving. */
  check(raw: ByokInput): z.output<typeof ByokInput> {
    const input = parseInput(ByokInput, raw);
    // An Anthropic key also starts with OpenAI's "sk-": under another provider it would never reach
    // Backside and would be injected under that provider's variable.
    const anthropic = PROVIDER_KEY_PREFIX.anthropic ?? 'sk-ant-';
    if (input.provider !== 'anthropic' && input.apiKey.startsWith(anthropic)) {
      throw new KeyholdError(
        'BadInput',
        `This is an Anthropic key (it starts with "${anthropic}"), not one of the provider ${input.provider}: set it with the provider anthropic. ` +
          `Kept as ${input.provider}, it would never be synced, and programs would be given it under the wrong variable.`,
        { field: 'provider' },
      );
    }
    if (REFERENCE.test(input.apiKey)) {
      throw new KeyholdError(
        'BadInput',
        'The API key is a reference (to a Keyhold item or a variable), not a key: Keyhold stores the key itself. Give the value of the key.',
        { field: 'apiKey' },
      );
    }
    const problem = checkProviderKey(input.provider, input.apiKey);
    if (problem) throw new KeyholdError('BadInput', problem, { field: 'apiKey' });
    return input;
  }

  /** Sets or rotates the key for a kind; `source` (for imports) is kept, encrypted, in the history. */
  set(raw: ByokInput, reason: 'create' | 'import' = 'create', source?: string): ByokSummary {
    const input = this.check(raw);
    const lookup = this.cells().lookup('byok_keys', input.kind);
    const now = this.now();
    const snapshot: ByokSnapshot = { kind: input.kind, provider: input.provider, apiKey: input.apiKey };
    // A local-only key is never queued: it rests in the state that keeps an item back.
    const keptBack = input.draft || isLocalOnlyProvider(input.provider);
    // Read inside the write transaction, as every write decides on what it read: another process's
    // change committed meanwhile is built on, never written over.
    const id = tx(this.db, () => {
      const existing = this.store.rowByLookup(lookup);
      if (existing) {
        const prev = this.store.meta(existing);
        // A new key is a new expiry date (unknown until set again) and unchecked; the rotation period stays.
        const changed = this.store.secrets(existing).apiKey !== input.apiKey;
        // The same key again, kept back or not as it is: nothing to write, nothing to push again.
        if (!changed && prev.provider === input.provider && keptBack === (existing.sync_state === 'draft')) return existing.id;
        const meta: ByokMeta = {
          ...prev,
          provider: input.provider,
          keyHint: keyHint(input.apiKey),
          lastError: null,
          lastProbe: null,
          ...(changed ? { expiresAt: null } : {}),
        };
        this.store.update(existing.id, {
          lookup,
          meta,
          secrets: { apiKey: input.apiKey },
          state: keptBack ? 'draft' : 'pending',
          now,
          reason: reason === 'create' ? 'edit' : reason,
          snapshot,
          source,
        });
        this.audit.append('item_changed', { item: 'byok', id: existing.id });
        return existing.id;
      }
      const meta: ByokMeta = {
        kind: input.kind,
        provider: input.provider,
        keyHint: keyHint(input.apiKey),
        remoteRow: null,
        lastProbe: null,
        lastSyncType: null,
        lastError: null,
        hasToken: false,
      };
      const created = this.store.insert({ lookup, meta, secrets: { apiKey: input.apiKey }, draft: keptBack, now, reason, snapshot, source });
      this.audit.append('item_created', { item: 'byok', id: created, draft: input.draft });
      return created;
    });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  ready(kind: string): ByokSummary {
    const id = tx(this.db, () => {
      const row = this.find(kind);
      const { meta, secrets } = this.load(row.id);
      if (isLocalOnlyProvider(meta.provider)) throw localOnlyError(meta.provider);
      if (row.sync_state !== 'draft') return row.id;
      this.store.update(row.id, {
        lookup: row.lookup,
        meta,
        secrets,
        state: 'pending',
        now: this.now(),
        reason: 'edit',
        snapshot: { kind: meta.kind, provider: meta.provider, apiKey: secrets.apiKey },
      });
      this.audit.append('item_changed', { item: 'byok', id: row.id });
      return row.id;
    });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  history(kind: string): ItemVersion[] {
    const row = this.find(kind);
    return this.store.versions(row.id).map((v) => ({
      version: v.version,
      at: iso(v.at),
      reason: v.reason,
      summary: `${v.snapshot.provider} ${keyHint(v.snapshot.apiKey)}`,
      ...(v.source ? { source: v.source } : {}),
    }));
  }

  restore(kind: string, version: number): ByokSummary {
    const id = tx(this.db, () => {
      const row = this.find(kind);
      const target = this.store.versions(row.id).find((v) => v.version === version);
      if (!target) throw new KeyholdError('NotFound', `BYOK key "${kind}" has no version ${version}.`, { field: 'unknownByokVersion' });
      const { meta, secrets } = this.load(row.id);
      const s = target.snapshot;
      // The version that is current already: nothing to write, nothing to push again.
      if (s.apiKey === secrets.apiKey && s.provider === meta.provider) return row.id;
      // A local-only key's "draft" only kept it back; a real draft stays a draft.
      const draft = row.sync_state === 'draft' && !isLocalOnlyProvider(meta.provider);
      this.store.update(row.id, {
        lookup: row.lookup,
        // The expiry date was the replaced key's, not this one's: unknown until set again, as for any new key.
        meta: { ...meta, provider: s.provider, keyHint: keyHint(s.apiKey), lastError: null, lastProbe: null, expiresAt: null },
        secrets: { apiKey: s.apiKey },
        state: draft || isLocalOnlyProvider(s.provider) ? 'draft' : 'pending',
        now: this.now(),
        reason: 'restore',
        snapshot: s,
      });
      this.audit.append('item_restored', { item: 'byok', id: row.id });
      return row.id;
    });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  /** Moves the key to the trash (with its history) for TRASH_DAYS; it is not pushed meanwhile. */
  remove(kind: string): { id: string; purgeAt: string } {
    const row = this.find(kind);
    const now = this.now();
    const purgeAt = now + TRASH_MS;
    tx(this.db, () => {
      this.store.trash(row.id, now, purgeAt);
      this.audit.append('item_deleted', { item: 'byok', id: row.id, trash: true });
    });
    return { id: row.id, purgeAt: iso(purgeAt) };
  }

  trashed(): { id: string; kind: string; provider: ByokSummary['provider']; keyHint: string; trashedAt: number; purgeAt: number }[] {
    this.cells();
    return this.store.trashedRows().map((r) => {
      const meta = this.store.meta(r);
      return { id: r.id, kind: meta.kind, provider: meta.provider, keyHint: meta.keyHint, trashedAt: r.trashed_at, purgeAt: r.purge_at };
    });
  }

  /** Brings a trashed key back as it was; its kind must not hold another key now. */
  untrash(id: string): ByokSummary {
    tx(this.db, () => {
      this.store.restoreFromTrash(
        id,
        this.now(),
        (meta) => this.cells().lookup('byok_keys', meta.kind),
        (meta) => new KeyholdError('Conflict', `Agent kind "${meta.kind}" has a BYOK key now. Delete that one, then restore this one.`, { field: 'kind' }),
      );
      this.audit.append('item_restored', { item: 'byok', id, fromTrash: true });
    });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  purge(ids: readonly string[] | 'all', expiredAt?: number): number {
    return tx(this.db, () => this.store.purge(ids, expiredAt));
  }

  purgeDue(at: number): boolean {
    return this.store.purgeDue(at);
  }

  /** Keeps what Backside's validate-key said about the current key (no new version). */
  recordProbe(id: string, probe: ProbeRecord): void {
    tx(this.db, () => {
      const row = this.store.row(id);
      if (!row) return;
      this.store.writeSyncResult(id, { meta: { ...this.store.meta(row), lastProbe: probe }, remote: null, state: row.sync_state });
    });
  }

  /** Sets when the key expires and how often it should be rotated (null clears; undefined keeps). No new version: the key is unchanged. */
  setExpiry(kind: string, expiry: { expiresAt?: number | null; rotateDays?: number | null }): ByokSummary {
    if (expiry.rotateDays != null && (!Number.isInteger(expiry.rotateDays) || expiry.rotateDays < 1 || expiry.rotateDays > 3650)) {
      throw new KeyholdError('BadInput', 'A rotation period is a whole number of days from 1 to 3650.', { field: 'rotateDays' });
    }
    if (expiry.expiresAt != null && !Number.isFinite(expiry.expiresAt))
      throw new KeyholdError('BadInput', 'The expiry date is not a valid date.', { field: 'expiresAt' });
    const id = tx(this.db, () => {
      const row = this.find(kind);
      const meta = { ...this.store.meta(row) };
      if (expiry.expiresAt !== undefined) meta.expiresAt = expiry.expiresAt;
      if (expiry.rotateDays !== undefined) meta.rotateDays = expiry.rotateDays;
      this.store.writeSyncResult(row.id, { meta, remote: null, state: row.sync_state });
      this.audit.append('item_changed', { item: 'byok', id: row.id });
      return row.id;
    });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  recordSync(id: string, meta: ByokMeta, state: SyncState): void {
    this.store.writeSyncResult(id, { meta, remote: null, state });
  }

  retry(kind: string): ByokSummary {
    const row = this.find(kind);
    const { meta } = this.load(row.id);
    if (isLocalOnlyProvider(meta.provider)) throw localOnlyError(meta.provider);
    if (row.sync_state !== 'failed') return this.summarize(row);
    this.store.requeue(row.id, { meta: { ...meta, lastError: null }, remote: null, now: this.now() });
    return this.summarize(this.store.row(row.id) as ItemRow);
  }
}
