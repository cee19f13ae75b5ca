import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from './faults';

/**
 * A Kura server that implements POST /api/upsert_agent_auth_profile as the seed describes
 * (seeds/kura-upsert-agent-auth-profile.txt), with FastAPI-style errors, checked in this order:
 *
 * 1. A malformed body is 422 with a FastAPI `detail` array (before anything else, as FastAPI does).
 * 2. An API key Kura does not know is 401 {detail: "Invalid API key"}.
 * 3. An unknown agent_id (when `agents` is given) is 404 {detail: "Agent not found"}.
 * 4. Update: an unknown token is 404 {detail: "Auth profile not found"}; a token bound to another
 *    agent is 403 {detail: "Auth token is bound to another agent"} ("Each auth token is bound to a
 *    specific agent_id and cannot be used with different agents").
 * 5. auth_data keys that are not input arguments of the agent (when `agents` is given) are 422.
 * 6. A create without a name is 400 with a string detail.
 *
 * Where the seed is silent: an update keeps the stored name (profiles are identified by agent_id +
 * name, and renaming is a new remote profile, DESIGN.md "Sync"), and the answer carries it. Without
 * `agents`, the tenant is open: every agent exists and accepts any keys (most sync tests need no
 * declarations); tests of the seed's rules pass `agents`.
 */
export interface KuraProfile {
  agent_id: string;
  name: string;
  auth_data: Record<string, string>;
  should_save_session: boolean;
  token: string;
  /** How many updates this profile received since it was created. */
  updates: number;
}

export interface FakeKuraOptions {
  /** API keys Kura accepts. */
  apiKeys?: string[];
  /** Declared input arguments per agent. When omitted, every agent accepts any keys. */
  agents?: Record<string, string[]>;
  /** Whether an update's answer repeats the auth_token (the seed leaves it open). */
  updateReturnsToken?: boolean;
  /** Puts the whole request body into 400 messages, as careless servers do (for redaction tests). */
  echoBodyInErrors?: boolean;
}

export interface FakeKuraState {
  apiKeys: Set<string>;
  agents: Map<string, string[]> | null;
  /** Live profiles by token. */
  profiles: Map<string, KuraProfile>;
  /** Tokens that once existed and were replaced. */
  invalidatedTokens: Set<string>;
  updateReturnsToken: boolean;
  echoBodyInErrors: boolean;
}

export interface FakeKura extends FakeServer {
  state: FakeKuraState;
  /** The live profile for agent_id + name. */
  profile(agentId: string, name: string): KuraProfile | undefined;
}

export const KURA_TEST_API_KEY = 'kura-test-api-key-0123456789';

const PATH = '/api/upsert_agent_auth_profile';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const validationError = (loc: string[], msg: string, input: unknown): FakeReply => ({
  status: 422,
  json: { detail: [{ type: 'value_error', loc: ['body', ...loc], msg, input }] },
});

export async function startFakeKura(opts: FakeKuraOptions = {}): Promise<FakeKura> {
  const state: FakeKuraState = {
    apiKeys: new Set(opts.apiKeys ?? [KURA_TEST_API_KEY]),
    agents: opts.agents ? new Map(Object.entries(opts.agents)) : null,
    profiles: new Map(),
    invalidatedTokens: new Set(),
    updateReturnsToken: opts.updateReturnsToken ?? true,
    echoBodyInErrors: opts.echoBodyInErrors ?? false,
  };

  const findByName = (agentId: string, name: string): KuraProfile | undefined =>
    [...state.profiles.values()].find((p) => p.agent_id === agentId && p.name === name);

  const badRequest = (detail: string, body: unknown): FakeReply => ({
    status: 400,
    json: { detail: state.echoBodyInErrors ? `${detail} (received ${JSON.stringify(body)})` : detail },
  });

  const handler = (req: FakeRequest): FakeReply => {
    if (req.path !== PATH) return { status: 404, json: { detail: 'Not Found' } };
    if (req.method !== 'POST') return { status: 405, json: { detail: 'Method Not Allowed' } };
    const b = req.body;
    if (!isRecord(b)) return validationError([], 'Input should be a valid dictionary', b);
    for (const field of ['agent_id', 'api_key'] as const) {
      if (typeof b[field] !== 'string') return validationError([field], 'Field required', b[field]);
    }
    if (!isRecord(b.auth_data) || !Object.values(b.auth_data).every((v) => typeof v === 'string')) {
      return validationError(['auth_data'], 'Input should be a valid dictionary of strings', b.auth_data);
    }
    if (b.name !== undefined && typeof b.name !== 'string') return validationError(['name'], 'Input should be a valid string', b.name);
    if (b.auth_token !== undefined && typeof b.auth_token !== 'string') {
      return validationError(['auth_token'], 'Input should be a valid string', b.auth_token);
    }
    if (b.should_save_session !== undefined && typeof b.should_save_session !== 'boolean') {
      return validationError(['should_save_session'], 'Input should be a valid boolean', b.should_save_session);
    }
    const agentId = b.agent_id as string;
    const authData = b.auth_data as Record<string, string>;
    const saveSession = (b.should_save_session as boolean | undefined) ?? false;

    if (!state.apiKeys.has(b.api_key as string)) return { status: 401, json: { detail: 'Invalid API key' } };

    const declared = state.agents ? state.agents.get(agentId) : null;
    if (declared === undefined) return { status: 404, json: { detail: 'Agent not found' } };

    const token = b.auth_token as string | undefined;
    const profile = token === undefined ? undefined : state.profiles.get(token);
    if (token !== undefined) {
      if (!profile) return { status: 404, json: { detail: 'Auth profile not found' } };
      if (profile.agent_id !== agentId) return { status: 403, json: { detail: 'Auth token is bound to another agent' } };
    }

    if (declared) {
      const undeclared = Object.keys(authData).filter((k) => !declared.includes(k));
      if (undeclared.length > 0) {
        const detail = `auth_data keys must be input arguments of the agent; not declared: ${undeclared.join(', ')}`;
        return { status: 422, json: { detail: state.echoBodyInErrors ? `${detail} (received ${JSON.stringify(b)})` : detail } };
      }
    }

    if (token !== undefined && profile) {
      profile.auth_data = { ...authData };
      profile.should_save_session = saveSession;
      profile.updates += 1;
      return {
        status: 200,
        json: state.updateReturnsToken ? { auth_token: token, name: profile.name, type: 'update' } : { name: profile.name, type: 'update' },
      };
    }

    const name = b.name as string | undefined;
    if (name === undefined || name.trim() === '') return badRequest('name is required when creating an auth profile', b);
    const existing = findByName(agentId, name);
    if (existing) {
      state.profiles.delete(existing.token);
      state.invalidatedTokens.add(existing.token);
    }
    const fresh = `kat_${randomBytes(24).toString('base64url')}`;
    state.profiles.set(fresh, {
      agent_id: agentId,
      name,
      auth_data: { ...authData },
      should_save_session: saveSession,
      token: fresh,
      updates: 0,
    });
    return { status: 200, json: { auth_token: fresh, name, type: existing ? 'replace' : 'create' } };
  };

  const server = await startFakeServer(handler);
  return Object.assign(server, { state, profile: findByName });
}
