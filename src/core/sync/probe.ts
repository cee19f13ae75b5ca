import { randomBytes } from 'node:crypto';
import type { RemoteTestResult } from '../../shared/contract';
import { REMOTE_LABEL as LABEL, type RemoteKind } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { Vault } from '../vault/vault';
import { validateKey } from './backside-client';
import { HttpClient, type HttpOptions } from './http';
import { upsertAuthProfile } from './kura-client';
import type { RemoteResult } from './remote-errors';
import { z } from 'zod';

/**
 * Tests a connection ("is the address right, and are the credentials accepted?") without creating
 * or changing anything on the remote, and says only what a request actually proved.
 *
 * Neither seed has a read-only endpoint, nor says in which order a server checks a request, so no
 * single refusal proves the credential: a 404 may mean "profile not found" after the key was
 * accepted, or a wrong address, or a server that looks the profile up before it checks the key.
 * The test therefore sends the same harmless request twice, once with the saved credential and once
 * with a made-up one. If the made-up one is refused (401/403) and the saved one is not, the server
 * checked the credential and accepted it: that is "verified". If both get the same answer, the test
 * cannot tell, and says so: the credential is then only checked at the first sync.
 *
 * - Kura: an update (auth_token present) with a freshly drawn random token, empty auth_data, for an
 *   agent this vault already knows (from a profile or a declaration). An update never creates, and
 *   a token nobody was ever given names no profile. With no known agent the test does not make one
 *   up: it checks only that something answers at the address.
 * - Backside: validate-key, which stores nothing by its contract, with a well-formed string that is
 *   obviously not an Anthropic key.
 */

export interface ConnectionTestInput {
  kind: RemoteKind;
  url: string;
  credential: string | null;
  /** Kura: an agent id this vault knows; without one the API key is not sent. */
  agentId?: string | null;
}

export interface ConnectionTestResult {
  /** Nothing wrong was found (the credential may still be unverified). */
  ok: boolean;
  /** The service answered at this address. */
  reached: boolean;
  /** A request proved the credential is accepted. */
  credentialVerified: boolean;
  message: string;
}

const CREDENTIAL: Record<RemoteKind, string> = { kura: 'API key', backside: 'token' };

// Not secrets, and they name their purpose for anyone reading the services' request logs.
const PROBE_LABEL = 'keyhold-connection-test';
const MADE_UP_CREDENTIAL = 'keyhold-connection-test-made-up-credential';
const NOT_A_PROVIDER_KEY = 'keyhold-connection-test-not-a-provider-key';

// A test is something a person waits for in a dialog: shorter limits than a sync.
const PROBE_HTTP: HttpOptions = { connectTimeoutMs: 5_000, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, connections: 1 };

const refusedStatus = (r: RemoteResult<unknown>): number | null => (!r.ok && (r.status === 401 || r.status === 403) ? r.status : null);

const statusOf = (r: RemoteResult<unknown>): string => (r.ok ? 'HTTP 2xx' : r.status === null ? r.kind : `HTTP ${r.status}`);

const said = (r: RemoteResult<unknown>): string =>
  !r.ok && 'serverMessage' in r && r.serverMessage !== undefined ? ` (${r.serverMessage.replace(/\.$/, '')})` : '';

const result = (ok: boolean, reached: boolean, credentialVerified: boolean, message: string): ConnectionTestResult => ({
  ok,
  reached,
  credentialVerified,
  message,
});

/** Reads the answer to the request made with the saved credential, before the comparison. */
function firstAnswer(kind: RemoteKind, r: RemoteResult<unknown>): ConnectionTestResult | null {
  const service = LABEL[kind];
  if (r.ok) return null;
  if (r.kind === 'transient') {
    return r.status === null
      ? result(false, false, false, `${service} is unreachable: ${r.message} Check the address and your network.`)
      : result(false, true, false, `${service} was reached but is not working right now: ${r.message}`);
  }
  if (r.status === 0) return result(false, false, false, r.message);
  if (r.status === 401 || (kind === 'backside' && r.status === 403)) {
    return result(false, true, false, `${service} refused the ${CREDENTIAL[kind]} (HTTP ${r.status})${said(r)}. Check it and save it again.`);
  }
  if (r.kind === 'badResponse') return result(false, false, false, `${r.message} Check the address.`);
  return null;
}

/** Compares the answers to the saved and the made-up credential. */
function compare(kind: RemoteKind, mine: RemoteResult<unknown>, madeUp: RemoteResult<unknown>): ConnectionTestResult {
  const service = LABEL[kind];
  const what = CREDENTIAL[kind];
  const refused = refusedStatus(madeUp);
  if (refusedStatus(mine) !== null) {
    return result(false, true, false, `${service} refused the request made with this ${what} (${statusOf(mine)})${said(mine)}. Check it and save it again.`);
  }
  if (refused !== null) {
    return result(
      true,
      true,
      true,
      `${service} accepted the ${what}: the same request with a made-up ${what} was refused (HTTP ${refused}), and with this one ${service} answered ${statusOf(mine)}${said(mine)}.`,
    );
  }
  if (!madeUp.ok && madeUp.kind === 'transient') {
    return result(
      true,
      true,
      false,
      `${service} answered, but the second half of the test did not get through (${madeUp.message}). The ${what} is only checked at the first sync.`,
    );
  }
  // FastAPI's answer for a path it has no route for: the address, not the profile, was not found.
  const routeMissing =
    !mine.ok && mine.status === 404 && (!('serverMessage' in mine) || mine.serverMessage === undefined || mine.serverMessage === 'Not Found');
  if (routeMissing) {
    return result(
      false,
      false,
      false,
      `The server at this address answered HTTP 404${said(mine)} whatever the ${what}: this is probably not ${service}'s address. Check it; otherwise the ${what} is only checked at the first sync.`,
    );
  }
  return result(
    true,
    true,
    false,
    `${service} answered (${statusOf(mine)}), but it gave a made-up ${what} the same answer, so this test cannot tell whether the ${what} is accepted: it is only checked at the first sync.`,
  );
}

async function probeKura(http: HttpClient, apiKey: string, agentId: string | null, signal?: AbortSignal): Promise<ConnectionTestResult> {
  const options = signal ? { signal } : {};
  if (agentId === null) {
    // Without an agent id the only honest request carries no key: it shows whether something
    // validates requests at this address, nothing more.
    const r = await http.request({ method: 'POST', path: '/api/upsert_agent_auth_profile', json: {}, schema: z.unknown(), ...options });
    const down = !r.ok && r.kind === 'transient' ? firstAnswer('kura', r) : null;
    if (down) return down;
    if (!r.ok && (r.status === 404 || r.status === 405 || r.kind === 'badResponse')) {
      return result(false, false, false, `The server at this address has no Kura endpoint there (${statusOf(r)}). Check the address.`);
    }
    return result(
      true,
      true,
      false,
      'Something answers at this address, but no agent is known to this vault yet, and the test does not make one up: the API key is only checked at the first sync (or test again once a profile or agent exists).',
    );
  }
  const request = (key: string) =>
    upsertAuthProfile(
      http,
      {
        agent_id: agentId,
        api_key: key,
        auth_data: {},
        name: PROBE_LABEL,
        should_save_session: false,
        auth_token: `keyhold-probe-${randomBytes(24).toString('base64url')}`,
      },
      options,
    );
  const mine = await request(apiKey);
  const early = firstAnswer('kura', mine);
  if (early) return early;
  return compare('kura', mine, await request(MADE_UP_CREDENTIAL));
}

async function probeBackside(http: HttpClient, token: string, signal?: AbortSignal): Promise<ConnectionTestResult> {
  const options = signal ? { signal } : {};
  const mine = await validateKey({ http, token }, NOT_A_PROVIDER_KEY, options);
  const early = firstAnswer('backside', mine);
  if (early) return early;
  return compare('backside', mine, await validateKey({ http, token: MADE_UP_CREDENTIAL }, NOT_A_PROVIDER_KEY, options));
}

export async function testConnection(input: ConnectionTestInput, options: { http?: HttpOptions; signal?: AbortSignal } = {}): Promise<ConnectionTestResult> {
  const service = LABEL[input.kind];
  if (!input.credential) return result(false, false, false, `The ${service} connection has no ${CREDENTIAL[input.kind]} yet.`);
  const http = new HttpClient(input.url, { ...PROBE_HTTP, ...options.http, service });
  try {
    return input.kind === 'kura'
      ? await probeKura(http, input.credential, input.agentId ?? null, options.signal)
      : await probeBackside(http, input.credential, options.signal);
  } finally {
    await http.close();
  }
}

/** An agent Kura should know: one with a synced profile, else one this vault declares or uses. */
function knownAgent(vault: Vault): string | null {
  const profiles = vault.profiles.list();
  const synced = profiles.find((p) => p.hasToken && p.syncState !== 'failed');
  if (synced) return synced.agentId;
  const declared = vault.agents.list()[0];
  if (declared) return declared.agentId;
  return profiles[0]?.agentId ?? null;
}

/**
 * "Test connection" for the window and `remote test`: runs the test, keeps its outcome with the
 * connection (a proof moves "verified at"), and reports configured, verified and paused as the
 * separate facts they are.
 */
export async function testRemote(
  vault: Vault,
  kind: RemoteKind,
  options: { http?: HttpOptions; signal?: AbortSignal; now?: () => number } = {},
): Promise<RemoteTestResult> {
  const conn = vault.remotes.connection(kind);
  if (!conn) throw new KeyholdError('RemoteMissing', `No ${LABEL[kind]} connection is set yet.`, { field: `${kind}Connection` });
  const tested = await testConnection({ kind, url: conn.url, credential: conn.credential, agentId: kind === 'kura' ? knownAgent(vault) : null }, options);
  const at = (options.now ?? Date.now)();
  // Saved again while the test ran: the outcome is about the old pair, so it is not kept.
  const still = vault.remotes.connection(kind);
  if (still?.url === conn.url && still.credential === conn.credential) {
    vault.remotes.recordTest(kind, { ok: tested.ok, at, message: tested.message }, tested.credentialVerified);
  }
  const summary = vault.remotes.list().find((r) => r.kind === kind);
  const message =
    tested.ok && conn.paused ? `${tested.message} Syncing to ${LABEL[kind]} is still paused: save the ${CREDENTIAL[kind]} again to resume it.` : tested.message;
  return {
    kind,
    url: conn.url,
    ...tested,
    message,
    configured: summary?.configured ?? false,
    paused: conn.paused,
    testedAt: new Date(at).toISOString(),
    verifiedAt: summary?.verifiedAt ?? null,
    verifiedBy: summary?.verifiedBy ?? null,
  };
}
