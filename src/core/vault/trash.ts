import type { SyncState, TrashEntry } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { AuditLog } from './audit';
import { housekeeping } from './db';
import type { ByokKeys } from './byok';
import { idPrefixOf } from './items';
import type { Profiles } from './profiles';
import { compareText } from '../../shared/text';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Deleted profiles and BYOK keys, kept for TRASH_DAYS as soft-deleted rows (same cells, same
 * history, token included) and invisible to every listing, search, sync, run, inject and export.
 */
export class Trash {
  constructor(
    private readonly profiles: Profiles,
    private readonly byok: ByokKeys,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  list(): TrashEntry[] {
    const entries: TrashEntry[] = [
      ...this.profiles.trashed().map((p) => ({
        id: p.id,
        kind: 'profile' as const,
        ref: `${p.agentId}/${p.name}`,
        hasToken: p.hasToken,
        trashedAt: iso(p.trashedAt),
        purgeAt: iso(p.purgeAt),
      })),
      ...this.byok.trashed().map((b) => ({
        id: b.id,
        kind: 'byok' as const,
        ref: b.kind,
        hasToken: false,
        trashedAt: iso(b.trashedAt),
        purgeAt: iso(b.purgeAt),
      })),
    ];
    // Newest first: what was just deleted is what people look for.
    return entries.sort((a, b) => compareText(b.trashedAt, a.trashedAt) || compareText(a.ref, b.ref));
  }

  /** Finds a trashed item by its id or a unique id prefix (6+ characters, as the listing shows). */
  find(ref: string): TrashEntry {
    const wanted = ref.trim().toLowerCase();
    const all = this.list();
    const exact = all.find((e) => e.id === wanted);
    if (exact) return exact;
    const prefix = idPrefixOf(wanted);
    const hits = prefix === null ? [] : all.filter((e) => e.id.startsWith(prefix));
    if (hits.length === 1) return hits[0] as TrashEntry;
    if (hits.length > 1) throw new KeyholdError('BadInput', `"${ref}" matches ${hits.length} items in the trash; give more of the id.`);
    throw new KeyholdError('NotFound', `Nothing in the trash has id "${ref}".`);
  }

  /** Puts an item back where it was; refused with Conflict if its name or kind is taken now. */
  restore(ref: string): TrashEntry & { state: SyncState } {
    const entry = this.find(ref);
    const state = entry.kind === 'profile' ? this.profiles.untrash(entry.id).syncState : this.byok.untrash(entry.id).syncState;
    return { ...entry, state };
  }

  /** Deletes one trashed item for good, history and token included. */
  purge(ref: string): TrashEntry {
    const entry = this.find(ref);
    if (entry.kind === 'profile') this.profiles.purge([entry.id]);
    else this.byok.purge([entry.id]);
    this.audit.append('item_deleted', { item: entry.kind, id: entry.id, purged: true });
    return entry;
  }

  /**
   * Empties the trash; the caller has the person's confirmation (this cannot be undone). `only`: the
   * entries the person was shown, so what was trashed while they read the question stays.
   */
  purgeAll(options: { confirm?: boolean; only?: readonly TrashEntry[] } = {}): number {
    const count = this.list().length;
    if (count > 0 && !options.confirm) {
      throw new KeyholdError('Conflict', `Emptying the trash deletes ${count} item(s) for good, with their history and tokens.`, {
        field: 'confirmPurge',
      });
    }
    const ids = (kind: TrashEntry['kind']) => options.only?.filter((e) => e.kind === kind).map((e) => e.id) ?? 'all';
    const purged = this.profiles.purge(ids('profile')) + this.byok.purge(ids('byok'));
    if (purged > 0) this.audit.append('item_deleted', { purged });
    return purged;
  }

  /**
   * Purges what has waited its full time; runs at every unlock, a read command's too. So the write
   * lock is taken only when something is due, and a busy or full vault leaves it for a later unlock
   * (a trashed item past its time is no more readable than before).
   */
  purgeExpired(): number {
    const now = this.now();
    if (!this.profiles.purgeDue(now) && !this.byok.purgeDue(now)) return 0;
    return housekeeping(() => {
      const purged = this.profiles.purge('all', now) + this.byok.purge('all', now);
      if (purged > 0) this.audit.append('item_deleted', { purged, expired: true });
      return purged;
    }, 0);
  }
}
