import type { SyncType } from '../../shared/domain';
import type { ItemResult } from '../../shared/sync';
import type { Vault } from '../vault/vault';
import { setByokKey } from './backside-client';
import type { PushRow } from './outbox';
import { applyFailure, settleQueue } from './outcomes';
import type { Job, PassContext } from './pass-context';

// ---- BYOK → Backside: claiming a key's row, its request, and recording Backside's answer. ----

/** The key as stored now; null, with its outbox row dropped, when it is gone (deleted, or unreadable). */
function loadOrDrop(ctx: PassContext, id: string): ReturnType<Vault['byok']['load']> | null {
  try {
    return ctx.vault.byok.load(id);
  } catch {
    ctx.outbox.remove('byok', id);
    return null;
  }
}

export function prepareByok(ctx: PassContext, row: PushRow, immediate: ItemResult[]): Job | null {
  const id = row.item_id;
  const item = loadOrDrop(ctx, id);
  if (!item) return null;
  const ref = item.meta.kind;
  if (item.summary.syncState !== 'pending') {
    ctx.outbox.remove('byok', id);
    return null;
  }
  if (item.summary.localOnly) {
    // Queued before local-only keys existed: it goes back to resting here, and is not an error.
    ctx.outbox.remove('byok', id);
    ctx.vault.byok.recordSync(id, { ...item.meta, lastError: null }, 'draft');
    immediate.push({ kind: 'byok', id, ref, outcome: 'skipped', state: 'draft', message: 'local only: Backside takes Anthropic keys only' });
    return null;
  }
  const conn = ctx.connection('backside');
  if (typeof conn === 'string') {
    ctx.outbox.hold('byok', id, conn);
    if (item.meta.lastError !== conn) ctx.vault.byok.recordSync(id, { ...item.meta, lastError: conn }, 'pending');
    immediate.push({ kind: 'byok', id, ref, outcome: 'blocked', state: 'pending', message: conn });
    return null;
  }
  ctx.outbox.claim('byok', id, item.summary.version, ctx.now());
  const signal = ctx.signal;
  const backside = { http: ctx.client('backside', conn.url).withSignal(signal), token: conn.credential };
  return {
    row,
    ref,
    version: item.summary.version,
    send: async () => {
      const result = await setByokKey(backside, item.meta.kind, item.secrets.apiKey);
      if (signal.aborted) return null;
      if (result.ok) ctx.proven.add('backside');
      return () => applyByok(ctx, row, ref, item.summary.version, result);
    },
  };
}

function applyByok(ctx: PassContext, row: PushRow, ref: string, version: number, result: Awaited<ReturnType<typeof setByokKey>>): ItemResult {
  const id = row.item_id;
  const fresh = loadOrDrop(ctx, id);
  if (!fresh) return { kind: 'byok', id, ref, outcome: 'skipped', state: 'pending', message: 'deleted while it was being pushed' };
  const now = ctx.now();
  if (result.ok) {
    const state = settleQueue(ctx, 'byok', id, version, fresh.summary);
    const syncType: SyncType = fresh.meta.remoteRow ? 'update' : 'create';
    // Backside stores a key only after its probe accepted it, so the push is a passed probe.
    const probedAt = typeof result.body.byok_last_probed_at === 'string' ? Date.parse(result.body.byok_last_probed_at) : NaN;
    const lastProbe = { ok: true, at: Number.isNaN(probedAt) ? now : probedAt, message: null };
    ctx.vault.byok.recordSync(id, { ...fresh.meta, remoteRow: result.body, lastProbe, lastSyncType: syncType, lastError: null }, state);
    return { kind: 'byok', id, ref, outcome: 'pushed', state, syncType };
  }
  // A 400 or 422 to a well-formed request is the probe refusing the key.
  // …unless the key was replaced meanwhile: the probe was of the key sent, not of the one kept now.
  const refused = result.kind === 'rejected' && (result.status === 400 || result.status === 422);
  const replaced = fresh.summary.syncState === 'pending' && fresh.summary.version !== version;
  const lastProbe = refused && !replaced ? { ok: false, at: now, message: result.message } : fresh.meta.lastProbe;
  return applyFailure(
    ctx,
    'byok',
    row,
    ref,
    result,
    { record: (lastError, state) => ctx.vault.byok.recordSync(id, { ...fresh.meta, lastProbe, lastError }, state) },
    { version, current: fresh.summary },
  );
}
