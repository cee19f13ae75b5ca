import { z } from 'zod';
import type { HttpClient } from './http';
import { notFoundAsRejected, redactDeep, sanitizeServerText, withServerWords, type RemoteResult } from './remote-errors';

// The seed types these `string<date-time>` (RFC 3339). Accepted as servers write them: "T", "t" or
// a space between date and time, any number of fractional digits, "Z", "z", "+00:00" or "+0000",
// and, leniently, no offset at all. Only a string that is not a date and time is refused.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const isDateTime = (s: string): boolean => {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [month, day, hour, minute, second] = m.slice(2, 7).map(Number) as [number, number, number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60;
};
const DateTime = z.string().refine(isDateTime, { message: 'expected a date-time such as 2026-12-03T05:31:56Z' });
// integer<int64> and integer<int32>: any whole number, even one beyond 2^53 that JSON.parse rounds.
const Integer = z.number().refine(Number.isInteger, { message: 'expected a whole number' });

/**
 * One agent_configs row as Backside returns it from PUT /api/v1/agent-configs/{kind}/byok-key
 * (seeds/backside-agent-config-byok-key.txt), read no stricter than the seed types it: any status
 * word, any JSON (null included) as guardrails. Fields the seed does not list are kept, so the
 * stored row is the row Backside sent.
 */
export const BacksideAgentConfig = z
  .looseObject({
    agent_kind: z.string(),
    byok_status: z.string(),
    created_at: DateTime,
    // Any JSON value, null included, but the field itself must be there.
    guardrails: z.unknown(),
    // Any 8-4-4-4-12 hex id: nothing here depends on the UUID version bits.
    id: z.guid(),
    tenant_id: z.guid(),
    updated_at: DateTime,
    budget_default_cents: Integer.nullable().optional(),
    byok_last_probed_at: DateTime.nullable().optional(),
    byok_status_reason: z.string().nullable().optional(),
    deadline_default_seconds: Integer.nullable().optional(),
    schedule: z.string().nullable().optional(),
  })
  .refine((row) => Object.hasOwn(row, 'guardrails'), { message: 'guardrails is missing', path: ['guardrails'] });
export type BacksideAgentConfig = z.infer<typeof BacksideAgentConfig>;

/**
 * The seed does not describe validate-key's answer, so any JSON object is accepted as is, except one
 * whose verdict field (`valid`, `ok`, `accepted`) is there but not true or false: `"false"` or 0
 * read as no verdict would make a refusal an acceptance.
 */
const VERDICT_FIELDS = ['valid', 'ok', 'accepted'] as const;
export const ValidateKeyResponse = z.record(z.string(), z.unknown()).check((ctx) => {
  for (const k of VERDICT_FIELDS) {
    if (Object.hasOwn(ctx.value, k) && typeof ctx.value[k] !== 'boolean') {
      ctx.issues.push({ code: 'custom', message: `its verdict "${k}" is not true or false`, input: ctx.value, path: [k] });
      return;
    }
  }
});
export type ValidateKeyResponse = z.infer<typeof ValidateKeyResponse>;

/** A Backside connection: its HTTP client and the bearer token that authenticates it. */
export interface BacksideConnection {
  http: HttpClient;
  token: string;
}

// encodeURIComponent leaves "." alone, and a kind of "." or ".." would be resolved as a path step
// by servers and proxies, reaching a different endpoint.
const kindSegment = (kind: string): string => (kind === '.' || kind === '..' ? '%2E'.repeat(kind.length) : encodeURIComponent(kind));

const authHeaders = (conn: BacksideConnection): Record<string, string> => ({ authorization: `Bearer ${conn.token}` });

/**
 * Sets (or rotates) the BYOK key of one agent kind; Backside probes the key before storing it, so a
 * bad key comes back `rejected` with the provider's reason. A 404 means Backside has no such agent
 * kind, which no retry fixes, so it is `rejected` too.
 */
export async function setByokKey(
  conn: BacksideConnection,
  kind: string,
  apiKey: string,
  options: { signal?: AbortSignal } = {},
): Promise<RemoteResult<BacksideAgentConfig>> {
  const result = await conn.http.request({
    method: 'PUT',
    path: `/api/v1/agent-configs/${kindSegment(kind)}/byok-key`,
    headers: authHeaders(conn),
    json: { api_key: apiKey },
    schema: BacksideAgentConfig,
    secrets: [apiKey, conn.token],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // The row is kept with the key and shown without --reveal: nothing the server echoed may stay in it.
  return notFoundAsRejected(result.ok ? { ok: true, body: redactDeep(result.body, [apiKey, conn.token]) } : result, 'Backside does not know this agent kind');
}

/** Asks Backside to probe a key without storing it. */
export async function validateKey(
  conn: BacksideConnection,
  apiKey: string,
  options: { signal?: AbortSignal } = {},
): Promise<RemoteResult<ValidateKeyResponse>> {
  const result = await conn.http.request({
    method: 'POST',
    path: '/api/v1/agent-configs/validate-key',
    headers: authHeaders(conn),
    json: { api_key: apiKey },
    schema: ValidateKeyResponse,
    secrets: [apiKey, conn.token],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return notFoundAsRejected(
    result.ok ? { ok: true, body: redactDeep(result.body, [apiKey, conn.token]) } : result,
    'Backside has no key validation endpoint at this address',
  );
}

/** What Backside's validate-key said about one key. */
export interface KeyVerdict {
  accepted: boolean;
  /** Backside's own words when it gave any (redacted), else a plain sentence. */
  message: string;
  /** The 2xx body as sent, or null when the key was refused with an error status. */
  answer: ValidateKeyResponse | null;
}

const firstText = (body: Record<string, unknown>, keys: readonly string[]): string | undefined => {
  for (const k of keys) {
    const v = body[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
};

/**
 * Asks Backside whether it would take this key, without storing it. The seed describes the request
 * but not the answer, so the verdict is read liberally: a 400 or 422 is a refusal (the body was
 * well-formed, so only the key can be at fault), and so is a 2xx body that says `valid`, `ok` or
 * `accepted` is false; any other 2xx is acceptance. Everything else (credentials, no such endpoint,
 * network) stays a failure for the caller to report.
 */
export async function checkKey(conn: BacksideConnection, apiKey: string, options: { signal?: AbortSignal } = {}): Promise<RemoteResult<KeyVerdict>> {
  const result = await validateKey(conn, apiKey, options);
  if (result.ok) {
    const body = result.body;
    const refused = VERDICT_FIELDS.some((k) => body[k] === false);
    const said = firstText(body, ['reason', 'message', 'detail', 'byok_status_reason', 'status']);
    const text = said === undefined ? '' : `: ${sanitizeServerText(said, [apiKey, conn.token])}`;
    return {
      ok: true,
      body: {
        accepted: !refused,
        message: refused ? `Backside refused the key${text || '.'}` : `Backside accepted the key${text || '.'}`,
        answer: body,
      },
    };
  }
  if (result.kind === 'rejected' && (result.status === 400 || result.status === 422)) {
    return { ok: true, body: { accepted: false, message: withServerWords(`Backside refused the key (HTTP ${result.status})`, result), answer: null } };
  }
  return result;
}
