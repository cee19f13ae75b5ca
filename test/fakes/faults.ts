import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Faults a fake server can inject, and the loopback HTTP server both fakes share.
 *
 * Whether a fault lets the request change server state matters for sync tests, so each says so:
 * - status:    answers `status` (with an optional Retry-After and body) without processing.
 * - resetBefore: destroys the connection without processing or answering.
 * - resetAfter:  processes the request (state changes), then destroys the connection without
 *                answering: the "lost answer" case.
 * - slow:      processes the request, then waits `delayMs` before sending headers.
 * - slowBody:  processes the request, sends headers and half the body, waits `delayMs`, then the rest.
 * - malformed: answers 200 with `body` (default: not JSON) without processing.
 * - drip:      processes the request, sends headers, then the body one byte every `intervalMs`
 *              (padded with trailing spaces to at least `minBytes`): every gap is shorter than
 *              any between-chunk timeout, so only a deadline on the whole request stops it.
 */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: number | string; body?: string }
  | { kind: 'resetBefore' }
  | { kind: 'resetAfter' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'slowBody'; delayMs: number }
  | { kind: 'malformed'; body?: string }
  | { kind: 'drip'; intervalMs: number; minBytes?: number };

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
}

export interface LoggedRequest extends FakeRequest {
  /** The fault applied to this request, if any. */
  fault?: Fault['kind'];
}

interface Entry {
  fault: Fault;
  remaining: number;
  match?: (req: FakeRequest) => boolean;
}

export class Faults {
  /** Added before every request is handled, faulty or not (for benchmarks and ordering tests). */
  latencyMs = 0;
  private entries: Entry[] = [];

  /** Applies `fault` to the next `times` requests. */
  next(fault: Fault, times = 1): this {
    this.entries.push({ fault, remaining: times });
    return this;
  }

  /** Applies `fault` to the next `times` requests that `match`. */
  when(match: (req: FakeRequest) => boolean, fault: Fault, times = 1): this {
    this.entries.push({ fault, remaining: times, match });
    return this;
  }

  clear(): void {
    this.entries = [];
    this.latencyMs = 0;
  }

  /** How many injections are still queued. */
  get pending(): number {
    return this.entries.reduce((n, e) => n + e.remaining, 0);
  }

  take(req: FakeRequest): Fault | undefined {
    const entry = this.entries.find((e) => e.match === undefined || e.match(req));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(this.entries.indexOf(entry), 1);
    return entry.fault;
  }
}

export interface FakeReply {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply;

export interface FakeServer {
  /** http://127.0.0.1:PORT, stable across stop()/start(). */
  readonly url: string;
  readonly port: number;
  readonly faults: Faults;
  readonly requests: LoggedRequest[];
  /** The most requests this server had in flight at once. */
  readonly maxInFlight: number;
  /** Stops listening and drops every open connection, keeping the port for start(). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MALFORMED = '{"this is": not json';

const sleep = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A node:http server on 127.0.0.1 and an ephemeral port that runs `handler` behind the faults. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const faults = new Faults();
  const requests: LoggedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  let port = 0;
  let server: Server | null = null;

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = parseBody(await readBody(req));
    const fakeReq: FakeRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
    const fault = faults.take(fakeReq);
    requests.push(fault ? { ...fakeReq, fault: fault.kind } : fakeReq);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs, timers);

    switch (fault?.kind) {
      case 'status': {
        const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
        send(res, fault.status, fault.body ?? JSON.stringify({ detail: 'Injected fault' }), headers);
        return;
      }
      case 'resetBefore':
        req.socket.destroy();
        return;
      case 'malformed':
        send(res, 200, fault.body ?? DEFAULT_MALFORMED);
        return;
      default:
        break;
    }

    const reply = handler(fakeReq);
    const text = JSON.stringify(reply.json);
    switch (fault?.kind) {
      case 'resetAfter':
        req.socket.destroy();
        return;
      case 'slow':
        await sleep(fault.delayMs, timers);
        if (!res.destroyed) send(res, reply.status, text, reply.headers);
        return;
      case 'slowBody': {
        const half = Math.floor(text.length / 2);
        res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...reply.headers });
        res.write(text.slice(0, half));
        await sleep(fault.delayMs, timers);
        if (!res.destroyed) res.end(text.slice(half));
        return;
      }
      case 'drip': {
        const body = text.padEnd(fault.minBytes ?? 0, ' ');
        res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...reply.headers });
        for (const ch of body) {
          if (res.destroyed) return;
          res.write(ch);
          await sleep(fault.intervalMs, timers);
        }
        if (!res.destroyed) res.end();
        return;
      }
      default:
        send(res, reply.status, text, reply.headers);
    }
  };

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((req, res) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on('close', () => {
          inFlight -= 1;
        });
        serve(req, res).catch(() => req.socket.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    faults,
    requests,
    stop,
    start,
    close: stop,
  };
}
