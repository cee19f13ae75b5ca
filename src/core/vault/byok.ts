import type Database from 'better-sqlite3';
import { tx } from './db';
import {
  AgentKind,
  ByokInput,
  checkProviderKey,
  keyHint,
  type ByokDetail,
  type ByokSummary,
  type ItemVersion,
  type SyncState,
} from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import { BYOK_TABLES, ItemStore, type ItemRow, type SyncMeta } from './items';

export interface ByokMeta extends SyncMeta {
  kind: string;
  provider: ByokSummary['provider'];
  keyHint: string;
  /** The agent-config row Backside returned on the last successful push. */
  remoteRow: Record<string, unknown> | null;
  /** Epoch ms when the key stops working; cleared when the key changes. */
  expiresAt?: number | null;
  /** Replace the key this many days after its last change; kept across rotations. */
  rotateDays?: number | null;
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
      remote: meta.remoteRow,
      ...(meta.expiresAt != null ? { expiresAt: iso(meta.expiresAt) } : {}),
      ...(meta.rotateDays != null ? { rotateDays: meta.rotateDays } : {}),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      version: row.version,
    };
  }

  list(): ByokSummary[] {
    return this.store.allRows().map((r) => this.summarize(r)).sort((a, b) => a.kind.localeCompare(b.kind));
  }

  private find(kind: string): ItemRow {
    const parsed = AgentKind.safeParse(kind);
    const row = parsed.success
      ? (this.db.prepare('SELECT * FROM byok_keys WHERE lookup = ?').get(this.cells().lookup('byok_keys', kind)) as ItemRow | undefined)
      : undefined;
    if (!row) throw new KeyholdError('NotFound', `No BYOK key for agent kind "${kind}" (see "keyhold byok list").`);
    return row;
  }

  get(kind: string, options: { reveal?: boolean } = {}): ByokDetail {
    const row = this.find(kind);
    const summary = this.summarize(row);
    let apiKey: string | null = null;
    if (options.reveal) {
      apiKey = this.store.secrets(row).apiKey;
      this.audit.append('secret_revealed', { item: 'byok', id: row.id });
    }
    return { ...summary, apiKey, revealed: options.reveal ?? false };
  }

  load(id: string): { summary: ByokSummary; meta: ByokMeta; secrets: ByokSecrets } {
    const row = this.store.row(id);
    if (!row) throw new KeyholdError('NotFound', `No BYOK key with id ${id}.`);
    return { summary: this.summarize(row), meta: this.store.meta(row), secrets: this.store.secrets(row) };
  }

  /** Sets or rotates the key for a kind. */
  set(raw: ByokInput, reason: 'create' | 'import' = 'create'): ByokSummary {
    const input = parseInput(ByokInput, raw);
    const problem = checkProviderKey(input.provider, input.apiKey);
    if (problem) throw new KeyholdError('BadInput', problem, { field: 'apiKey' });
    const lookup = this.cells().lookup('byok_keys', input.kind);
    const existing = this.db.prepare('SELECT * FROM byok_keys WHERE lookup = ?').get(lookup) as ItemRow | undefined;
    const now = this.now();
    const snapshot: ByokSnapshot = { kind: input.kind, provider: input.provider, apiKey: input.apiKey };
    let id = existing?.id ?? '';
    tx(this.db, () => {
        if (existing) {
          const prev = this.store.meta(existing);
          // A new key is a new expiry date (unknown until set again); the rotation period stays.
          const changed = this.store.secrets(existing).apiKey !== input.apiKey;
          const meta: ByokMeta = { ...prev, provider: input.provider, keyHint: keyHint(input.apiKey), lastError: null, ...(changed ? { expiresAt: null } : {}) };
          this.store.update(existing.id, {
            lookup,
            meta,
            secrets: { apiKey: input.apiKey },
            state: input.draft ? 'draft' : 'pending',
            now,
            reason: reason === 'create' ? 'edit' : reason,
            snapshot,
          });
          this.audit.append('item_changed', { item: 'byok', id: existing.id });
        } else {
          const meta: ByokMeta = {
            kind: input.kind,
            provider: input.provider,
            keyHint: keyHint(input.apiKey),
            remoteRow: null,
            lastSyncType: null,
            lastError: null,
            hasToken: false,
          };
          id = this.store.insert({ lookup, meta, secrets: { apiKey: input.apiKey }, draft: input.draft, now, reason, snapshot });
          this.audit.append('item_created', { item: 'byok', id, draft: input.draft });
        }
      });
    return this.summarize(this.store.row(id) as ItemRow);
  }

  ready(kind: string): ByokSummary {
    const row = this.find(kind);
    if (row.sync_state !== 'draft') return this.summarize(row);
    const { meta, secrets } = this.load(row.id);
    tx(this.db, () => {
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
      });
    return this.summarize(this.store.row(row.id) as ItemRow);
  }

  history(kind: string): ItemVersion[] {
    const row = this.find(kind);
    return this.store.versions(row.id).map((v) => ({
      version: v.version,
      at: iso(v.at),
      reason: v.reason,
      summary: `${v.snapshot.provider} ${keyHint(v.snapshot.apiKey)}`,
    }));
  }

  restore(kind: string, version: number): ByokSummary {
    const row = this.find(kind);
    const target = this.store.versions(row.id).find((v) => v.version === version);
    if (!target) throw new KeyholdError('NotFound', `BYOK key "${kind}" has no version ${version}.`);
    const { meta } = this.load(row.id);
    const s = target.snapshot;
    tx(this.db, () => {
        this.store.update(row.id, {
          lookup: row.lookup,
          meta: { ...meta, provider: s.provider, keyHint: keyHint(s.apiKey), lastError: null },
          secrets: { apiKey: s.apiKey },
          state: row.sync_state === 'draft' ? 'draft' : 'pending',
          now: this.now(),
          reason: 'restore',
          snapshot: s,
        });
        this.audit.append('item_restored', { item: 'byok', id: row.id });
      });
    return this.summarize(this.store.row(row.id) as ItemRow);
  }

  remove(kind: string): { id: string } {
    const row = this.find(kind);
    tx(this.db, () => {
        this.store.delete(row.id);
        this.audit.append('item_deleted', { item: 'byok', id: row.id });
      });
    return { id: row.id };
  }

  /** Sets when the key expires and how often it should be rotated (null clears; undefined keeps). No new version: the key is unchanged. */
  setExpiry(kind: string, expiry: { expiresAt?: number | null; rotateDays?: number | null }): ByokSummary {
    if (expiry.rotateDays != null && (!Number.isInteger(expiry.rotateDays) || expiry.rotateDays < 1 || expiry.rotateDays > 3650)) {
      throw new KeyholdError('BadInput', 'A rotation period is a whole number of days from 1 to 3650.', { field: 'rotateDays' });
    }
    if (expiry.expiresAt != null && !Number.isFinite(expiry.expiresAt)) throw new KeyholdError('BadInput', 'The expiry date is not a valid date.', { field: 'expiresAt' });
    const row = this.find(kind);
    tx(this.db, () => {
      const meta = { ...this.store.meta(row) };
      if (expiry.expiresAt !== undefined) meta.expiresAt = expiry.expiresAt;
      if (expiry.rotateDays !== undefined) meta.rotateDays = expiry.rotateDays;
      this.store.writeSyncResult(row.id, { meta, remote: null, state: row.sync_state });
      this.audit.append('item_changed', { item: 'byok', id: row.id });
    });
    return this.summarize(this.store.row(row.id) as ItemRow);
  }

  recordSync(id: string, meta: ByokMeta, state: SyncState): void {
    this.store.writeSyncResult(id, { meta, remote: null, state });
  }

  retry(kind: string): ByokSummary {
    const row = this.find(kind);
    if (row.sync_state !== 'failed') return this.summarize(row);
    const { meta } = this.load(row.id);
    this.store.requeue(row.id, { meta: { ...meta, lastError: null }, remote: null, now: this.now() });
    return this.summarize(this.store.row(row.id) as ItemRow);
  }
}
