import { isLocalOnlyProvider, REMOTE_LABEL, type ByokSummary, type RemoteKind } from '../../shared/domain';
import { tx } from '../vault/db';
import type { ItemResult, SyncProgress, SyncSummary } from '../../shared/sync';
import { KeyholdError } from '../../shared/errors';
import type { Vault } from '../vault/vault';
import { checkKey, type KeyVerdict } from './backside-client';
import { prepareByok } from './backside-push';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { HttpClient, parseBaseUrl, type HttpOptions } from './http';
import { prepareProfile, settleForbidden } from './kura-push';
import { busyError, SyncLease, type SyncLeaseOptions } from './lease';
import { Outbox } from './outbox';
import { summarizeRun } from './outcomes';
import { REMOTE_OF, type Job, type PassContext, type UsableConnection } from './pass-context';
import { failureToError } from './remote-errors';

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

// Outcomes are committed in batches: one fsync per batch instead of one per item. A kill -9 before
// a batch commits leaves its rows claimed; the next holder of the sync lease makes them due again,
// and a resent create is recognised as our own retry (the row's create_sent_at), so nothing is
// lost or reported wrongly. Each commit holds the one thread for a few ms (its fsync and page
// writes), so answers that arrive meanwhile wait: every 250 ms (four progress updates a second)
// rather than every 100 ms took ~150 ms off 1,000 pushes with 50 ms of server latency. On a fast
// link the count decides: batches of 512 rather than 128 (a fifth of the fsyncs, each page written
// fewer times) made 1,000 loopback pushes 3–5% faster, paired in one process.
const FLUSH_EVERY = 512;
const FLUSH_MS = 250;
const CLAIM_CHUNK = 512;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

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
    const client = new HttpClient(url, { service: REMOTE_LABEL[kind], ...this.options.http });
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

  /** Connections are read once per pass: decrypting them per item would cost more than the push. */
  private connections = new Map<RemoteKind, UsableConnection | string>();

  private connectionFor(kind: RemoteKind): UsableConnection | string {
    let conn = this.connections.get(kind);
    if (conn === undefined) this.connections.set(kind, (conn = this.blockedReason(kind)));
    return conn;
  }

  private blockedReason(kind: RemoteKind): UsableConnection | string {
    const conn = this.vault.remotes.connection(kind);
    const label = REMOTE_LABEL[kind];
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

    // A failure in one worker (the lease lost, the database busy) stops the others' requests too.
    const stop = new AbortController();
    const runSignal = AbortSignal.any([signal, stop.signal]);
    const ctx: PassContext = {
      vault: this.vault,
      outbox: this.outbox,
      now: this.now,
      random: this.random,
      backoff: this.backoff,
      signal: runSignal,
      connection: (kind) => this.connectionFor(kind),
      client: (kind, url) => this.client(kind, url),
      proven: new Set(),
      forbidden: { waiting: [], otherAnswers: 0 },
    };
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
          const row = this.outbox.claimable(candidate.item_kind, candidate.item_id, now);
          if (!row) continue;
          const job = row.item_kind === 'profile' ? prepareProfile(ctx, row, immediate) : prepareByok(ctx, row, immediate);
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
    // A due flush waits for the end of the event loop's I/O phase: answers tend to arrive together
    // (the workers move in step), and each of them sends its next request first, so the commit
    // runs while they are all on the wire instead of holding every one of them back.
    let pending: NodeJS.Immediate | null = null;
    const flushSoon = () => {
      pending ??= setImmediate(() => {
        pending = null;
        try {
          if (!runSignal.aborted) flush();
        } catch (e) {
          fail(e);
        }
      });
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
          if (!runSignal.aborted && (settled.length >= FLUSH_EVERY || Date.now() - lastFlush >= FLUSH_MS)) flushSoon();
        }
      } catch (e) {
        fail(e);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    if (pending) clearImmediate(pending);
    if (failure) throw (failure as { error: unknown }).error;
    // Outcomes that arrived before a deadline are real answers worth keeping; after a lock there
    // is no key to record them with, and their rows are simply sent again later.
    if (this.cancelled.signal.aborted || !this.vault.unlocked) return results;
    flush();
    const forbidden = settleForbidden(ctx, (apply) =>
      tx(this.vault.db, () => {
        this.lease.check();
        return apply();
      }),
    );
    for (const r of forbidden) {
      results.push(r);
      this.options.onItem?.(r);
    }
    const at = this.now();
    for (const kind of ctx.proven) {
      // Only if the pair that was proven is still the one saved (it may have changed mid-pass).
      const used = this.connections.get(kind);
      if (typeof used === 'object') this.vault.remotes.markVerified(kind, at, 'sync', used.setAt);
    }
    return results;
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
    return summarizeRun(this.vault, this.outbox, all, timedOut);
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
    if (typeof conn === 'string') throw new KeyholdError('RemoteMissing', conn, { field: 'backsideConnection' });
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
