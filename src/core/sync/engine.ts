import { isLocalOnlyProvider, type ByokSummary, type RemoteKind, type SyncState, type SyncType } from '../../shared/domain';
import { tx } from '../vault/db';
import type { ItemResult, SyncProgress, SyncSummary } from '../../shared/sync';
import { KeyholdError } from '../../shared/errors';
import type { ItemKind } from '../vault/items';
import { Profiles, type ProfileRemote } from '../vault/profiles';
import type { Vault } from '../vault/vault';
import { checkKey, setByokKey, type KeyVerdict } from './backside-client';
import { DEFAULT_BACKOFF, nextRetryDelay, type BackoffPolicy } from './backoff';
import { HttpClient, parseBaseUrl, type HttpOptions } from './http';
import { upsertAuthProfile } from './kura-client';
import { busyError, SyncLease, type SyncLeaseOptions } from './lease';
import { Outbox, type OutboxRow } from './outbox';
import { failureToError, type RemoteFailure, type RemoteResult } from './remote-errors';

export interface SyncEngineOptions {
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  backoff?: BackoffPolicy;
  /** Requests in flight at once, across both services. */
  concurrency?: number;
  http?: HttpOptions;
  /** Who this engine is when it holds the sync lease ("keyhold sync", "Keyhold desktop app"). */
  lease?: Partial<SyncLeaseOptions>;
  onItem?: (result: ItemResult) => void;
  onProgress?: (progress: SyncProgress) => void;
}

const SERVICE: Record<RemoteKind, string> = { kura: 'Kura', backside: 'Backside' };
const REMOTE_OF: Record<ItemKind, RemoteKind> = { profile: 'kura', byok: 'backside' };

// Outcomes are committed in batches: one fsync per batch instead of one per item. A kill -9 before
// a batch commits leaves its rows claimed; the next holder of the sync lease makes them due again,
// and a resent create is recognised as our own retry (the row's create_sent_at), so nothing is
// lost or reported wrongly.
const FLUSH_EVERY = 128;
const FLUSH_MS = 100;
const CLAIM_CHUNK = 128;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

interface UsableConnection {
  url: string;
  credential: string;
  /** When this address and credential were set, to tell whether they changed during the pass. */
  setAt: number;
}

interface Job {
  row: OutboxRow;
  ref: string;
  version: number;
  /** The outcome to record, or null when its recording waits for the end of the pass or the run was cancelled meanwhile. */
  send: () => Promise<(() => ItemResult) | null>;
}

/**
 * KURA_FORBIDDEN_RULE. Kura answers each request on its own, and its 403 usually names that request
 * (a token bound to another agent), so a 403 fails only its profile, with Kura's reason. It is the
 * API key, and pauses the connection, when every request Kura answered in the pass was a 403 and
 * that is conclusive: two or more of them, or one for a create, which carries no token to blame.
 * A 401 always pauses. Until the pass ends, 403 outcomes wait here (their rows stay claimed).
 */
interface ForbiddenOutcomes {
  waiting: { create: boolean; apply: (connectionWide: boolean) => ItemResult }[];
  /** Kura answers in this pass that were not a 403. */
  otherAnswers: number;
}

type Rejected = Extract<RemoteFailure, { kind: 'rejected' }>;
const isForbidden = (r: RemoteResult<unknown>): r is Rejected => !r.ok && r.kind === 'rejected' && r.status === 403;

function asKeyRefused(r: Rejected): RemoteFailure {
  const said = r.serverMessage === undefined ? '.' : `: ${r.serverMessage}`;
  const message = `Kura refused every request of this sync (HTTP 403)${said}`;
  return { ok: false, kind: 'credentials', status: 403, message, ...(r.serverMessage === undefined ? {} : { serverMessage: r.serverMessage }) };
}
/** The server itself answered (anything but a network failure or a request that never left). */
const answered = (r: RemoteResult<unknown>): boolean => r.ok || (r.kind !== 'transient' && r.status !== 0);

/**
 * Brings the remotes up to the vault: reads the outbox, pushes each due item with the payload it
 * has now, and records every outcome (token, remote row, failure reason, backoff) encrypted.
 */
export class SyncEngine {
  private readonly outbox: Outbox;
  private readonly clients = new Map<RemoteKind, HttpClient>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private readonly lease: SyncLease;
  /** Aborted by cancel(): every request under way stops and nothing more is recorded. */
  private readonly cancelled = new AbortController();
  /** The signal of the pass under way: requests are made through clients bound to it. */
  private passSignal: AbortSignal = this.cancelled.signal;
  private running: Promise<ItemResult[]> | null = null;
  private forbidden: ForbiddenOutcomes = { waiting: [], otherAnswers: 0 };
  /** Connections a push succeeded on in this pass: proof that their address and credential work. */
  private provenThisPass = new Set<RemoteKind>();

  constructor(
    private readonly vault: Vault,
    private readonly options: SyncEngineOptions = {},
  ) {
    this.outbox = new Outbox(vault.db, () => vault.cells());
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.concurrency = options.concurrency ?? 8;
    this.lease = new SyncLease(vault.db, { label: 'Keyhold', ...options.lease });
  }

  /**
   * Stops for good (the vault is locking): requests under way are aborted, their outcomes are not
   * recorded, and the rows they had claimed are due again once the lease is given up.
   */
  cancel(): void {
    this.cancelled.abort();
  }

  private client(kind: RemoteKind, url: string): HttpClient {
    const existing = this.clients.get(kind);
    if (existing && existing.baseUrl === url) return existing;
    void existing?.close();
    const client = new HttpClient(url, { service: SERVICE[kind], ...this.options.http });
    this.clients.set(kind, client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }

  /**
   * One pass over the due rows. Concurrent calls share the pass in progress. Throws SyncBusy,
   * naming the holder, when another process holds the sync lease.
   */
  pass(signal?: AbortSignal): Promise<ItemResult[]> {
    if (!this.running) {
      this.running = this.leasedPass(signal).finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // Joining a pass another caller started (the background runner's): this caller's deadline
    // still ends its own wait, while that pass runs on under its own limits.
    const running = this.running;
    if (!signal) return running;
    return new Promise<ItemResult[]>((resolve, reject) => {
      const stop = () => resolve([]);
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      running.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
    });
  }

  private refOf(kind: ItemKind, id: string): string {
    try {
      if (kind === 'profile') {
        const p = this.vault.profiles.resolve(id);
        return `${p.agentId}/${p.name}`;
      }
      return this.vault.byok.load(id).summary.kind;
    } catch {
      return id;
    }
  }

  /** Connections are read once per pass: decrypting them per item would cost more than the push. */
  private connections = new Map<RemoteKind, UsableConnection | string>();

  private connectionFor(kind: RemoteKind): UsableConnection | string {
    let conn = this.connections.get(kind);
    if (conn === undefined) this.connections.set(kind, (conn = this.blockedReason(kind)));
    return conn;
  }

  private blockedReason(kind: RemoteKind): UsableConnection | string {
    const conn = this.vault.remotes.connection(kind);
    const label = SERVICE[kind];
    if (!conn) return `No ${label} connection yet.`;
    if (!conn.credential) return `The ${label} connection has no ${kind === 'kura' ? 'API key' : 'token'} yet.`;
    if (conn.paused) return `The ${label} connection is paused: its credentials were rejected. Update them to resume.`;
    try {
      parseBaseUrl(conn.url);
    } catch (e) {
      return e instanceof KeyholdError ? e.message : `The ${label} address is not usable.`;
    }
    return { url: conn.url, credential: conn.credential, setAt: conn.updatedAt };
  }

  /** A pass under the lease: taken for the pass (a whole run may hold it already). */
  private async leasedPass(signal?: AbortSignal): Promise<ItemResult[]> {
    const passSignal = signal ? AbortSignal.any([this.cancelled.signal, signal]) : this.cancelled.signal;
    if (passSignal.aborted) return [];
    this.vault.cells();
    const other = this.lease.tryAcquire();
    if (other) throw busyError(other);
    try {
      return await this.runPass(passSignal);
    } finally {
      this.releaseLease();
    }
  }

  private releaseLease(): void {
    try {
      this.lease.release();
    } catch {
      // A busy database: the lease expires on its own, and its rows are recovered then.
    }
  }

  private async runPass(signal: AbortSignal): Promise<ItemResult[]> {
    const db = this.vault.db;
    // Which rows to try is only a list of candidates: each is read again, and claimed, inside the
    // transaction that claims it.
    const due = this.outbox.due(this.now());
    if (due.length === 0) return [];
    this.connections.clear();
    this.forbidden = { waiting: [], otherAnswers: 0 };
    this.provenThisPass.clear();

    // A failure in one worker (the lease lost, the database busy) stops the others' requests too.
    const stop = new AbortController();
    const runSignal = AbortSignal.any([signal, stop.signal]);
    this.passSignal = runSignal;
    let failure: { error: unknown } | null = null;
    const fail = (error: unknown) => {
      failure ??= { error };
      stop.abort();
    };

    // Rows are claimed in chunks as workers need them: a first small one so requests leave at
    // once, then larger ones, so preparing (decrypting, claiming) overlaps with the network.
    // Claiming the next chunk and recording the outcomes that have arrived share one transaction
    // (one commit, and each page the two touch written once), which first checks and renews the
    // lease: a process that lost it records nothing.
    const results: ItemResult[] = [];
    const queue: Job[] = [];
    let cursor = 0;
    let settled: (() => ItemResult)[] = [];
    let lastFlush = Date.now();
    const commit = (claim: number) => {
      const batch = settled;
      settled = [];
      lastFlush = Date.now();
      const rows = due.slice(cursor, (cursor += claim));
      const immediate: ItemResult[] = [];
      const jobs: Job[] = [];
      const done = tx(db, () => {
        this.lease.check();
        const out = batch.map((apply) => apply());
        const now = this.now();
        for (const candidate of rows) {
          const row = this.outbox.get(candidate.item_kind, candidate.item_id);
          if (!row || row.inflight_version !== null || row.next_attempt_at > now) continue;
          const job = row.item_kind === 'profile' ? this.prepareProfile(row, immediate) : this.prepareByok(row, immediate);
          if (job) jobs.push(job);
        }
        return out;
      });
      // Only once the claims are committed may their requests leave.
      queue.push(...jobs);
      for (const r of [...done, ...immediate]) {
        results.push(r);
        this.options.onItem?.(r);
      }
      if (done.length > 0) this.options.onProgress?.({ done: results.length, total: due.length });
    };
    // Recording outcomes also tops the queue up, so most commits do both jobs.
    const flush = () => {
      if (settled.length > 0) commit(runSignal.aborted ? 0 : Math.max(0, CLAIM_CHUNK - queue.length));
    };
    const nextJob = (): Job | undefined => {
      if (runSignal.aborted) return undefined;
      while (queue.length === 0 && cursor < due.length) commit(cursor === 0 ? this.concurrency : CLAIM_CHUNK);
      return queue.shift();
    };

    const worker = async () => {
      try {
        let inflight = nextJob()?.send();
        while (inflight) {
          // Await into a local first: `settled.push(await …)` would bind the array before the
          // await, and a flush by another worker meanwhile replaces it, losing this outcome.
          const apply = await inflight;
          if (apply === null && runSignal.aborted) return;
          // The next request leaves before this outcome's bookkeeping, so the server is never
          // idle while Keyhold records results.
          inflight = nextJob()?.send();
          if (apply) settled.push(apply);
          if (!runSignal.aborted && (settled.length >= FLUSH_EVERY || Date.now() - lastFlush >= FLUSH_MS)) flush();
        }
      } catch (e) {
        fail(e);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    if (failure) throw (failure as { error: unknown }).error;
    // Outcomes that arrived before a deadline are real answers worth keeping; after a lock there
    // is no key to record them with, and their rows are simply sent again later.
    if (this.cancelled.signal.aborted || !this.vault.unlocked) return results;
    flush();
    this.settleForbidden(results);
    const at = this.now();
    for (const kind of this.provenThisPass) {
      // Only if the pair that was proven is still the one saved (it may have changed mid-pass).
      const used = this.connections.get(kind);
      if (typeof used === 'object') this.vault.remotes.markVerified(kind, at, 'sync', used.setAt);
    }
    return results;
  }

  private settleForbidden(results: ItemResult[]): void {
    const { waiting, otherAnswers } = this.forbidden;
    if (waiting.length === 0) return;
    const connectionWide = otherAnswers === 0 && (waiting.length >= 2 || waiting.some((w) => w.create));
    const done = tx(this.vault.db, () => {
      this.lease.check();
      return waiting.map((w) => w.apply(connectionWide));
    });
    this.forbidden = { waiting: [], otherAnswers: 0 };
    for (const r of done) {
      results.push(r);
      this.options.onItem?.(r);
    }
  }

  // ---- profiles → Kura -------------------------------------------------------------------

  private prepareProfile(row: OutboxRow, immediate: ItemResult[]): Job | null {
    const id = row.item_id;
    const profiles = this.vault.profiles;
    const item = profiles.loadForPush(id);
    if (!item || item.summary.syncState !== 'pending') {
      this.outbox.remove('profile', id);
      return null;
    }
    const meta = Profiles.metaOf(item.summary);
    const ref = `${meta.agentId}/${meta.name}`;
    const conn = this.connectionFor('kura');
    if (typeof conn === 'string') {
      this.outbox.hold('profile', id, conn);
      if (meta.lastError !== conn) profiles.recordSync(item.summary, { ...meta, lastError: conn }, item.remote, 'pending');
      immediate.push({ kind: 'profile', id, ref, outcome: 'blocked', state: 'pending', message: conn });
      return null;
    }
    const token = item.remote?.authToken && !item.remote.missing ? item.remote.authToken : undefined;
    // A create already sent for this row whose answer never came back (lost, or the process died).
    const ownRetry = !token && row.create_sent_at !== null;
    this.outbox.claim('profile', id, item.summary.version, this.now(), !token);
    // When the token was first obtained; an update that hands back the same token keeps it.
    const sent = { agentId: meta.agentId, name: meta.name, token, obtainedAt: item.remote?.obtainedAt ?? null };
    const signal = this.passSignal;
    const http = this.client('kura', conn.url).withSignal(signal);
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
        if (result.ok) this.provenThisPass.add('kura');
        if (isForbidden(result)) {
          this.forbidden.waiting.push({
            create: !token,
            apply: (connectionWide) => this.applyProfile(row, ref, version, sent, ownRetry, connectionWide ? asKeyRefused(result) : result),
          });
          return null;
        }
        if (answered(result)) this.forbidden.otherAnswers += 1;
        return () => this.applyProfile(row, ref, version, sent, ownRetry, result);
      },
    };
  }

  private applyProfile(
    row: OutboxRow,
    ref: string,
    version: number,
    sent: { agentId: string; name: string; token: string | undefined; obtainedAt: string | null },
    ownRetry: boolean,
    result: Awaited<ReturnType<typeof upsertAuthProfile>>,
  ): ItemResult {
    const id = row.item_id;
    const profiles = this.vault.profiles;
    const current = profiles.loadForSync(id);
    if (!current) {
      // Deleted while in flight: a token that came back still goes with the profile to the trash.
      if (result.ok) {
        profiles.keepTrashedToken(id, version, {
          authToken: result.body.auth_token,
          agentId: sent.agentId,
          name: sent.name,
          missing: false,
          obtainedAt: new Date(this.now()).toISOString(),
          syncType: result.body.type,
        });
      }
      this.outbox.remove('profile', id);
      return { kind: 'profile', id, ref, outcome: 'skipped', state: 'pending', message: 'deleted while it was being pushed' };
    }
    const fresh = { ...current, meta: Profiles.metaOf(current.summary) };
    const sameIdentity = fresh.meta.agentId === sent.agentId && fresh.meta.name === sent.name;

    if (result.ok) {
      const syncType: SyncType = result.body.type === 'replace' && ownRetry ? 'create' : result.body.type;
      const state = this.settleQueue('profile', id, version, fresh.summary);
      // Renamed or moved while in flight: the token belongs to the old identity, which the edit
      // already said stays behind on Kura.
      const remote: ProfileRemote | null = sameIdentity
        ? {
            authToken: result.body.auth_token,
            agentId: sent.agentId,
            name: sent.name,
            missing: false,
            obtainedAt: sent.token === result.body.auth_token ? sent.obtainedAt : new Date(this.now()).toISOString(),
            syncType,
          }
        : fresh.remote();
      profiles.recordSync(
        fresh.summary,
        { ...fresh.meta, lastSyncType: sameIdentity ? syncType : fresh.meta.lastSyncType, lastError: null, hasToken: remote?.authToken != null },
        remote,
        state,
      );
      const replacedForeign = syncType === 'replace';
      if (replacedForeign) this.vault.audit.append('sync_result', { item: 'profile', id, result: 'replaced-existing-remote' });
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
    return this.applyFailure('profile', row, ref, result, {
      record: (lastError, state, missing) => {
        const remote = fresh.remote();
        profiles.recordSync(fresh.summary, { ...fresh.meta, lastError }, missing && remote ? { ...remote, missing: true } : remote, state);
      },
    });
  }

  // ---- BYOK → Backside -------------------------------------------------------------------

  private prepareByok(row: OutboxRow, immediate: ItemResult[]): Job | null {
    const id = row.item_id;
    let item: ReturnType<Vault['byok']['load']>;
    try {
      item = this.vault.byok.load(id);
    } catch {
      this.outbox.remove('byok', id);
      return null;
    }
    const ref = item.meta.kind;
    if (item.summary.syncState !== 'pending') {
      this.outbox.remove('byok', id);
      return null;
    }
    if (item.summary.localOnly) {
      // Queued before local-only keys existed: it goes back to resting here, and is not an error.
      this.outbox.remove('byok', id);
      this.vault.byok.recordSync(id, { ...item.meta, lastError: null }, 'draft');
      immediate.push({ kind: 'byok', id, ref, outcome: 'skipped', state: 'draft', message: 'local only: Backside takes Anthropic keys only' });
      return null;
    }
    const conn = this.connectionFor('backside');
    if (typeof conn === 'string') {
      this.outbox.hold('byok', id, conn);
      if (item.meta.lastError !== conn) this.vault.byok.recordSync(id, { ...item.meta, lastError: conn }, 'pending');
      immediate.push({ kind: 'byok', id, ref, outcome: 'blocked', state: 'pending', message: conn });
      return null;
    }
    this.outbox.claim('byok', id, item.summary.version, this.now());
    const signal = this.passSignal;
    const backside = { http: this.client('backside', conn.url).withSignal(signal), token: conn.credential };
    return {
      row,
      ref,
      version: item.summary.version,
      send: async () => {
        const result = await setByokKey(backside, item.meta.kind, item.secrets.apiKey);
        if (signal.aborted) return null;
        if (result.ok) this.provenThisPass.add('backside');
        return () => this.applyByok(row, ref, item.summary.version, result);
      },
    };
  }

  private applyByok(row: OutboxRow, ref: string, version: number, result: Awaited<ReturnType<typeof setByokKey>>): ItemResult {
    const id = row.item_id;
    let fresh: ReturnType<Vault['byok']['load']>;
    try {
      fresh = this.vault.byok.load(id);
    } catch {
      this.outbox.remove('byok', id);
      return { kind: 'byok', id, ref, outcome: 'skipped', state: 'pending', message: 'deleted while it was being pushed' };
    }
    const now = this.now();
    if (result.ok) {
      const state = this.settleQueue('byok', id, version, fresh.summary);
      const syncType: SyncType = fresh.meta.remoteRow ? 'update' : 'create';
      // Backside stores a key only after its probe accepted it, so the push is a passed probe.
      const probedAt = typeof result.body.byok_last_probed_at === 'string' ? Date.parse(result.body.byok_last_probed_at) : NaN;
      const lastProbe = { ok: true, at: Number.isNaN(probedAt) ? now : probedAt, message: null };
      this.vault.byok.recordSync(id, { ...fresh.meta, remoteRow: result.body, lastProbe, lastSyncType: syncType, lastError: null }, state);
      return { kind: 'byok', id, ref, outcome: 'pushed', state, syncType };
    }
    // A 400 or 422 to a well-formed request is the probe refusing the key.
    const refused = result.kind === 'rejected' && (result.status === 400 || result.status === 422);
    const lastProbe = refused ? { ok: false, at: now, message: result.message } : fresh.meta.lastProbe;
    return this.applyFailure('byok', row, ref, result, {
      record: (lastError, state) => this.vault.byok.recordSync(id, { ...fresh.meta, lastProbe, lastError }, state),
    });
  }

  // ---- shared ----------------------------------------------------------------------------

  /** After a successful push: synced if nothing changed meanwhile, else queued again. */
  private settleQueue(kind: ItemKind, id: string, sentVersion: number, current: { version: number; syncState: SyncState }): SyncState {
    if (current.syncState === 'pending' && current.version !== sentVersion) {
      this.outbox.again(kind, id, this.now());
      return 'pending';
    }
    this.outbox.remove(kind, id);
    return current.syncState === 'draft' ? 'draft' : 'synced';
  }

  private applyFailure(
    kind: ItemKind,
    row: OutboxRow,
    ref: string,
    failure: Exclude<RemoteResult<unknown>, { ok: true }>,
    on: { record: (lastError: string, state: SyncState, missing?: boolean) => void },
  ): ItemResult {
    const id = row.item_id;
    const base = { kind, id, ref, message: failure.message };
    switch (failure.kind) {
      case 'transient': {
        const delay = nextRetryDelay({ attempt: row.attempts, retryAfterMs: failure.retryAfterMs, random: this.random, policy: this.backoff });
        this.outbox.retryLater(kind, id, this.now() + delay, failure.message);
        on.record(failure.message, 'pending');
        return { ...base, outcome: 'retry', state: 'pending' };
      }
      case 'credentials': {
        const remote = REMOTE_OF[kind];
        const reason = `credentials rejected (HTTP ${failure.status})`;
        this.vault.remotes.pause(remote, reason);
        this.vault.audit.append('sync_result', { remote, result: 'credentials-rejected', status: failure.status });
        this.outbox.hold(kind, id, failure.message);
        on.record(failure.message, 'pending');
        return { ...base, outcome: 'blocked', state: 'pending' };
      }
      case 'notFound': {
        this.outbox.remove(kind, id);
        on.record(`Remote profile missing: ${failure.message}`, 'failed', true);
        this.vault.audit.append('sync_result', { item: kind, id, result: 'remote-missing' });
        return { ...base, message: `Remote profile missing: ${failure.message}`, outcome: 'failed', state: 'failed' };
      }
      case 'badResponse': {
        // An answer Keyhold cannot use may be a passing fault (a proxy, a deploy): retry later.
        const delay = nextRetryDelay({ attempt: row.attempts, random: this.random, policy: this.backoff });
        this.outbox.retryLater(kind, id, this.now() + delay, failure.message);
        on.record(failure.message, 'pending');
        return { ...base, outcome: 'retry', state: 'pending' };
      }
      case 'rejected': {
        this.outbox.remove(kind, id);
        // A 403 here is Kura refusing the token for this profile's agent (KURA_FORBIDDEN_RULE): like
        // a missing remote profile, the way out is a new one, so re-creating is offered.
        on.record(failure.message, 'failed', kind === 'profile' && failure.status === 403);
        this.vault.audit.append('sync_result', { item: kind, id, result: failure.kind, status: failure.status });
        return { ...base, outcome: 'failed', state: 'failed' };
      }
    }
  }

  /**
   * Pushes until nothing is due and nothing is waiting on a retry, or the time runs out. Items
   * blocked on a missing or paused connection do not keep it waiting. `timeoutMs` bounds the whole
   * run: waiting for the lease, every request (a server that drips its answer is cut off) and
   * every retry wait. The run holds the sync lease throughout; when another process holds it, the
   * run waits for it within the same time, then throws SyncBusy naming the holder.
   */
  async syncAll(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SyncSummary> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = this.now() + timeoutMs;
    const expired = new AbortController();
    // setTimeout fires at once for anything above 2^31-1 ms (24.8 days): cap it rather than abort.
    const timer = setTimeout(() => expired.abort(), Math.min(timeoutMs, 2 ** 31 - 1));
    const signal = AbortSignal.any([expired.signal, this.cancelled.signal, ...(options.signal ? [options.signal] : [])]);
    const all: ItemResult[] = [];
    let timedOut = false;
    try {
      this.vault.cells();
      await this.lease.acquire({ deadline: Date.now() + timeoutMs, signal });
      try {
        for (;;) {
          if (signal.aborted) break;
          all.push(...(await this.pass(signal)));
          if (signal.aborted) break;
          const waiting = this.outbox.all().filter((r) => r.inflight_version === null && typeof this.blockedReason(REMOTE_OF[r.item_kind]) !== 'string');
          if (waiting.length === 0) break;
          const nextAt = Math.min(...waiting.map((r) => r.next_attempt_at));
          if (nextAt > deadline || this.now() >= deadline) {
            timedOut = true;
            break;
          }
          const wait = nextAt - this.now();
          if (wait > 0) await this.sleep(wait, signal);
        }
      } finally {
        this.releaseLease();
      }
    } finally {
      clearTimeout(timer);
    }
    if (expired.signal.aborted) timedOut = true;
    return this.summarize(all, timedOut);
  }

  private summarize(all: ItemResult[], timedOut: boolean): SyncSummary {
    const last = new Map<string, ItemResult>();
    for (const r of all) last.set(`${r.kind}:${r.id}`, r);
    const finals = [...last.values()];
    const pending = this.outbox.all().map((row) => ({
      kind: row.item_kind,
      id: row.item_id,
      ref: this.refOf(row.item_kind, row.item_id),
      reason: this.outbox.lastError(row),
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

  /**
   * Asks Backside's validate-key whether it would take `apiKey`, storing nothing anywhere. For a key
   * not saved yet ("Check key", `byok set --validate`).
   */
  async checkKey(apiKey: string, provider: ByokSummary['provider'] = 'anthropic'): Promise<KeyVerdict> {
    if (isLocalOnlyProvider(provider)) {
      throw new KeyholdError('BadInput', `Backside checks Anthropic keys only; a ${provider} key stays on this machine and is never sent to it.`, {
        field: 'provider',
      });
    }
    const conn = this.blockedReason('backside');
    if (typeof conn === 'string') throw new KeyholdError('RemoteMissing', conn);
    const result = await checkKey({ http: this.client('backside', conn.url), token: conn.credential }, apiKey);
    if (!result.ok) {
      if (result.kind === 'credentials') this.vault.remotes.pause('backside', `credentials rejected (HTTP ${result.status})`);
      throw failureToError(result);
    }
    return result.body;
  }

  /** Refuses a key Backside's probe turns down, with its reason; a rotation asks before the key is stored. */
  async checkNewKey(apiKey: string, provider: ByokSummary['provider'] = 'anthropic'): Promise<void> {
    const verdict = await this.checkKey(apiKey, provider);
    if (!verdict.accepted) throw new KeyholdError('RemoteRejected', verdict.message);
  }

  /** Probes the stored BYOK key of a kind with Backside, and keeps the verdict as its last probe. */
  async validate(kindName: string): Promise<KeyVerdict> {
    const detail = this.vault.byok.get(kindName, { reveal: false });
    const verdict = await this.checkKey(this.vault.byok.load(detail.id).secrets.apiKey, detail.provider);
    this.vault.byok.recordProbe(detail.id, { ok: verdict.accepted, at: this.now(), message: verdict.accepted ? null : verdict.message });
    return verdict;
  }
}
