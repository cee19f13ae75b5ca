import type { SyncType } from '../../shared/domain';
import type { ItemResult } from '../../shared/sync';
import { iso } from '../vault/profile-model';
import { Profiles, type ProfileRemote } from '../vault/profiles';
import { upsertAuthProfile } from './kura-client';
import type { PushRow } from './outbox';
import { applyFailure, settleQueue } from './outcomes';
import type { Job, PassContext } from './pass-context';
import { withServerWords, type RemoteFailure, type RemoteResult } from './remote-errors';

// ---- profiles → Kura: claiming a profile's row, its request, and recording Kura's answer. ----

type Rejected = Extract<RemoteFailure, { kind: 'rejected' }>;
const isForbidden = (r: RemoteResult<unknown>): r is Rejected => !r.ok && r.kind === 'rejected' && r.status === 403;

function asKeyRefused(r: Rejected): RemoteFailure {
  const message = withServerWords('Kura refused every request of this sync (HTTP 403)', r);
  return { ok: false, kind: 'credentials', status: 403, message, ...(r.serverMessage === undefined ? {} : { serverMessage: r.serverMessage }) };
}
/** The server itself answered (anything but a network failure or a request that never left). */
const answered = (r: RemoteResult<unknown>): boolean => r.ok || (r.kind !== 'transient' && r.status !== 0);

/**
 * At the end of a pass, records the 403 outcomes that waited for it (KURA_FORBIDDEN_RULE): as the
 * connection's API key refused when that is conclusive, else each as its own profile's failure.
 * `record` runs them in one transaction (which checks the lease first).
 */
export function settleForbidden(ctx: PassContext, record: (apply: () => ItemResult[]) => ItemResult[]): ItemResult[] {
  const { waiting, otherAnswers } = ctx.forbidden;
  if (waiting.length === 0) return [];
  const connectionWide = otherAnswers === 0 && (waiting.length >= 2 || waiting.some((w) => w.create));
  const done = record(() => waiting.map((w) => w.apply(connectionWide)));
  ctx.forbidden.waiting = [];
  ctx.forbidden.otherAnswers = 0;
  return done;
}

export function prepareProfile(ctx: PassContext, row: PushRow, immediate: ItemResult[]): Job | null {
  const id = row.item_id;
  const profiles = ctx.vault.profiles;
  const item = profiles.loadForPush(id);
  if (!item || item.summary.syncState !== 'pending') {
    ctx.outbox.remove('profile', id);
    return null;
  }
  const meta = Profiles.metaOf(item.summary);
  const ref = `${meta.agentId}/${meta.name}`;
  const conn = ctx.connection('kura');
  if (typeof conn === 'string') {
    ctx.outbox.hold('profile', id, conn);
    if (meta.lastError !== conn) profiles.recordSync(item.summary, { ...meta, lastError: conn }, item.remote, 'pending');
    immediate.push({ kind: 'profile', id, ref, outcome: 'blocked', state: 'pending', message: conn });
    return null;
  }
  const token = item.remote?.authToken && !item.remote.missing ? item.remote.authToken : undefined;
  // A create already sent for this row whose answer never came back (lost, or the process died).
  const ownRetry = !token && row.create_sent_at !== null;
  ctx.outbox.claim('profile', id, item.summary.version, ctx.now(), !token);
  // When the token was first obtained; an update that hands back the same token keeps it.
  const sent = { agentId: meta.agentId, name: meta.name, token, obtainedAt: item.remote?.obtainedAt ?? null };
  const signal = ctx.signal;
  const http = ctx.client('kura', conn.url).withSignal(signal);
  const request = {
    agent_id: meta.agentId,
    api_key: conn.credential,
    auth_data: item.secrets.authData,
    name: meta.name,
    should_save_session: meta.saveSession,
    ...(token ? { auth_token: token } : {}),
  };
  const version = item.summary.version;
  return {
    row,
    ref,
    version,
    send: async () => {
      const result = await upsertAuthProfile(http, request);
      if (signal.aborted) return null;
      if (result.ok) ctx.proven.add('kura');
      if (isForbidden(result)) {
        ctx.forbidden.waiting.push({
          create: !token,
          apply: (connectionWide) => applyProfile(ctx, row, ref, version, sent, ownRetry, connectionWide ? asKeyRefused(result) : result),
        });
        return null;
      }
      if (answered(result)) ctx.forbidden.otherAnswers += 1;
      return () => applyProfile(ctx, row, ref, version, sent, ownRetry, result);
    },
  };
}

function applyProfile(
  ctx: PassContext,
  row: PushRow,
  ref: string,
  version: number,
  sent: { agentId: string; name: string; token: string | undefined; obtainedAt: string | null },
  ownRetry: boolean,
  result: Awaited<ReturnType<typeof upsertAuthProfile>>,
): ItemResult {
  const id = row.item_id;
  const profiles = ctx.vault.profiles;
  const current = profiles.loadForSync(id);
  if (!current) {
    // Deleted while in flight: a token that came back still goes with the profile to the trash.
    if (result.ok) {
      profiles.keepTrashedToken(id, version, {
        authToken: result.body.auth_token,
        agentId: sent.agentId,
        name: sent.name,
        missing: false,
        obtainedAt: iso(ctx.now()),
        syncType: result.body.type,
      });
    }
    ctx.outbox.remove('profile', id);
    return { kind: 'profile', id, ref, outcome: 'skipped', state: 'pending', message: 'deleted while it was being pushed' };
  }
  const meta = Profiles.metaOf(current.summary);
  const sameIdentity = meta.agentId === sent.agentId && meta.name === sent.name;

  if (result.ok) {
    const syncType: SyncType = result.body.type === 'replace' && ownRetry ? 'create' : result.body.type;
    const state = settleQueue(ctx, 'profile', id, version, current.summary);
    // Renamed or moved while in flight: the token belongs to the old identity, which the edit
    // already said stays behind on Kura.
    const remote: ProfileRemote | null = sameIdentity
      ? {
          authToken: result.body.auth_token,
          agentId: sent.agentId,
          name: sent.name,
          missing: false,
          obtainedAt: sent.token === result.body.auth_token ? sent.obtainedAt : iso(ctx.now()),
          syncType,
        }
      : current.remote();
    profiles.recordSync(
      current.summary,
      { ...meta, lastSyncType: sameIdentity ? syncType : meta.lastSyncType, lastError: null, hasToken: remote?.authToken != null },
      remote,
      state,
      // Noted also when the profile was renamed meanwhile: the token is still the live one of the
      // identity it was sent as, and any other of that identity is void.
      { agentId: sent.agentId, name: sent.name, authToken: result.body.auth_token },
    );
    const replacedForeign = syncType === 'replace';
    if (replacedForeign) ctx.vault.audit.append('sync_result', { item: 'profile', id, result: 'replaced-existing-remote' });
    return {
      kind: 'profile',
      id,
      ref,
      outcome: 'pushed',
      state,
      syncType,
      ...(replacedForeign
        ? {
            replacedForeign,
            message: `Kura already had a profile "${sent.name}" for agent "${sent.agentId}"; it was replaced and its old token no longer works.`,
          }
        : {}),
    };
  }
  return applyFailure(
    ctx,
    'profile',
    row,
    ref,
    result,
    {
      record: (lastError, state, missing) => {
        const remote = current.remote();
        profiles.recordSync(current.summary, { ...meta, lastError }, missing && remote ? { ...remote, missing: true } : remote, state);
      },
    },
    { version, current: current.summary },
  );
}
