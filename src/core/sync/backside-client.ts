import { z } from 'zod';
import type { HttpClient } from './http';
import type { RemoteResult } from './remote-errors';

const DateTime = z.iso.datetime({ offset: true });

/**
 * One agent_configs row as Backside returns it from PUT /api/v1/agent-configs/{kind}/byok-key
 * (seeds/backside-agent-config-byok-key.txt). Extra fields are tolerated and dropped.
 */
export const BacksideAgentConfig = z
  .object({
    agent_kind: z.string(),
    byok_status: z.string(),
    created_at: DateTime,
    // Any JSON value, null included, but the field itself must be there.
    guardrails: z.unknown(),
    // Any 8-4-4-4-12 hex id: nothing here depends on the UUID version bits.
    id: z.guid(),
    tenant_id: z.guid(),
    updated_at: DateTime,
    budget_default_cents: z.number().int().nullable().optional(),
    byok_last_probed_at: DateTime.nullable().optional(),
    byok_status_reason: z.string().nullable().optional(),
    deadline_default_seconds: z.number().int().nullable().optional(),
    schedule: z.string().nullable().optional(),
  })
  .refine((row) => Object.hasOwn(row, 'guardrails'), { message: 'guardrails is missing', path: ['guardrails'] });
export type BacksideAgentConfig = z.infer<typeof BacksideAgentConfig>;

/** The seed does not describe validate-key's answer, so any JSON object is accepted as is. */
export const ValidateKeyResponse = z.record(z.string(), z.unknown());
export type ValidateKeyResponse = z.infer<typeof ValidateKeyResponse>;

/** A Backside connection: its HTTP client and the bearer token that authenticates it. */
export interface BacksideConnection {
  http: HttpClient;
  token: string;
}

// encodeURIComponent leaves "." alone, and a kind of "." or ".." would be resolved as a path step
// by servers and proxies, reaching a different endpoint.
const kindSegment = (kind: string): string =>
  kind === '.' || kind === '..' ? '%2E'.repeat(kind.length) : encodeURIComponent(kind);

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
  if (!result.ok && result.kind === 'notFound') {
    const said = result.serverMessage === undefined ? '.' : `: ${result.serverMessage}`;
    return { ...result, kind: 'rejected', message: `Backside does not know this agent kind (HTTP 404)${said}` };
  }
  return result;
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
  if (!result.ok && result.kind === 'notFound') {
    const said = result.serverMessage === undefined ? '.' : `: ${result.serverMessage}`;
    return { ...result, kind: 'rejected', message: `Backside has no key validation endpoint at this address (HTTP 404)${said}` };
  }
  return result;
}
