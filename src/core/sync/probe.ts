import { randomBytes } from 'node:crypto';
import type { RemoteKind } from '../../shared/domain';
import { validateKey } from './backside-client';
import { HttpClient, type HttpOptions } from './http';
import { upsertAuthProfile } from './kura-client';
import type { RemoteFailure, RemoteResult } from './remote-errors';

/**
 * Tests a connection ("is the address right, and are the credentials accepted?") without creating
 * or changing anything on the remote. Neither service has a read-only endpoint, so each probe sends
 * a request whose only possible outcomes are a refusal:
 *
 * - Kura: an update (auth_token present) with a freshly drawn random token and empty auth_data.
 *   Kura checks the API key first (401/403 if wrong), and an update never creates: a token nobody
 *   was ever given cannot name a profile, so a working connection answers 404. A 404 therefore
 *   means "reached Kura and the key was accepted". The one 404 that does not is a route-level
 *   "Not Found" (the FastAPI default for an unknown path), which means the base URL is not Kura's.
 * - Backside: validate-key, which by its contract stores nothing, with a well-formed string that
 *   is obviously not a provider key. The body is valid, so the handler runs after authentication:
 *   401/403 means the token was refused; 2xx (an answer such as {valid: false}) or 400/422 (the
 *   key refused) means Backside was reached and accepted the token.
 */

export interface ConnectionTestInput {
  kind: RemoteKind;
  url: string;
  credential: string | null;
}

export interface ConnectionTestResult {
  ok: boolean;
  message: string;
}

const LABEL: Record<RemoteKind, string> = { kura: 'Kura', backside: 'Backside' };

// The agent id is not a secret and names this purpose, for anyone reading Kura's request logs.
const PROBE_AGENT_ID = 'keyhold-connection-test';
const NOT_A_PROVIDER_KEY = 'keyhold-connection-test-not-a-provider-key';

// A test is something a person waits for in a dialog: shorter limits than a sync.
const PROBE_HTTP: HttpOptions = { connectTimeoutMs: 5_000, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, connections: 1 };

function failureMessage(service: string, f: RemoteFailure): ConnectionTestResult {
  switch (f.kind) {
    case 'credentials':
      return {
        ok: false,
        message: `${service} was reached but refused the ${service === 'Kura' ? 'API key' : 'token'} (HTTP ${f.status}). Check it and save it again.`,
      };
    case 'transient':
      return {
        ok: false,
        message:
          f.status === null
            ? `${service} is unreachable: ${f.message} Check the address and your network.`
            : `${service} was reached but is not working right now: ${f.message}`,
      };
    default:
      return { ok: false, message: `${service} answered the test unexpectedly: ${f.message} Check the address.` };
  }
}

async function probeKura(http: HttpClient, apiKey: string, signal?: AbortSignal): Promise<ConnectionTestResult> {
  const result = await upsertAuthProfile(
    http,
    {
      agent_id: PROBE_AGENT_ID,
      api_key: apiKey,
      auth_data: {},
      name: PROBE_AGENT_ID,
      should_save_session: false,
      auth_token: `keyhold-probe-${randomBytes(24).toString('base64url')}`,
    },
    signal ? { signal } : {},
  );
  if (!result.ok) {
    if (result.kind === 'notFound') {
      if (result.serverMessage === 'Not Found') {
        return { ok: false, message: 'The server at this address answered, but it has no Kura endpoint there. Check the address.' };
      }
      return { ok: true, message: 'Connected: Kura accepted the API key.' };
    }
    return failureMessage('Kura', result);
  }
  // Only a server that ignores the token could answer this; it is reachable and took the key.
  return { ok: true, message: 'Connected: Kura accepted the API key.' };
}

async function probeBackside(http: HttpClient, token: string, signal?: AbortSignal): Promise<ConnectionTestResult> {
  const result: RemoteResult<unknown> = await validateKey({ http, token }, NOT_A_PROVIDER_KEY, signal ? { signal } : {});
  if (result.ok || (result.kind === 'rejected' && (result.status === 400 || result.status === 422))) {
    return { ok: true, message: 'Connected: Backside accepted the token.' };
  }
  return failureMessage('Backside', result);
}

export async function testConnection(
  input: ConnectionTestInput,
  options: { http?: HttpOptions; signal?: AbortSignal } = {},
): Promise<ConnectionTestResult> {
  const service = LABEL[input.kind];
  if (!input.credential) {
    return { ok: false, message: `The ${service} connection has no ${input.kind === 'kura' ? 'API key' : 'token'} yet.` };
  }
  const http = new HttpClient(input.url, { ...PROBE_HTTP, ...options.http, service });
  try {
    return input.kind === 'kura'
      ? await probeKura(http, input.credential, options.signal)
      : await probeBackside(http, input.credential, options.signal);
  } finally {
    await http.close();
  }
}
