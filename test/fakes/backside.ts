import { randomUUID } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from './faults';

/**
 * A Backside server implementing PUT /api/v1/agent-configs/{kind}/byok-key and
 * POST /api/v1/agent-configs/validate-key (seeds/backside-agent-config-byok-key.txt).
 *
 * Every request needs `Authorization: Bearer <token>` (401 without a known one, 403 for a token
 * that may not change agent configs). The "probe" stands in for Backside asking Anthropic: a key
 * passes when it looks like an Anthropic key and is not on the deny list. A failed probe stores
 * nothing and is 422 on both endpoints (the seed: a client "that skips validate-key still gets a
 * safe error on bad input"); validate-key answers 200 {valid: true} for a good key. An unknown
 * kind is 404. Errors are `{error: <code>, message: <text>}`.
 *
 * Rows are written the way a real server may write them, which the seed's types allow and a
 * strict client might not: datetimes with an offset and microseconds
 * (`2026-12-03T05:31:56.123456+00:00`), a status word other than "valid" ("active" by default),
 * and fields the seed does not list (`extraFields`).
 */
export interface FakeBacksideOptions {
  /** Bearer tokens Backside accepts. */
  tokens?: string[];
  /** Bearer tokens that authenticate but may not change agent configs (403). */
  forbiddenTokens?: string[];
  /** Agent kinds this tenant has. */
  kinds?: string[];
  /** Keys the provider rejects even though they look right (revoked, no credit…). */
  denyKeys?: string[];
  /** The byok_status word of a stored row (default "active"). */
  status?: string;
  /** Fields beyond the seed's that each row carries (default: one, `byok_key_fingerprint`). */
  extraFields?: Record<string, unknown>;
  /** The guardrails of a new row (any JSON, null included). */
  guardrails?: unknown;
}

export interface AgentConfigRow {
  [extra: string]: unknown;
  agent_kind: string;
  byok_status: string;
  created_at: string;
  guardrails: unknown;
  id: string;
  tenant_id: string;
  updated_at: string;
  budget_default_cents: number | null;
  byok_last_probed_at: string | null;
  byok_status_reason: string | null;
  deadline_default_seconds: number | null;
  schedule: string | null;
}

export interface FakeBacksideState {
  tokens: Set<string>;
  forbiddenTokens: Set<string>;
  kinds: Set<string>;
  denyKeys: Set<string>;
  tenantId: string;
  /** agent_configs rows by kind, as the API returns them. */
  configs: Map<string, AgentConfigRow>;
  /** The stored provider key per kind, so tests can compare remote and local. */
  keys: Map<string, string>;
  status: string;
  extraFields: Record<string, unknown>;
  guardrails: unknown;
}

export interface FakeBackside extends FakeServer {
  state: FakeBacksideState;
}

export const BACKSIDE_TEST_TOKEN = 'backside-test-token-0123456789';
export const DEFAULT_KINDS = ['claude-code', 'researcher'];

const KEY_SHAPE = /^sk-ant-[A-Za-z0-9_-]{20,}$/;
const BYOK_PATH = /^\/api\/v1\/agent-configs\/([^/]+)\/byok-key$/;
const VALIDATE_PATH = '/api/v1/agent-configs/validate-key';

/** 2026-12-03T05:31:56.123456+00:00: an offset instead of Z, and microseconds. */
export const offsetMicros = (d: Date): string => `${d.toISOString().slice(0, 23)}${String(d.getUTCMilliseconds() % 7).repeat(3)}+00:00`;

const error = (status: number, code: string, message: string): FakeReply => ({ status, json: { error: code, message } });

export async function startFakeBackside(opts: FakeBacksideOptions = {}): Promise<FakeBackside> {
  const state: FakeBacksideState = {
    tokens: new Set(opts.tokens ?? [BACKSIDE_TEST_TOKEN]),
    forbiddenTokens: new Set(opts.forbiddenTokens ?? []),
    kinds: new Set(opts.kinds ?? DEFAULT_KINDS),
    denyKeys: new Set(opts.denyKeys ?? []),
    tenantId: randomUUID(),
    configs: new Map(),
    keys: new Map(),
    status: opts.status ?? 'active',
    extraFields: opts.extraFields ?? { byok_key_fingerprint: 'fp_1f2e3d' },
    guardrails: Object.hasOwn(opts, 'guardrails') ? opts.guardrails : { max_tool_calls: 200, allow_network: true },
  };

  const probe = (apiKey: string): string | null => {
    if (!KEY_SHAPE.test(apiKey)) return 'The provider rejected this key: invalid x-api-key.';
    if (state.denyKeys.has(apiKey)) return 'The provider rejected this key: it has been revoked.';
    return null;
  };

  const authorize = (req: FakeRequest): FakeReply | null => {
    const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const token = m?.[1];
    if (token !== undefined && state.forbiddenTokens.has(token)) {
      return error(403, 'forbidden', 'This token may not change agent configs.');
    }
    if (token === undefined || !state.tokens.has(token)) return error(401, 'unauthorized', 'Missing or invalid bearer token.');
    return null;
  };

  const apiKeyOf = (body: unknown): string | null =>
    typeof body === 'object' && body !== null && typeof (body as { api_key?: unknown }).api_key === 'string' ? (body as { api_key: string }).api_key : null;

  const handler = (req: FakeRequest): FakeReply => {
    const byok = BYOK_PATH.exec(req.path);
    if (req.path === VALIDATE_PATH && req.method === 'POST') {
      const denied = authorize(req);
      if (denied) return denied;
      const apiKey = apiKeyOf(req.body);
      if (apiKey === null) return error(422, 'invalid_body', 'api_key is required and must be a string.');
      const reason = probe(apiKey);
      return reason === null ? { status: 200, json: { valid: true } } : error(422, 'byok_probe_failed', reason);
    }
    if (!byok || req.method !== 'PUT') return error(404, 'not_found', 'No such route.');

    const denied = authorize(req);
    if (denied) return denied;
    const kind = decodeURIComponent(byok[1] as string);
    if (!state.kinds.has(kind)) return error(404, 'not_found', 'No agent config for this kind.');
    const apiKey = apiKeyOf(req.body);
    if (apiKey === null) return error(422, 'invalid_body', 'api_key is required and must be a string.');
    const reason = probe(apiKey);
    if (reason !== null) return error(422, 'byok_probe_failed', reason);

    const now = offsetMicros(new Date());
    const previous = state.configs.get(kind);
    const row: AgentConfigRow = {
      ...state.extraFields,
      agent_kind: kind,
      byok_status: state.status,
      created_at: previous?.created_at ?? now,
      guardrails: previous ? previous.guardrails : state.guardrails,
      id: previous?.id ?? randomUUID(),
      tenant_id: state.tenantId,
      updated_at: now,
      budget_default_cents: previous?.budget_default_cents ?? 500,
      byok_last_probed_at: now,
      byok_status_reason: null,
      deadline_default_seconds: previous?.deadline_default_seconds ?? 900,
      schedule: previous?.schedule ?? null,
    };
    state.configs.set(kind, row);
    state.keys.set(kind, apiKey);
    return { status: 200, json: row };
  };

  const server = await startFakeServer(handler);
  return Object.assign(server, { state });
}
