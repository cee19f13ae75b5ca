import type { SyncState } from '../../shared/domain';
import type { ItemResult, SyncSummary } from '../../shared/sync';
import type { ItemKind } from '../vault/items';
import type { Vault } from '../vault/vault';
import { nextRetryDelay } from './backoff';
import type { Outbox, PushRow } from './outbox';
import { REMOTE_OF, type PassContext } from './pass-context';
import type { RemoteResult } from './remote-errors';

// ---- recording outcomes: the item's state, its outbox row, the connection's status, the summary ----

/** After a successful push: synced if nothing changed meanwhile, else queued again. */
export function settleQueue(ctx: PassContext, kind: ItemKind, id: string, sentVersion: number, current: { version: number; syncState: SyncState }): SyncState {
  if (current.syncState === 'pending' && current.version !== sentVersion) {
    ctx.outbox.again(kind, id, ctx.now());
    return 'pending';
  }
  ctx.outbox.remove(kind, id);
  return current.syncState === 'draft' ? 'draft' : 'synced';
}

export function applyFailure(
  ctx: PassContext,
  kind: ItemKind,
  row: PushRow,
  ref: string,
  failure: Exclude<RemoteResult<unknown>, { ok: true }>,
  on: { record: (lastError: string | null, state: SyncState, missing?: boolean) => void },
  /** The version that was sent, and the item as it is now: an edit meanwhile is not what was refused. */
  sent?: { version: number; current: { version: number; syncState: SyncState } },
): ItemResult {
  const id = row.item_id;
  const base = { kind, id, ref, message: failure.message };
  if (failure.kind === 'rejected' && sent && sent.current.syncState === 'pending' && sent.current.version !== sent.version) {
    // The server refused the values that were sent; the item was changed while it decided (the
    // change may be the fix), so the version it has now is pushed as soon as possible instead.
    ctx.outbox.again(kind, id, ctx.now());
    on.record(null, 'pending');
    return { ...base, message: `${failure.message} It was changed meanwhile; the new version will be sent.`, outcome: 'retry', state: 'pending' };
  }
  switch (failure.kind) {
    case 'transient': {
      const delay = nextRetryDelay({ attempt: row.attempts, retryAfterMs: failure.retryAfterMs, random: ctx.random, policy: ctx.backoff });
      ctx.outbox.retryLater(kind, id, ctx.now() + delay, failure.message);
      on.record(failure.message, 'pending');
      return { ...base, outcome: 'retry', state: 'pending' };
    }
    case 'credentials': {
      const remote = REMOTE_OF[kind];
      const reason = `credentials rejected (HTTP ${failure.status})`;
      ctx.vault.remotes.pause(remote, reason);
      ctx.vault.audit.append('sync_result', { remote, result: 'credentials-rejected', status: failure.status });
      ctx.outbox.hold(kind, id, failure.message);
      on.record(failure.message, 'pending');
      return { ...base, outcome: 'blocked', state: 'pending' };
    }
    case 'notFound': {
      ctx.outbox.remove(kind, id);
      on.record(`Remote profile missing: ${failure.message}`, 'failed', true);
      ctx.vault.audit.append('sync_result', { item: kind, id, result: 'remote-missing' });
      return { ...base, message: `Remote profile missing: ${failure.message}`, outcome: 'failed', state: 'failed' };
    }
    case 'badResponse': {
      // An answer Keyhold cannot use may be a passing fault (a proxy, a deploy): retry later.
      const delay = nextRetryDelay({ attempt: row.attempts, random: ctx.random, policy: ctx.backoff });
      ctx.outbox.retryLater(kind, id, ctx.now() + delay, failure.message);
      on.record(failure.message, 'pending');
      return { ...base, outcome: 'retry', state: 'pending' };
    }
    case 'rejected': {
      ctx.outbox.remove(kind, id);
      // A 403 here is Kura refusing the token for this profile's agent (KURA_FORBIDDEN_RULE): like
      // a missing remote profile, the way out is a new one, so re-creating is offered.
      on.record(failure.message, 'failed', kind === 'profile' && failure.status === 403);
      ctx.vault.audit.append('sync_result', { item: kind, id, result: failure.kind, status: failure.status });
      return { ...base, outcome: 'failed', state: 'failed' };
    }
  }
}

/** The item's name for a summary (AGENT/NAME or the key's kind), or its id when it is gone or unreadable. */
function refOf(vault: Vault, kind: ItemKind, id: string): string {
  try {
    if (kind === 'profile') {
      const p = vault.profiles.resolve(id);
      return `${p.agentId}/${p.name}`;
    }
    return vault.byok.load(id).summary.kind;
  } catch {
    return id;
  }
}

/** A run's summary: each item's last outcome, and what is still queued with its reason. */
export function summarizeRun(vault: Vault, outbox: Outbox, all: ItemResult[], timedOut: boolean): SyncSummary {
  const last = new Map<string, ItemResult>();
  for (const r of all) last.set(`${r.kind}:${r.id}`, r);
  const finals = [...last.values()];
  const pending = outbox.all().map((row) => ({
    kind: row.item_kind,
    id: row.item_id,
    ref: refOf(vault, row.item_kind, row.item_id),
    reason: outbox.lastError(row),
    nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
  }));
  return {
    pushed: finals.filter((r) => r.outcome === 'pushed' && r.state === 'synced'),
    failed: finals.filter((r) => r.state === 'failed'),
    pending,
    replaced: all.filter((r) => r.replacedForeign),
    timedOut,
  };
}
