import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { jsonTooDeep, MAX_CONFIG_DEPTH } from '../devflow/nesting';
import { parseBaseUrl, type BaseUrl } from './base-url';
import { parseRetryAfter } from './backoff';
import { capitalize, classifyError, extractServerMessage, sanitizeServerText, type RemoteResult } from './remote-errors';

// The rule for a connection's address lives in ./base-url (no undici there, so the vault can check
// an address without loading the HTTP client); re-exported for the engine and tests.
export { isLoopbackHost, parseBaseUrl, type BaseUrl } from './base-url';

export interface HttpOptions {
  /** The service's name as people know it, used in messages ("Kura", "Backside"). */
  service?: string;
  connectTimeoutMs?: number;
  /** From sending the request to the end of the response headers. */
  headersTimeoutMs?: number;
  /** The longest pause between two chunks of the response body. */
  bodyTimeoutMs?: number;
  /**
   * The longest a whole request may take, answer included: the two above reset with every byte,
   * so a server that drips its answer would otherwise hold a request (and a sync) forever.
   */
  requestTimeoutMs?: number;
  /** Sockets per connection; requests beyond this wait their turn. */
  connections?: number;
  keepAliveTimeoutMs?: number;
  /** A 2xx body larger than this is a bad response, not something to buffer. */
  maxResponseBytes?: number;
  /** Clock for Retry-After dates. */
  now?: () => number;
}

export const HTTP_DEFAULTS = {
  service: 'the server',
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  connections: 8,
  keepAliveTimeoutMs: 10_000,
  maxResponseBytes: 1024 * 1024,
  now: Date.now,
} as const satisfies Required<HttpOptions>;

// Only the message is kept from an error body, so there is no reason to read much of it.
const ERROR_BODY_BYTES = 64 * 1024;

export interface HttpRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Appended to the base path; starts with "/" and is already percent-encoded. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Every 2xx body must parse with this, or the result is a badResponse. */
  schema: S;
  /** Values to redact from anything the server says back (keys, tokens, values sent). */
  secrets?: readonly string[];
  signal?: AbortSignal;
}

type IncomingHttpHeaders = Dispatcher.ResponseData['headers'];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body went past its limit; the request was cut off there. */
  truncated: boolean;
}

const CUT_OFF = new Error('The answer was longer than Keyhold reads.');

/**
 * One request's life as undici's dispatcher sees it, read straight into a capped buffer: no
 * response stream and no AbortSignal per request (each costs more than Keyhold's own work on a
 * fast sync). A 2xx body may be `okLimit` bytes, any other `ERROR_BODY_BYTES`; past that the
 * request is cut off, as a destroyed body would be.
 */
class CappedAnswer implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  /** A stop asked for before undici handed over the request's controller. */
  private stopBeforeStart: { reason: unknown } | null = null;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private limit = 0;
  private settled = false;
  private timer: NodeJS.Timeout | null = null;
  private set: Set<CappedAnswer> | undefined = undefined;
  private signal: AbortSignal | undefined = undefined;

  constructor(
    private readonly okLimit: number,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /**
   * Makes the request stoppable until it settles: by its view (which keeps `set`), by `signal`
   * (this object is the listener, so no closure is made per request), and by the whole-request
   * limit, since undici's own timeouts restart with every byte.
   */
  watch(set: Set<CappedAnswer> | undefined, signal: AbortSignal | undefined, timeoutMs: number): void {
    this.set = set;
    set?.add(this);
    this.signal = signal;
    signal?.addEventListener('abort', this, { once: true });
    this.timer = setTimeout(CappedAnswer.expire, timeoutMs, this, timeoutMs);
    this.timer.unref();
  }

  private static expire(this: void, answer: CappedAnswer, timeoutMs: number): void {
    answer.abort(new DOMException(`The request took longer than ${timeoutMs} ms.`, 'TimeoutError'));
  }

  handleEvent(): void {
    this.abort(this.signal?.reason);
  }

  /** Stops the request wherever it is (waiting for a socket, sending, or reading) and rejects with `reason`. */
  abort(reason: unknown): void {
    if (this.settled) return;
    this.fail(reason);
    if (this.controller) this.controller.abort(reason as Error);
    else this.stopBeforeStart = { reason };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.stopBeforeStart) controller.abort(this.stopBeforeStart.reason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    this.chunks = [];
    this.size = 0;
    this.limit = status >= 200 && status < 300 ? this.okLimit : ERROR_BODY_BYTES;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size <= this.limit) {
      this.chunks.push(chunk);
      return;
    }
    this.chunks.push(chunk.subarray(0, chunk.length - (this.size - this.limit)));
    this.finish(true);
    controller.abort(CUT_OFF);
  }

  onResponseEnd(): void {
    this.finish(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private finish(truncated: boolean): void {
    if (this.settled) return;
    this.settle();
    const text = this.chunks.length === 1 ? (this.chunks[0] as Buffer).toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, text, truncated });
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.set?.delete(this);
    this.signal?.removeEventListener('abort', this);
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * One remote connection: a keep-alive socket pool for one base URL with explicit timeouts and a
 * concurrency limit. `request` never throws for anything the network or the server does; it
 * returns a classified result.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly service: string;
  private readonly base: BaseUrl;
  private readonly pool: Pool;
  private readonly maxResponseBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;
  /** Set on the views `withSignal` returns: aborts every request made through them. */
  private readonly signal: AbortSignal | undefined;
  /** A view's requests under way, which its signal aborts (one listener per view, not per request). */
  private readonly inflight: Set<CappedAnswer> | undefined;

  constructor(baseUrl: string, options: HttpOptions = {}) {
    // Field by field, so an option passed as undefined still gets its default.
    const o = Object.fromEntries(Object.entries(HTTP_DEFAULTS).map(([k, v]) => [k, options[k as keyof HttpOptions] ?? v])) as Required<HttpOptions>;
    this.base = parseBaseUrl(baseUrl);
    this.baseUrl = this.base.href;
    this.service = o.service;
    this.maxResponseBytes = o.maxResponseBytes;
    this.requestTimeoutMs = o.requestTimeoutMs;
    this.now = o.now;
    this.pool = new Pool(this.base.origin, {
      connections: o.connections,
      connect: { timeout: o.connectTimeoutMs },
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: o.bodyTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
    });
  }

  /**
   * The same connection, with every request also cancelled by `signal` (a sync run's deadline, a
   * lock): the pool is shared, so closing the view closes the connection.
   */
  withSignal(signal: AbortSignal): HttpClient {
    // The connection's own views are kept, one per signal: a sync pass asks for one per item.
    // (A view of a view combines two signals, and is made anew.)
    const cached = this.signal === undefined ? this.views.get(signal) : undefined;
    if (cached) return cached;
    const combined = this.signal ? AbortSignal.any([this.signal, signal]) : signal;
    const inflight = new Set<CappedAnswer>();
    const view = Object.create(this) as HttpClient;
    Object.defineProperty(view, 'signal', { value: combined });
    Object.defineProperty(view, 'inflight', { value: inflight });
    if (!combined.aborted) combined.addEventListener('abort', () => inflight.forEach((answer) => answer.abort(combined.reason)), { once: true });
    if (this.signal === undefined) this.views.set(signal, view);
    return view;
  }
  private readonly views = new WeakMap<AbortSignal, HttpClient>();

  /** Sends one request and reads its answer, capped; rejects with undici's error, or the reason it was stopped. */
  private send(options: Dispatcher.DispatchOptions, own: AbortSignal | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const handler = new CappedAnswer(this.maxResponseBytes, resolve, reject);
      const stopped = this.signal?.aborted ? this.signal : own?.aborted ? own : undefined;
      if (stopped) return handler.abort(stopped.reason);
      handler.watch(this.inflight, own, this.requestTimeoutMs);
      try {
        this.pool.dispatch(options, handler);
      } catch (e) {
        handler.abort(e);
      }
    });
  }

  async request<S extends z.ZodType>(req: HttpRequest<S>): Promise<RemoteResult<z.output<S>>> {
    const service = this.service;
    const Service = capitalize(service);
    const secrets = req.secrets ?? [];
    const own = req.signal;

    const sent = this.send(
      {
        method: req.method,
        path: this.base.basePath + req.path,
        headers: {
          accept: 'application/json',
          'user-agent': 'Keyhold',
          ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...req.headers,
        },
        body: req.json === undefined ? null : JSON.stringify(req.json),
      },
      own,
    );
    let read: Answer;
    try {
      read = await sent;
    } catch (e) {
      // Cancelled by the caller wins over whatever stopped the request; the whole-request limit
      // rejects with its TimeoutError.
      return classifyError(e, service, this.signal?.aborted === true || own?.aborted === true);
    }
    const status = read.status;
    const serverText = (): { said: string; serverMessage?: string } => {
      const text = sanitizeServerText(extractServerMessage(read.text), secrets);
      return text ? { said: `: ${text}`, serverMessage: text } : { said: '.' };
    };

    if (status >= 200 && status < 300) {
      if (read.truncated) {
        return { ok: false, kind: 'badResponse', status, message: `${Service} sent an answer larger than Keyhold accepts.` };
      }
      // JSON.parse takes any depth, but the schema's checks and the redaction of what is kept
      // (redactDeep) recurse per level: 3,000 levels in a 6 KB answer overflowed the stack, and the
      // RangeError ended the whole sync pass.
      if (jsonTooDeep(read.text)) {
        return { ok: false, kind: 'badResponse', status, message: `${Service} sent an answer nested more than ${MAX_CONFIG_DEPTH} levels deep.` };
      }
      let json: unknown;
      try {
        json = JSON.parse(read.text);
      } catch {
        return { ok: false, kind: 'badResponse', status, message: `${Service} sent an answer that is not JSON.` };
      }
      const parsed = req.schema.safeParse(json);
      if (!parsed.success) {
        const why = sanitizeServerText(firstIssue(parsed.error), secrets);
        return { ok: false, kind: 'badResponse', status, message: `${Service} sent an answer Keyhold does not understand (${why}).` };
      }
      return { ok: true, body: parsed.data };
    }
    if (status === 401 || status === 403) {
      const { said, ...rest } = serverText();
      return { ok: false, kind: 'credentials', status, message: `${Service} refused the credentials (HTTP ${status})${said}`, ...rest };
    }
    if (status === 404) {
      const { said, ...rest } = serverText();
      return { ok: false, kind: 'notFound', status, message: `${Service} answered Not Found (HTTP 404)${said}`, ...rest };
    }
    if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
      const retryAfterMs = parseRetryAfter(read.headers['retry-after'], this.now());
      const what = status === 429 ? 'is limiting requests' : status === 408 ? 'timed out reading the request' : 'had a server error';
      return {
        ok: false,
        kind: 'transient',
        reason: 'status',
        status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        message: `${Service} ${what} (HTTP ${status}).`,
      };
    }
    if (status >= 400 && status < 500) {
      const { said, ...rest } = serverText();
      return { ok: false, kind: 'rejected', status, message: `${Service} rejected the request (HTTP ${status})${said}`, ...rest };
    }
    // Redirects are not followed: a credential-bearing request must go only where it was configured.
    return {
      ok: false,
      kind: 'badResponse',
      status,
      message: `${Service} answered with an unexpected HTTP ${status}; check the server address.`,
    };
  }

  /** Releases the sockets; waits for requests already under way. */
  async close(): Promise<void> {
    if (!this.pool.closed && !this.pool.destroyed) await this.pool.close();
  }
}
