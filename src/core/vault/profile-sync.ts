import type { ProfileSummary, SyncState } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { noteToken, type IdentityToken } from './kura-identities';
import type { ProfileContext } from './profile-context';
import type { ProfileMeta, ProfileRemote } from './profile-model';

// ---- sync outcomes: what the engine records, and the ways back from a failed push ----

/**
 * Used by the sync engine to record an outcome; the engine owns the outbox row. `received` is a
 * token Kura answered with (or a bundle brought), noted for its agent + name in the same
 * transaction, also when the profile no longer has that identity and does not keep it.
 */
export function recordSync(
  ctx: ProfileContext,
  current: ProfileSummary,
  meta: ProfileMeta,
  remote: ProfileRemote | null,
  state: SyncState,
  received?: IdentityToken,
): void {
  const id = current.id;
  ctx.index.write(
    () => {
      ctx.store.writeSyncResult(id, { meta, remote, state });
      if (received) noteToken(ctx.db, ctx.cells, received, ctx.now());
    },
    () => ctx.index.reindexAs(current, meta, state),
  );
}

/**
 * After Kura lost the remote profile (404 on update): forget the token and push a create, which
 * makes a new remote profile with a new token.
 */
export function recreate(ctx: ProfileContext, ref: string): ProfileSummary {
  const { id } = ctx.index.resolve(ref);
  const current = ctx.load(id);
  if (!current.remote?.missing) {
    throw new KeyholdError('Conflict', `"${current.meta.agentId}/${current.meta.name}" is not missing on Kura; there is nothing to re-create.`);
  }
  ctx.index.write(
    () => {
      ctx.store.requeue(id, {
        meta: { ...current.meta, hasToken: false, lastError: null, lastSyncType: null },
        // No token, but the reason is kept so the token command can say why.
        remote: { authToken: null, agentId: current.meta.agentId, name: current.meta.name, droppedAfterMissing: true },
        now: ctx.now(),
      });
      ctx.audit.append('item_changed', { item: 'profile', id, recreate: true });
    },
    () => ctx.index.reindex(id),
  );
  return ctx.index.resolve(id);
}

/** Puts a failed profile back in the queue as it is. */
export function retry(ctx: ProfileContext, ref: string): ProfileSummary {
  const { id } = ctx.index.resolve(ref);
  const current = ctx.load(id);
  if (current.summary.syncState !== 'failed') return current.summary;
  if (current.remote?.missing) {
    throw new KeyholdError('Conflict', `Kura no longer has "${current.meta.agentId}/${current.meta.name}"; re-create it instead of retrying.`);
  }
  ctx.index.write(
    () => ctx.store.requeue(id, { meta: { ...current.meta, lastError: null }, remote: current.remote, now: ctx.now() }),
    () => ctx.index.reindex(id),
  );
  return ctx.index.resolve(id);
}
