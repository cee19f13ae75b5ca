import type { SyncState } from '../../shared/domain';
import type { StatusRow, SyncStatus } from '../../shared/sync';
import type { ItemKind } from '../vault/items';
import type { Vault } from '../vault/vault';
import { Outbox } from './outbox';

const zero = (): Record<SyncState | 'localOnly', number> => ({ draft: 0, pending: 0, synced: 0, failed: 0, localOnly: 0 });

/** Counts by state, and one row per item that is not synced (drafts, pending, failed). */
export function syncStatus(vault: Vault): SyncStatus {
  const outbox = new Outbox(vault.db, () => vault.cells());
  const queued = new Map(outbox.all().map((r) => [`${r.item_kind}:${r.item_id}`, r]));
  const counts = { profile: zero(), byok: zero() };
  const items: StatusRow[] = [];
  const add = (kind: ItemKind, id: string, ref: string, state: SyncState, lastError: string | null, localOnly = false) => {
    counts[kind][localOnly ? 'localOnly' : state]++;
    if (state === 'synced') return;
    const row = queued.get(`${kind}:${id}`);
    items.push({
      kind,
      id,
      ref,
      state,
      attempts: row?.attempts ?? 0,
      nextAttemptAt: row ? new Date(row.next_attempt_at).toISOString() : null,
      lastError: (row && outbox.lastError(row)) ?? lastError,
      localOnly,
    });
  };
  for (const p of vault.profiles.list()) add('profile', p.id, `${p.agentId}/${p.name}`, p.syncState, p.lastError);
  for (const b of vault.byok.list()) add('byok', b.id, b.kind, b.syncState, b.lastError, b.localOnly);
  return { counts, items, remotes: vault.remotes.list() };
}
