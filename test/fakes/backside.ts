import { randomUUID } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from './faults';

/**
 * A Backside server implementing PUT /api/v1/agent-configs/{kind}/byok-key and
 * POST /api/v1/agent-configs/validate-key (seeds/backside-agent-config-byok-key.txt).
 *
 * The "probe" stands in for Backside asking the provider: a key passes when it looks like an
 * Anthropic key and is not on the deny list. A failed probe stores nothing. Errors are
 * `{error: <code>, message: <text>}`.
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
}

export interface AgentConfigRow {
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
}

export interface FakeBackside extends FakeServer {
  state: FakeBacksideState;
}

export const BACKSIDE_TEST_TOKEN = 'backside-test-token-0123456789';
export const DEFAULT_KINDS = ['claude-code', 'researcher'];

const KEY_SHAPE = /^sk-ant-[A-Za-z0-9_-]{20,}$/;
const BYOK_PATH = /^\/api\/v1\/agent-configs\/([^/]+)\/byok-key$/;
const VALIDATE_PATH = '/api/v1/agent-configs/validate-key';

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
    typeof body === 'object' && body !== null && typeof (body as { api_key?: unknown }).api_key === 'string'
      ? (body as { api_key: string }).api_key
      : null;

  const handler = (req: FakeRequest): FakeReply => {
    const byok = BYOK_PATH.exec(req.path);
    if (req.path === VALIDATE_PATH && req.method === 'POST') {
      const denied = authorize(req);
      if (denied) return denied;
      const apiKey = apiKeyOf(req.body);
      if (apiKey === null) return error(422, 'invalid_body', 'api_key is required and must be a string.');
      const reason = probe(apiKey);
      return { status: 200, json: reason === null ? { valid: true } : { valid: false, reason } };
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

    const now = new Date().toISOString();
    const previous = state.configs.get(kind);
    const row: AgentConfigRow = {
      agent_kind: kind,
      byok_status: 'valid',
      created_at: previous?.created_at ?? now,
      guardrails: previous?.guardrails ?? { max_tool_calls: 200, allow_network: true },
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
