import type { RemoteKind, SyncState, SyncType } from '../../shared/domain';
import { tx } from '../vault/db';
import type { ItemResult, SyncProgress, SyncSummary } from '../../shared/sync';
import { KeyholdError } from '../../shared/errors';
import type { ItemKind } from '../vault/items';
import { Profiles, type ProfileRemote } from '../vault/profiles';
import type { Vault } from '../vault/vault';
import { setByokKey, validateKey, type ValidateKeyResponse } from './backside-client';
import { DEFAULT_BACKOFF, nextRetryDelay, type BackoffPolicy } from './backoff';
import { HttpClient, parseBaseUrl, type HttpOptions } from './http';
import { upsertAuthProfile } from './kura-client';
import { Outbox, type OutboxRow } from './outbox';
import { failureToError, type RemoteResult } from './remote-errors';

export interface SyncEngineOptions {
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  backoff?: BackoffPolicy;
  /** Requests in flight at once, across both services. */
  concurrency?: number;
  http?: HttpOptions;
  onItem?: (result: ItemResult) => void;
  onProgress?: (progress: SyncProgress) => void;
}

const SERVICE: Record<RemoteKind, string> = { kura: 'Kura', backside: 'Backside' };
const REMOTE_OF: Record<ItemKind, RemoteKind> = { profile: 'kura', byok: 'backside' };

// Outcomes are committed in batches: one fsync per batch instead of one per item. A kill -9 before
// a batch commits leaves its rows claimed; recover() makes them due again, and a resent create is
// recognised as our own retry (the row's create_sent_at), so nothing is lost or reported wrongly.
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

interface Job {
  row: OutboxRow;
  ref: string;
  version: number;
  send: () => Promise<() => ItemResult>;
}

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
  private recovered = false;
  private running: Promise<ItemResult[]> | null = null;

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

  /** One pass over the due rows. Concurrent calls share the pass in progress. */
  pass(): Promise<ItemResult[]> {
    if (!this.running) {
      this.running = this.runPass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
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
  private connections = new Map<RemoteKind, { url: string; credential: string } | string>();

  private connectionFor(kind: RemoteKind): { url: string; credential: string } | string {
    let conn = this.connections.get(kind);
    if (conn === undefined) this.connections.set(kind, (conn = this.blockedReason(kind)));
    return conn;
  }

  private blockedReason(kind: RemoteKind): { url: string; credential: string } | string {
    const conn = this.vault.remotes.connection(kind);
    const label = SERVICE[kind];
    if (!conn) return `No ${label} connection yet: set one with "keyhold remote set ${kind}".`;
    if (!conn.credential) return `The ${label} connection has no ${kind === 'kura' ? 'API key' : 'token'} yet.`;
    if (conn.paused) return `The ${label} connection is paused: its credentials were rejected. Update them to resume.`;
    try {
      parseBaseUrl(conn.url);
    } catch (e) {
      return e instanceof KeyholdError ? e.message : `The ${label} address is not usable.`;
    }
    return { url: conn.url, credential: conn.credential };
  }

  private async runPass(): Promise<ItemResult[]> {
    const db = this.vault.db;
    this.vault.cells();
    if (!this.recovered) {
      this.outbox.recover(this.now());
      this.recovered = true;
    }
    const due = this.outbox.due(this.now());
    if (due.length === 0) return [];
    this.connections.clear();

    // Rows are claimed in chunks as workers need them: a first small one so requests leave at
    // once, then larger ones, so preparing (decrypting, claiming) overlaps with the network.
    // Claiming the next chunk and recording the outcomes that have arrived share one transaction
    // (one commit, and each page the two touch written once).
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
        const out = batch.map((apply) => apply());
        for (const row of rows) {
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
      if (settled.length > 0) commit(Math.max(0, CLAIM_CHUNK - queue.length));
    };
    const nextJob = (): Job | undefined => {
      while (queue.length === 0 && cursor < due.length) commit(cursor === 0 ? this.concurrency : CLAIM_CHUNK);
      return queue.shift();
    };

    const worker = async () => {
      let inflight = nextJob()?.send();
      while (inflight) {
        // Await into a local first: `settled.push(await …)` would bind the array before the
        // await, and a flush by another worker meanwhile replaces it, losing this outcome.
        const apply = await inflight;
        // The next request leaves before this outcome's bookkeeping, so the server is never idle
        // while Keyhold records results.
        inflight = nextJob()?.send();
        settled.push(apply);
        if (settled.length >= FLUSH_EVERY || Date.now() - lastFlush >= FLUSH_MS) flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    flush();
    return results;
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
    const sent = { agentId: meta.agentId, name: meta.name };
    const http = this.client('kura', conn.url);
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
        return () => this.applyProfile(row, ref, version, sent, ownRetry, result);
      },
    };
  }

  private applyProfile(
    row: OutboxRow,
    ref: string,
    version: number,
    sent: { agentId: string; name: string },
    ownRetry: boolean,
    result: Awaited<ReturnType<typeof upsertAuthProfile>>,
  ): ItemResult {
    const id = row.item_id;
    const profiles = this.vault.profiles;
    const current = profiles.loadForSync(id);
    if (!current) {
      // Deleted while in flight: nothing left to record.
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
        ? { authToken: result.body.auth_token, agentId: sent.agentId, name: sent.name, missing: false }
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
          ? { replacedForeign, message: `Kura already had a profile "${sent.name}" for agent "${sent.agentId}"; it was replaced and its old token no longer works.` }
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
    const conn = this.connectionFor('backside');
    if (typeof conn === 'string') {
      this.outbox.hold('byok', id, conn);
      if (item.meta.lastError !== conn) this.vault.byok.recordSync(id, { ...item.meta, lastError: conn }, 'pending');
      immediate.push({ kind: 'byok', id, ref, outcome: 'blocked', state: 'pending', message: conn });
      return null;
    }
    this.outbox.claim('byok', id, item.summary.version, this.now());
    const backside = { http: this.client('backside', conn.url), token: conn.credential };
    return {
      row,
      ref,
      version: item.summary.version,
      send: async () => {
        const result = await setByokKey(backside, item.meta.kind, item.secrets.apiKey);
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
    if (result.ok) {
      const state = this.settleQueue('byok', id, version, fresh.summary);
      const syncType: SyncType = fresh.meta.remoteRow ? 'update' : 'create';
      this.vault.byok.recordSync(id, { ...fresh.meta, remoteRow: result.body, lastSyncType: syncType, lastError: null }, state);
      return { kind: 'byok', id, ref, outcome: 'pushed', state, syncType };
    }
    return this.applyFailure('byok', row, ref, result, {
      record: (lastError, state) => this.vault.byok.recordSync(id, { ...fresh.meta, lastError }, state),
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
      case 'rejected':
      case 'badResponse': {
        this.outbox.remove(kind, id);
        on.record(failure.message, 'failed');
        this.vault.audit.append('sync_result', { item: kind, id, result: failure.kind, status: failure.status });
        return { ...base, outcome: 'failed', state: 'failed' };
      }
    }
  }

  /**
   * Pushes until nothing is due and nothing is waiting on a retry, or the time runs out. Items
   * blocked on a missing or paused connection do not keep it waiting.
   */
  async syncAll(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<SyncSummary> {
    const deadline = this.now() + (options.timeoutMs ?? 60_000);
    const all: ItemResult[] = [];
    let timedOut = false;
    for (;;) {
      if (options.signal?.aborted) break;
      all.push(...(await this.pass()));
      const waiting = this.outbox
        .all()
        .filter((r) => r.inflight_version === null && typeof this.blockedReason(REMOTE_OF[r.item_kind]) !== 'string');
      if (waiting.length === 0) break;
      const nextAt = Math.min(...waiting.map((r) => r.next_attempt_at));
      if (nextAt > deadline || this.now() >= deadline) {
        timedOut = true;
        break;
      }
      const wait = nextAt - this.now();
      if (wait > 0) await this.sleep(wait, options.signal);
    }
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

  /** Probes a BYOK key with Backside without storing it. */
  async validate(kindName: string): Promise<ValidateKeyResponse> {
    const detail = this.vault.byok.get(kindName, { reveal: false });
    return this.probeKey(this.vault.byok.load(detail.id).secrets.apiKey);
  }

  /** Refuses a key Backside's probe calls invalid, with its reason; for a rotation, before the key is stored. */
  async checkNewKey(apiKey: string): Promise<void> {
    const answer = await this.probeKey(apiKey);
    if (answer.valid === false) {
      throw new KeyholdError('RemoteRejected', typeof answer.reason === 'string' ? answer.reason : 'Backside reports that this key is not valid.');
    }
  }

  /** Probes a key that is not stored yet (a rotation checks the new key before it replaces the old). */
  async probeKey(apiKey: string): Promise<ValidateKeyResponse> {
    const conn = this.blockedReason('backside');
    if (typeof conn === 'string') throw new KeyholdError('RemoteMissing', conn);
    const result = await validateKey({ http: this.client('backside', conn.url), token: conn.credential }, apiKey);
    if (!result.ok) {
      if (result.kind === 'credentials') this.vault.remotes.pause('backside', `credentials rejected (HTTP ${result.status})`);
      throw failureToError(result);
    }
    return result.body;
  }
}
