import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
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

interface ReadBody {
  text: string;
  truncated: boolean;
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      chunks.push(chunk.subarray(0, chunk.length - (size - limit)));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
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
    const view = Object.create(this) as HttpClient;
    Object.defineProperty(view, 'signal', { value: this.signal ? AbortSignal.any([this.signal, signal]) : signal });
    if (this.signal === undefined) this.views.set(signal, view);
    return view;
  }
  private readonly views = new WeakMap<AbortSignal, HttpClient>();

  async request<S extends z.ZodType>(req: HttpRequest<S>): Promise<RemoteResult<z.output<S>>> {
    const service = this.service;
    const Service = capitalize(service);
    const secrets = req.secrets ?? [];
    const callers = [req.signal, this.signal].filter((s): s is AbortSignal => s !== undefined);
    const aborted = (): boolean => callers.some((s) => s.aborted);
    // One controller per request, fed by the callers' signals and a timer, all removed when the
    // request ends: AbortSignal.any and AbortSignal.timeout cost ~40 µs a request on Node 20
    // (weak references and a finalizer each), a quarter of Keyhold's own time in a fast sync.
    const controller = new AbortController();
    const unlisten = callers.map((caller) => {
      const forward = () => controller.abort(caller.reason);
      if (caller.aborted) forward();
      else caller.addEventListener('abort', forward, { once: true });
      return () => caller.removeEventListener('abort', forward);
    });
    let timedOut: unknown = null;
    const timer = setTimeout(() => {
      timedOut = new DOMException(`The request took longer than ${this.requestTimeoutMs} ms.`, 'TimeoutError');
      controller.abort(timedOut);
    }, this.requestTimeoutMs);
    timer.unref();
    const signal = controller.signal;

    let res: Dispatcher.ResponseData;
    let read: ReadBody;
    try {
      res = await this.pool.request({
        method: req.method,
        path: this.base.basePath + req.path,
        headers: {
          accept: 'application/json',
          'user-agent': 'Keyhold',
          ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...req.headers,
        },
        body: req.json === undefined ? null : JSON.stringify(req.json),
        signal,
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      read = await readCapped(res.body, ok ? this.maxResponseBytes : ERROR_BODY_BYTES);
    } catch (e) {
      // Cancelled by the caller wins; otherwise the whole-request limit speaks as a timeout,
      // whatever undici called the error it ended the body with.
      if (!aborted() && timedOut !== null) return classifyError(timedOut, service, false);
      return classifyError(e, service, aborted());
    } finally {
      clearTimeout(timer);
      for (const remove of unlisten) remove();
    }

    const status = res.statusCode;
    const serverText = (): { said: string; serverMessage?: string } => {
      const text = sanitizeServerText(extractServerMessage(read.text), secrets);
      return text ? { said: `: ${text}`, serverMessage: text } : { said: '.' };
    };

    if (status >= 200 && status < 300) {
      if (read.truncated) {
        return { ok: false, kind: 'badResponse', status, message: `${Service} sent an answer larger than Keyhold accepts.` };
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
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], this.now());
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
