import { z } from 'zod';
import { KeyholdError, type ErrorCode } from '../../shared/errors';
import { encodedForms, secretParts } from '../devflow/mask-forms';

/**
 * How a call to a remote service ended, as a value. The sync engine decides what to do from
 * `kind` alone: retry later (transient), pause the connection (credentials), ask the person
 * (notFound: the Kura profile behind a token is gone), or fail the item (rejected, badResponse).
 */
export const TransientReason = z.enum(['network', 'timeout', 'tls', 'status', 'aborted']);
export type TransientReason = z.infer<typeof TransientReason>;

const HttpStatus = z.number().int();
/** What the server itself said, already redacted and bounded; `message` embeds it. */
const ServerMessage = z.string().optional();

export const RemoteFailure = z.discriminatedUnion('kind', [
  z.object({
    ok: z.literal(false),
    kind: z.literal('transient'),
    reason: TransientReason,
    status: HttpStatus.nullable(),
    /** Present only when the server sent a usable Retry-After. */
    retryAfterMs: z.number().nonnegative().optional(),
    message: z.string(),
  }),
  z.object({ ok: z.literal(false), kind: z.literal('credentials'), status: HttpStatus, message: z.string(), serverMessage: ServerMessage }),
  z.object({ ok: z.literal(false), kind: z.literal('notFound'), status: HttpStatus, message: z.string(), serverMessage: ServerMessage }),
  z.object({ ok: z.literal(false), kind: z.literal('rejected'), status: HttpStatus, message: z.string(), serverMessage: ServerMessage }),
  z.object({ ok: z.literal(false), kind: z.literal('badResponse'), status: HttpStatus, message: z.string() }),
]);
export type RemoteFailure = z.infer<typeof RemoteFailure>;
export type FailureKind = RemoteFailure['kind'];

export type RemoteResult<T> = { ok: true; body: T } | RemoteFailure;

const CODE: Record<FailureKind, ErrorCode> = {
  transient: 'RemoteUnavailable',
  credentials: 'CredentialsRejected',
  notFound: 'RemoteProfileMissing',
  rejected: 'RemoteRejected',
  badResponse: 'RemoteBadResponse',
};

export const failureCode = (f: RemoteFailure): ErrorCode => CODE[f.kind];

export const failureToError = (f: RemoteFailure): KeyholdError => new KeyholdError(CODE[f.kind], f.message);

export const SERVER_MESSAGE_MAX_CHARS = 300;
export const REDACTED = '[redacted]';

// Below this length a secret is too likely to occur inside ordinary words ("1", "en", "true"),
// so it is only redacted where it stands alone; longer secrets are redacted wherever they occur.
const SHORT_SECRET_CHARS = 6;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes every secret from text a server wrote, including the escaped and encoded forms a server
 * produces when it echoes a JSON body, a URL or an HTML page back (the forms `run` masks), and
 * the parts of each that are secrets on their own (a URL's password). The forms are worked out
 * once, for every text the returned function is given.
 */
function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets.flatMap((v) => [v, ...secretParts(v)])) {
    if (s.length === 0) continue;
    forms.add(s);
    // encodedForms has these two as well, but leaves out forms under 8 characters (ordinary text would
    // match them); a server's echo of a short secret is still redacted where it stands alone (below).
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
    for (const form of encodedForms(s)) forms.add(form);
  }
  const steps = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form): ((text: string) => string) => {
      if (form.length >= SHORT_SECRET_CHARS) return (text) => (text.includes(form) ? text.split(form).join(REDACTED) : text);
      const alone = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(form)}(?![\\p{L}\\p{N}_])`, 'gu');
      return (text) => text.replace(alone, REDACTED);
    });
  return (text) => steps.reduce((out, step) => step(out), text);
}

/** `text` with every form of every secret in `secrets` redacted (redactor). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return redactor(secrets)(text);
}

/**
 * A parsed answer with every string in it redacted: for answers that are kept and shown (Backside's
 * row of a key), where a server that echoes what it was sent must not leave the key or the
 * connection's token in the vault's listing cells.
 */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const redact = redactor(secrets);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, inner]) => [redact(k), walk(inner)]));
    return v;
  };
  return walk(value) as T;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function messageFrom(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (Array.isArray(v)) {
    // FastAPI validation errors: [{ loc: ['body', 'auth_data'], msg: '…', input: <echoed value> }].
    // `input` is deliberately never read: it echoes what was sent.
    const parts = v
      .map((item) => {
        if (typeof item === 'string') return item;
        if (!isRecord(item) || typeof item.msg !== 'string') return undefined;
        const loc = Array.isArray(item.loc)
          ? item.loc
              .filter((p) => p !== 'body')
              .map(String)
              .join('.')
          : '';
        return loc ? `${loc}: ${item.msg}` : item.msg;
      })
      .filter((p): p is string => p !== undefined && p.trim() !== '');
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (isRecord(v)) return messageFrom(v.message) ?? messageFrom(v.msg) ?? messageFrom(v.detail);
  return undefined;
}

/** The human part of an error body: a JSON `detail`, `message` or `error` field, else the text. */
export function extractServerMessage(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return /<\/?[a-z][^>]*>/i.test(body) ? body.replace(/<[^>]*>/g, ' ') : body;
  }
  if (isRecord(parsed)) {
    for (const key of ['detail', 'message', 'error']) {
      const m = messageFrom(parsed[key]);
      if (m !== undefined) return m;
    }
  }
  return typeof parsed === 'string' ? parsed : body;
}

/**
 * Makes server text safe to store and show: secrets redacted (before truncation, so no secret is
 * cut into an unrecognisable prefix), control and bidi characters dropped (the CLI prints it to a
 * terminal), whitespace collapsed, length bounded.
 */
export function sanitizeServerText(text: string, secrets: readonly string[]): string {
  const clean = redactSecrets(text, secrets)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length <= SERVER_MESSAGE_MAX_CHARS ? clean : `${chars.slice(0, SERVER_MESSAGE_MAX_CHARS).join('')}…`;
}

/** A sentence about a failure, ending with the server's own words when it gave any: `…(HTTP 404): no such kind` or `…(HTTP 404).` */
export const withServerWords = (sentence: string, failure: { serverMessage?: string | undefined }): string =>
  `${sentence}${failure.serverMessage === undefined ? '.' : `: ${failure.serverMessage}`}`;

/** A 404 that no retry fixes (the thing asked for does not exist at that address), as a rejection saying so. */
export function notFoundAsRejected<T>(result: RemoteResult<T>, sentence: string): RemoteResult<T> {
  if (result.ok || result.kind !== 'notFound') return result;
  return { ...result, kind: 'rejected', message: withServerWords(`${sentence} (HTTP 404)`, result) };
}

export const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  cause?: unknown;
}

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the answer',
  UND_ERR_BODY_TIMEOUT: 'reading the answer',
  ETIMEDOUT: 'connecting',
};

const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH)/;

function errorCode(e: unknown): string | undefined {
  // undici wraps socket errors; the useful code may sit one level down.
  let found: string | undefined;
  for (let cur: unknown = e, depth = 0; cur && depth < 3; depth++) {
    const c = (cur as ErrorLike).code;
    if (typeof c === 'string') {
      if (c !== 'UND_ERR_SOCKET') return c;
      found = c;
    }
    cur = (cur as ErrorLike).cause;
  }
  return found;
}

/**
 * Classifies anything a request can throw. Nearly all of it is transient: the request may or may
 * not have reached the server, so only a later retry can tell. The exception is a request undici
 * refuses to send (a credential with characters a header cannot carry), which no retry fixes; it is
 * `rejected` with status 0, meaning it never left this machine. Messages are built from error codes
 * alone, never from the error's own text.
 */
export function classifyError(e: unknown, service: string, aborted = false): RemoteFailure {
  const Service = capitalize(service);
  const base = { ok: false as const, kind: 'transient' as const, status: null };
  const name = (e as ErrorLike | null)?.name;
  const code = errorCode(e);
  const cancelled = { ...base, reason: 'aborted' as const, message: `The request to ${service} was cancelled.` };
  if (aborted) return cancelled;
  if (name === 'TimeoutError') return { ...base, reason: 'timeout', message: `${Service} did not answer in time.` };
  if (code === 'UND_ERR_ABORTED' || name === 'AbortError') return cancelled;
  if (code !== undefined && code in TIMEOUT_CODES) {
    return { ...base, reason: 'timeout', message: `${Service} did not answer in time (timed out ${TIMEOUT_CODES[code]}).` };
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return { ...base, reason: 'tls', message: `Could not make a secure connection to ${service} (${code}).` };
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR') {
    return {
      ok: false,
      kind: 'rejected',
      status: 0,
      message: `Keyhold could not send the request to ${service}: the connection's credentials contain characters HTTP cannot carry.`,
    };
  }
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
    return { ...base, reason: 'network', message: `The connection to ${service} was already closed.` };
  }
  const detail = code === 'UND_ERR_SOCKET' ? 'the connection was closed' : code;
  return { ...base, reason: 'network', message: `Could not reach ${service}${detail ? ` (${detail})` : ''}.` };
}
