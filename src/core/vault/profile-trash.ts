import { refuseLookAlike } from './profile-index';
import type { ProfileSummary } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { tx } from './db';
import { idPrefixOf, TRASH_DAYS, TRASH_MS } from './items';
import { isLastToken, noteToken } from './kura-identities';
import type { ProfileContext } from './profile-context';
import { iso, type ProfileMeta, type ProfileRemote } from './profile-model';

// ---- the trash: moving a profile there, what is in it, bringing one back, purging ----

/**
 * Moves a profile to the trash (with its values, token and history) for TRASH_DAYS. A profile
 * holding a Kura token needs `confirmTokenLoss`: the remote profile stays on Kura, and once the
 * trash is purged nothing can act as it any more.
 */
export function remove(ctx: ProfileContext, ref: string, options: { confirmTokenLoss?: boolean } = {}): { id: string; wasSynced: boolean; purgeAt: string } {
  const damaged = ctx.index.resolvesToDamaged(ref);
  if (damaged) {
    // A damaged profile can still be thrown away: that needs none of its cells. Its unreadable
    // cells are of no use in the trash, so it goes at once.
    ctx.index.write(
      () => {
        const now = ctx.now();
        ctx.store.trash(damaged, now, now);
        ctx.store.purge([damaged]);
        ctx.audit.append('item_deleted', { item: 'profile', id: damaged, damaged: true });
      },
      () => ctx.index.reindex(damaged),
    );
    return { id: damaged, wasSynced: false, purgeAt: iso(ctx.now()) };
  }
  const summary = ctx.index.resolve(ref);
  if (summary.hasToken && !options.confirmTokenLoss) {
    throw new KeyholdError(
      'Conflict',
      `"${summary.agentId}/${summary.name}" holds a Kura auth token. Deleting it keeps the remote profile on Kura, and the token goes with the local copy: to the trash for ${TRASH_DAYS} days, then gone for good (Kura cannot show it again).`,
      { field: 'confirmTokenLoss' },
    );
  }
  const now = ctx.now();
  const purgeAt = now + TRASH_MS;
  ctx.index.write(
    () => {
      ctx.store.trash(summary.id, now, purgeAt);
      ctx.audit.append('item_deleted', { item: 'profile', id: summary.id, trash: true, hadToken: summary.hasToken });
    },
    () => ctx.index.reindex(summary.id),
  );
  return { id: summary.id, wasSynced: summary.hasToken, purgeAt: iso(purgeAt) };
}

/**
 * Records a token that arrived for a profile trashed while its push was in flight. It is noted for
 * its agent + name even when the profile was purged or renamed meanwhile: Kura issued it all the same.
 */
export function keepTrashedToken(ctx: ProfileContext, id: string, pushedVersion: number, remote: ProfileRemote & { authToken: string }): void {
  tx(ctx.db, () => {
    noteToken(ctx.db, ctx.cells, remote, ctx.now());
    const row = ctx.store.trashedRow(id);
    if (!row) return;
    const meta = ctx.store.meta(row);
    if (meta.agentId !== remote.agentId || meta.name !== remote.name) return;
    // Edited after the push left: restored, it still has that change to push.
    const state = row.version === pushedVersion ? 'synced' : 'pending';
    ctx.store.writeSyncResult(id, { meta: { ...meta, hasToken: true, lastSyncType: remote.syncType ?? null, lastError: null }, remote, state });
  });
}

/** Trashed profiles, for the trash listing: ids, names and dates only. */
export function trashed(ctx: ProfileContext): { id: string; agentId: string; name: string; hasToken: boolean; trashedAt: number; purgeAt: number }[] {
  ctx.cells();
  return ctx.store.trashedRows().map((r) => {
    const meta = ctx.store.meta(r);
    return { id: r.id, agentId: meta.agentId, name: meta.name, hasToken: meta.hasToken, trashedAt: r.trashed_at, purgeAt: r.purge_at };
  });
}

/**
 * The error for a reference that names no live profile but one in the trash (by id, id prefix or
 * AGENT_ID/NAME; the newest when it was deleted more than once): a person who deleted it and
 * asks for it by name is told where it is. Null when the trash holds none; a trashed profile
 * whose listing cell is damaged is passed over.
 */
export function inTrashError(ctx: ProfileContext, ref: string): KeyholdError | null {
  const prefix = idPrefixOf(ref);
  const named = ref.normalize('NFC');
  let found: { id: string; agentId: string; name: string; trashedAt: number } | null = null;
  for (const r of ctx.store.trashedRows()) {
    const byId = r.id === ref.toLowerCase() || (prefix !== null && r.id.startsWith(prefix));
    const meta = ctx.store.metaOrNull(r);
    if (meta === null || !(byId || `${meta.agentId}/${meta.name}`.normalize('NFC') === named)) continue;
    if (found === null || r.trashed_at > found.trashedAt) found = { id: r.id, agentId: meta.agentId, name: meta.name, trashedAt: r.trashed_at };
  }
  if (found === null) return null;
  return new KeyholdError(
    'NotFound',
    `The profile "${found.agentId}/${found.name}" (${found.id}) is in the trash, deleted ${iso(found.trashedAt)}: restore it from the trash to use it.`,
    { field: 'inTrash' },
  );
}

const SUPERSEDED =
  'Kura replaced this remote profile while it was in the trash (a later profile of the same agent and name synced), so its token no longer works. Re-create it to get a new one.';

/**
 * A restored profile whose Kura token a later profile of the same agent and name made void: that one
 * synced as a create or replace after this token was obtained (Kura keeps one profile per agent and
 * name, and a replace invalidates the old token), whatever became of it since (still in the trash,
 * renamed, moved or purged). Brought back as it was, it would show `synced` and hand out the dead
 * token; it is marked as Kura losing the remote profile is (a 404): failed, token not usable,
 * re-create offered.
 */
function markSupersededToken(ctx: ProfileContext, id: string, meta: ProfileMeta): void {
  const row = ctx.store.row(id);
  const remote = row ? ctx.store.remote(row) : null;
  if (!row || !remote?.authToken || remote.missing) return;
  const last = isLastToken(ctx.db, ctx.cells, { agentId: remote.agentId, name: remote.name, authToken: remote.authToken });
  const superseded = last === null ? laterTrashedToken(ctx, id, meta, remote) : !last;
  if (superseded) ctx.store.writeSyncResult(id, { meta: { ...meta, lastError: SUPERSEDED }, remote: { ...remote, missing: true }, state: 'failed' });
}

/**
 * For a token no record speaks for (a vault from before the record, format 10 and older): whether
 * another trashed profile of the same agent and name holds a token obtained after it.
 */
function laterTrashedToken(ctx: ProfileContext, id: string, meta: ProfileMeta, remote: ProfileRemote): boolean {
  const since = Date.parse(remote.obtainedAt ?? '') || 0;
  return ctx.store.trashedRows().some((other) => {
    if (other.id === id) return false;
    const theirs = ctx.store.metaOrNull(other);
    if (!theirs || theirs.agentId !== meta.agentId || theirs.name !== meta.name) return false;
    const full = ctx.store.trashedRow(other.id);
    const their = full ? ctx.store.remote(full) : null;
    return their?.authToken != null && their.authToken !== remote.authToken && (Date.parse(their.obtainedAt ?? '') || 0) > since;
  });
}

/** Brings a trashed profile back as it was (a pending one is queued again); its name must be free. */
export function untrash(ctx: ProfileContext, id: string): ProfileSummary {
  ctx.index.write(
    () => {
      const meta = ctx.store.restoreFromTrash(
        id,
        ctx.now(),
        (meta) => {
          refuseLookAlike(meta.agentId, meta.name, ctx.index.readsAs(meta.agentId, meta.name, id));
          return ctx.index.lookup(meta.agentId, meta.name);
        },
        (meta) =>
          new KeyholdError(
            'Conflict',
            `A profile named "${meta.name}" already exists for agent "${meta.agentId}". Rename or delete that one, then restore this one.`,
            { field: 'name' },
          ),
      );
      markSupersededToken(ctx, id, meta);
      ctx.audit.append('item_restored', { item: 'profile', id, fromTrash: true });
    },
    () => ctx.index.reindex(id),
  );
  return ctx.index.resolve(id);
}

/** Deletes trashed profiles for good: the given ids, every trashed one, or those due by `expiredAt`. */
export function purge(ctx: ProfileContext, ids: readonly string[] | 'all', expiredAt?: number): number {
  // Only trashed rows go, which no listing index holds: the write generation stays, and so does
  // the saved index snapshot.
  return tx(ctx.db, () => ctx.store.purge(ids, expiredAt));
}
