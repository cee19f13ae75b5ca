import type { ProfileToken } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { ProfileContext } from './profile-context';
import { usableToken, type TokenReadOptions } from './profile-model';

// ---- a profile's Kura token: reading it (audited), and why there is none ----

/**
 * The profile's Kura auth token, for `run`, `inject` and the token command: audited as a reveal.
 * No usable token is a NotFound error that says why (never synced, lost remote profile, renamed).
 */
export function token(ctx: ProfileContext, ref: string, options: TokenReadOptions = {}): ProfileToken {
  const found = tokenOrReason(ctx, ref, options);
  if ('reason' in found) throw new KeyholdError('NotFound', found.reason);
  return found.token;
}

/** Like `token`, but no token is an answer (with its reason) rather than an error. A token read is audited. */
export function tokenOrReason(
  ctx: ProfileContext,
  ref: string,
  options: TokenReadOptions = {},
): { id: string; token: ProfileToken } | { id: string; reason: string } {
  const summary = ctx.index.resolve(ref);
  const row = ctx.store.row(summary.id);
  if (!row) throw new KeyholdError('NotFound', `No profile "${ref}".`);
  const label = `"${summary.agentId}/${summary.name}"`;
  const remote = ctx.store.remote(row);
  const token = usableToken(remote, summary.agentId, summary.name);
  if (token?.authToken) {
    ctx.audit.recordRead(options.event ?? 'secret_revealed', {
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
  const retired = ctx.store.versions(summary.id).some((v) => v.snapshot.retiredToken?.authToken);
  if (retired) {
    return {
      id: summary.id,
      reason: `${label} has no Kura token yet under this agent and name: it was renamed or moved, and its old token is kept in its history. A new one arrives at its next sync.`,
    };
  }
  const why = { draft: ' (it is a draft)', pending: '; it is waiting for the next sync', failed: '; its last sync failed', synced: '' }[summary.syncState];
  return { id: summary.id, reason: `${label} has no Kura token yet: it has never been synced${why}.` };
}
