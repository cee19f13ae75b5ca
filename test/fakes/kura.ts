import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from './faults';

/**
 * A Kura server that implements POST /api/upsert_agent_auth_profile as the seed describes
 * (seeds/kura-upsert-agent-auth-profile.txt), with FastAPI-style errors.
 *
 * Choices where the seed is silent, all documented here:
 * - An unknown agent_id (when `agents` is given) is 404 {detail: "Agent not found"}.
 * - A token used with another agent_id is 404, like an unknown token: the seed binds each token to
 *   one agent, and the profile "for this agent and token" is not found.
 * - An update keeps the stored name: profiles are identified by agent_id + name, and renaming is a
 *   new remote profile (DESIGN.md, "Sync"). The answer carries the stored name.
 * - Malformed bodies are 422 with a FastAPI `detail` array; rule violations are 400 with a string.
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

    if (state.agents) {
      const declared = state.agents.get(agentId);
      if (!declared) return { status: 404, json: { detail: 'Agent not found' } };
      const undeclared = Object.keys(authData).filter((k) => !declared.includes(k));
      if (undeclared.length > 0) {
        return badRequest(
          `auth_data keys must be input arguments of the agent; not declared: ${undeclared.join(', ')}`,
          b,
        );
      }
    }

    const token = b.auth_token as string | undefined;
    if (token !== undefined) {
      const profile = state.profiles.get(token);
      if (!profile || profile.agent_id !== agentId) return { status: 404, json: { detail: 'Auth profile not found' } };
      profile.auth_data = { ...authData };
      profile.should_save_session = saveSession;
      profile.updates += 1;
      return {
        status: 200,
        json: state.updateReturnsToken
          ? { auth_token: token, name: profile.name, type: 'update' }
          : { name: profile.name, type: 'update' },
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
