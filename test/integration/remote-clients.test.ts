import { errors as undiciErrors } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isKeyholdError } from '../../src/shared/errors';
import { checkKey, setByokKey, validateKey, type BacksideConnection } from '../../src/core/sync/backside-client';
import { HttpClient, parseBaseUrl, type HttpOptions } from '../../src/core/sync/http';
import { upsertAuthProfile, type KuraUpsertRequest } from '../../src/core/sync/kura-client';
import { classifyError, failureCode, failureToError, redactSecrets, type RemoteFailure, type RemoteResult } from '../../src/core/sync/remote-errors';
import { BACKSIDE_TEST_TOKEN, startFakeBackside, type FakeBackside } from '../fakes/backside';
import { KURA_TEST_API_KEY, startFakeKura, type FakeKura } from '../fakes/kura';
import { z } from 'zod';

const PASSWORD = 'pw-s3cret-value-1';
const SHORT_VALUE = 'x9';
const QUOTED_VALUE = 'quote"and\\backslash-secret';
const GOOD_KEY = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123';
const BAD_KEY = 'sk-live-not-an-anthropic-key-0000';
const WRONG_API_KEY = 'kura-wrong-api-key-987654321';
const WRONG_TOKEN = 'backside-wrong-token-55555';
const FORBIDDEN_TOKEN = 'backside-readonly-token-4444';

let kura: FakeKura;
let backside: FakeBackside;
const clients: HttpClient[] = [];
const failures: RemoteFailure[] = [];
const tokensSeen = new Set<string>();

// Small timeouts keep the file fast; the tests assert classifications, never durations.
function client(url: string, opts: HttpOptions = {}): HttpClient {
  const c = new HttpClient(url, { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000, ...opts });
  clients.push(c);
  return c;
}

/** Records every failure so the last test can check that none of them leaked a secret. */
function seen<T>(r: RemoteResult<T>): RemoteResult<T> {
  if (!r.ok) failures.push(r);
  return r;
}

function expectFailure<T>(r: RemoteResult<T>, kind: RemoteFailure['kind']): RemoteFailure {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('expected a failure');
  expect(r.kind, r.message).toBe(kind);
  return r;
}

function expectOk<T>(r: RemoteResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.kind}: ${r.message}`);
  return r.body;
}

const profileReq = (over: Partial<KuraUpsertRequest> = {}): KuraUpsertRequest => ({
  agent_id: 'agent-1',
  api_key: KURA_TEST_API_KEY,
  auth_data: { username: 'alice', password: PASSWORD },
  name: 'work',
  should_save_session: true,
  ...over,
});

async function upsert(http: HttpClient, req: KuraUpsertRequest, signal?: AbortSignal) {
  const r = seen(await upsertAuthProfile(http, req, signal ? { signal } : {}));
  if (r.ok) tokensSeen.add(r.body.auth_token);
  if (req.auth_token) tokensSeen.add(req.auth_token);
  return r;
}

beforeAll(async () => {
  kura = await startFakeKura({ agents: { 'agent-1': ['username', 'password', 'otp'], 'agent-2': ['username', 'password'] } });
  backside = await startFakeBackside({ forbiddenTokens: [FORBIDDEN_TOKEN], denyKeys: [`${GOOD_KEY}-revoked`] });
});

afterEach(() => {
  kura.faults.clear();
  backside.faults.clear();
  kura.state.echoBodyInErrors = false;
  kura.state.updateReturnsToken = true;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([kura?.close(), backside?.close()]);
});

describe('base URLs', () => {
  it('refuses plain http:// to any host but loopback', () => {
    for (const url of ['http://example.com', 'http://10.0.0.1:8080/', 'http://[2001:db8::1]/', 'http://localhost.example.com', 'http://127.0.0.1.nip.io']) {
      let caught: unknown;
      try {
        new HttpClient(url);
      } catch (e) {
        caught = e;
      }
      expect(isKeyholdError(caught) && caught.code, url).toBe('RemoteInsecure');
    }
  });

  it('allows http:// to loopback and https:// anywhere, normalising trailing slashes', () => {
    expect(parseBaseUrl('http://127.8.9.10:1/').href).toBe('http://127.8.9.10:1');
    expect(parseBaseUrl('HTTP://LOCALHOST:3000').href).toBe('http://localhost:3000');
    expect(parseBaseUrl('http://[::1]:8080').href).toBe('http://[::1]:8080');
    expect(parseBaseUrl('https://api.example.com/kura///')).toEqual({
      origin: 'https://api.example.com',
      basePath: '/kura',
      href: 'https://api.example.com/kura',
    });
  });

  it('refuses credentials, queries, fragments and other schemes without echoing them', () => {
    for (const url of [
      'https://user:hunter2hunter2@api.example.com',
      'https://api.example.com/?key=abc',
      'https://api.example.com/#x',
      'https://api.example.com/?',
      'ftp://api.example.com',
      'not a url',
    ]) {
      let caught: unknown;
      try {
        parseBaseUrl(url);
      } catch (e) {
        caught = e;
      }
      expect(isKeyholdError(caught) && caught.code, url).toBe('BadInput');
      expect(String((caught as Error).message)).not.toContain('hunter2');
    }
  });

  it('sends requests under the base path', async () => {
    const r = await upsert(client(`${kura.url}/prefix/`, { service: 'Kura' }), profileReq());
    expectFailure(r, 'rejected');
    expect(kura.requests.at(-1)?.path).toBe('/prefix/api/upsert_agent_auth_profile');
  });
});

describe('Kura upsert_agent_auth_profile', () => {
  let http: HttpClient;
  beforeAll(() => {
    http = client(kura.url, { service: 'Kura' });
  });

  it('creates a profile and stores exactly what was sent', async () => {
    const body = expectOk(await upsert(http, profileReq({ name: 'create-me' })));
    expect(body.type).toBe('create');
    expect(body.name).toBe('create-me');
    const remote = kura.profile('agent-1', 'create-me');
    expect(remote).toMatchObject({
      token: body.auth_token,
      auth_data: { username: 'alice', password: PASSWORD },
      should_save_session: true,
    });
    expect(kura.requests.at(-1)?.body).toEqual({
      agent_id: 'agent-1',
      api_key: KURA_TEST_API_KEY,
      auth_data: { username: 'alice', password: PASSWORD },
      name: 'create-me',
      should_save_session: true,
    });
  });

  it('replaces a profile with the same agent and name, invalidating the old token', async () => {
    const first = expectOk(await upsert(http, profileReq({ name: 'twice' })));
    const second = expectOk(await upsert(http, profileReq({ name: 'twice', auth_data: { username: 'bob' } })));
    expect(second.type).toBe('replace');
    expect(second.auth_token).not.toBe(first.auth_token);
    expect(kura.state.invalidatedTokens.has(first.auth_token)).toBe(true);

    const stale = expectFailure(await upsert(http, profileReq({ name: 'twice', auth_token: first.auth_token })), 'notFound');
    expect(failureCode(stale)).toBe('RemoteProfileMissing');
    expect(kura.profile('agent-1', 'twice')?.auth_data).toEqual({ username: 'bob' });
  });

  it('updates in place and keeps the token, whether or not the answer repeats it', async () => {
    const created = expectOk(await upsert(http, profileReq({ name: 'upd' })));
    const updated = expectOk(
      await upsert(http, profileReq({ name: 'upd', auth_token: created.auth_token, auth_data: { otp: '123456' }, should_save_session: false })),
    );
    expect(updated).toEqual({ auth_token: created.auth_token, name: 'upd', type: 'update' });
    expect(kura.profile('agent-1', 'upd')).toMatchObject({ auth_data: { otp: '123456' }, should_save_session: false, updates: 1 });

    kura.state.updateReturnsToken = false;
    const silent = expectOk(await upsert(http, profileReq({ name: 'upd', auth_token: created.auth_token })));
    expect(silent).toEqual({ auth_token: created.auth_token, name: 'upd', type: 'update' });
  });

  it("a token used with another agent is a 403 for that profile, with Kura's reason, not a credentials failure", async () => {
    const created = expectOk(await upsert(http, profileReq({ name: 'bound' })));
    const r = expectFailure(await upsert(http, profileReq({ agent_id: 'agent-2', name: 'bound', auth_token: created.auth_token })), 'rejected');
    expect(r).toMatchObject({ status: 403, serverMessage: 'Auth token is bound to another agent' });
    expect(r.message).toBe('Kura refused this profile (HTTP 403): Auth token is bound to another agent. Re-create it to get a token for this agent.');
    expect(failureCode(r)).toBe('RemoteRejected');
  });

  it('reports a 404 on create (unknown agent) as rejected, with the server message', async () => {
    const r = expectFailure(await upsert(http, profileReq({ agent_id: 'agent-unknown' })), 'rejected');
    expect(r).toMatchObject({ status: 404, serverMessage: 'Agent not found' });
    expect(failureCode(r)).toBe('RemoteRejected');
  });

  it('rejects a create without a name and undeclared auth_data keys, keeping the message', async () => {
    const noName = expectFailure(await upsert(http, profileReq({ name: '' })), 'rejected');
    expect(noName.message).toContain('name is required');
    const undeclared = expectFailure(await upsert(http, profileReq({ auth_data: { otp2: 'x' } })), 'rejected');
    expect(undeclared).toMatchObject({ status: 422 });
    expect(undeclared.message).toContain('not declared: otp2');
  });

  it('reads FastAPI validation arrays without echoing their `input`', async () => {
    const r = seen(
      await http.request({
        method: 'POST',
        path: '/api/upsert_agent_auth_profile',
        json: { agent_id: 424242, api_key: KURA_TEST_API_KEY, auth_data: {} },
        schema: z.unknown(),
      }),
    );
    const f = expectFailure(r, 'rejected');
    expect(f).toMatchObject({ status: 422, serverMessage: 'agent_id: Field required' });
    expect(f.message).not.toContain('424242');
  });

  it('classifies a wrong API key as a credentials failure', async () => {
    const r = expectFailure(await upsert(http, profileReq({ api_key: WRONG_API_KEY })), 'credentials');
    expect(r).toMatchObject({ status: 401 });
    expect(failureToError(r).code).toBe('CredentialsRejected');
  });

  it('redacts every secret a server echoes back in its error message', async () => {
    kura.state.echoBodyInErrors = true;
    const created = expectOk(await upsert(http, profileReq({ name: 'echo' })));
    const secretsData = { password: PASSWORD, username: SHORT_VALUE, otp: QUOTED_VALUE, undeclared_key: 'v' };
    for (const req of [
      profileReq({ name: 'echo', auth_data: secretsData }),
      profileReq({ name: 'echo', auth_data: secretsData, auth_token: created.auth_token }),
    ]) {
      const r = expectFailure(await upsert(http, req), 'rejected');
      expect(r.message).toContain('not declared: undeclared_key');
      expect(r.message).toContain('[redacted]');
      for (const secret of [KURA_TEST_API_KEY, PASSWORD, `"${SHORT_VALUE}"`, QUOTED_VALUE, JSON.stringify(QUOTED_VALUE).slice(1, -1), created.auth_token]) {
        expect(r.message).not.toContain(secret);
      }
    }
  });
});

describe('Backside byok-key and validate-key', () => {
  let conn: BacksideConnection;
  beforeAll(() => {
    conn = { http: client(backside.url, { service: 'Backside' }), token: BACKSIDE_TEST_TOKEN };
  });

  it('sets a key, sending the bearer token, and returns the parsed row', async () => {
    const row = expectOk(seen(await setByokKey(conn, 'claude-code', GOOD_KEY)));
    // The fake writes what the seed allows and a strict client might refuse: an unusual status
    // word, offset datetimes with microseconds, a field the seed does not list.
    expect(row).toMatchObject({ agent_kind: 'claude-code', byok_status: 'active', byok_status_reason: null, tenant_id: backside.state.tenantId });
    expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(row.byok_key_fingerprint).toBe('fp_1f2e3d');
    expect(row.guardrails).toEqual({ max_tool_calls: 200, allow_network: true });
    expect(backside.state.keys.get('claude-code')).toBe(GOOD_KEY);
    const sent = backside.requests.at(-1);
    expect(sent).toMatchObject({ method: 'PUT', path: '/api/v1/agent-configs/claude-code/byok-key', body: { api_key: GOOD_KEY } });
    expect(sent?.headers.authorization).toBe(`Bearer ${BACKSIDE_TEST_TOKEN}`);

    const rotated = expectOk(seen(await setByokKey(conn, 'claude-code', `${GOOD_KEY}-2`)));
    expect(rotated.id).toBe(row.id);
    expect(backside.state.keys.get('claude-code')).toBe(`${GOOD_KEY}-2`);
  });

  it('rejects a key the probe refuses, with the reason, and stores nothing', async () => {
    for (const [key, reason] of [
      [BAD_KEY, 'invalid x-api-key'],
      [`${GOOD_KEY}-revoked`, 'revoked'],
    ] as const) {
      const r = expectFailure(seen(await setByokKey(conn, 'researcher', key)), 'rejected');
      expect(r).toMatchObject({ status: 422 });
      expect(r.message).toContain(reason);
    }
    expect(backside.state.keys.has('researcher')).toBe(false);
  });

  it('reports an unknown agent kind as rejected and encodes the kind as one path segment', async () => {
    const r = expectFailure(seen(await setByokKey(conn, 'team/a b', GOOD_KEY)), 'rejected');
    expect(r).toMatchObject({ status: 404 });
    expect(r.message).toContain('does not know this agent kind');
    expect(backside.requests.at(-1)?.path).toBe('/api/v1/agent-configs/team%2Fa%20b/byok-key');
    expectFailure(seen(await setByokKey(conn, '..', GOOD_KEY)), 'rejected');
    expect(backside.requests.at(-1)?.path).toBe('/api/v1/agent-configs/%2E%2E/byok-key');
  });

  it('classifies 401 and 403 as credentials failures', async () => {
    const wrong = expectFailure(seen(await setByokKey({ ...conn, token: WRONG_TOKEN }, 'claude-code', GOOD_KEY)), 'credentials');
    expect(wrong.status).toBe(401);
    const forbidden = expectFailure(seen(await setByokKey({ ...conn, token: FORBIDDEN_TOKEN }, 'claude-code', GOOD_KEY)), 'credentials');
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toContain('may not change agent configs');
  });

  it('refuses locally, without retrying, a token that no HTTP header can carry', async () => {
    const before = backside.requests.length;
    const r = expectFailure(seen(await setByokKey({ ...conn, token: 'tok\u0001en' }, 'claude-code', GOOD_KEY)), 'rejected');
    expect(r.status).toBe(0);
    expect(backside.requests.length).toBe(before);
  });

  it('validates a key without storing it: accepted, refused with the reason, refused in a 2xx body', async () => {
    expect(expectOk(seen(await validateKey(conn, GOOD_KEY)))).toEqual({ valid: true });
    expect(expectOk(seen(await checkKey(conn, GOOD_KEY)))).toEqual({ accepted: true, message: 'Backside accepted the key.', answer: { valid: true } });
    expect(expectOk(seen(await checkKey(conn, BAD_KEY)))).toEqual({
      accepted: false,
      message: 'Backside refused the key (HTTP 422): The provider rejected this key: invalid x-api-key.',
      answer: null,
    });
    backside.faults.next({ kind: 'malformed', body: JSON.stringify({ valid: false, reason: 'no credit left' }) });
    expect(expectOk(seen(await checkKey(conn, GOOD_KEY)))).toMatchObject({ accepted: false, message: 'Backside refused the key: no credit left' });
    expect(backside.state.keys.has('researcher')).toBe(false);
    expectFailure(seen(await checkKey({ ...conn, token: WRONG_TOKEN }, GOOD_KEY)), 'credentials');
  });

  it('reads the row as the seed types it and no stricter: any status word, offsets, any guardrails, extra fields kept', async () => {
    const row = {
      agent_kind: 'claude-code',
      byok_status: 'valid',
      created_at: '2023-11-07T05:31:56Z',
      guardrails: null,
      id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      tenant_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      updated_at: '2023-11-07T05:31:56.123+00:00',
    };
    backside.faults.next({ kind: 'malformed', body: JSON.stringify({ ...row, byok_key_version: 3 }) });
    expect(expectOk(seen(await setByokKey(conn, 'claude-code', GOOD_KEY)))).toEqual({ ...row, byok_key_version: 3 });

    for (const liberal of [
      { created_at: '2026-12-03T05:31:56.123456+00:00', updated_at: '2026-12-03 05:31:56-07:30', byok_last_probed_at: '2026-12-03t05:31:56z' },
      { byok_status: 'pending-review', byok_status_reason: null, guardrails: [1, 'two', { three: null }] },
      { byok_status: '', guardrails: 'strict', schedule: null, budget_default_cents: 2 ** 53 + 2 },
      { id: '3C90C3CC-0D44-4B50-8888-8DD25736052A', deadline_default_seconds: null },
    ]) {
      backside.faults.next({ kind: 'malformed', body: JSON.stringify({ ...row, ...liberal }) });
      // An int64 beyond 2^53 is not a safe integer, but it is a whole number: kept.
      const { budget_default_cents: big, ...exact } = liberal as Record<string, unknown>;
      const parsed = expectOk(seen(await setByokKey(conn, 'claude-code', GOOD_KEY)));
      expect(parsed).toMatchObject(exact);
      if (big !== undefined) expect(parsed.budget_default_cents).toBe(big);
    }

    const { guardrails: _dropped, ...noGuardrails } = row;
    for (const [body, field] of [
      [noGuardrails, 'guardrails'],
      [{ ...row, id: 'not-a-uuid' }, 'id'],
      [{ ...row, created_at: 'yesterday' }, 'created_at'],
      [{ ...row, updated_at: '2026-13-03T05:31:56Z' }, 'updated_at'],
      [{ ...row, byok_status: 7 }, 'byok_status'],
      [{ ...row, budget_default_cents: 1.5 }, 'budget_default_cents'],
      [[row], ''],
    ] as const) {
      backside.faults.next({ kind: 'malformed', body: JSON.stringify(body) });
      const r = expectFailure(seen(await setByokKey(conn, 'claude-code', GOOD_KEY)), 'badResponse');
      expect(r.message).toContain(field);
    }
  });
});

describe('fault classification', () => {
  let http: HttpClient;
  beforeAll(() => {
    http = client(kura.url, { service: 'Kura', headersTimeoutMs: 150, bodyTimeoutMs: 150 });
  });

  it.each([500, 502, 503, 408, 429])('HTTP %i is transient and changes nothing', async (status) => {
    const before = kura.state.profiles.size;
    kura.faults.next({ kind: 'status', status });
    const r = expectFailure(await upsert(http, profileReq({ name: `status-${status}` })), 'transient');
    expect(r).toMatchObject({ status, reason: 'status' });
    expect(r).not.toHaveProperty('retryAfterMs');
    expect(kura.state.profiles.size).toBe(before);
    expect(failureCode(r)).toBe('RemoteUnavailable');
  });

  it('reads Retry-After in seconds and as an HTTP-date', async () => {
    const now = Date.UTC(2026, 4, 1, 9, 30, 0);
    const fixed = client(kura.url, { service: 'Kura', now: () => now });
    kura.faults.next({ kind: 'status', status: 429, retryAfter: 7 });
    expect(await upsert(fixed, profileReq())).toMatchObject({ kind: 'transient', retryAfterMs: 7_000 });
    kura.faults.next({ kind: 'status', status: 503, retryAfter: new Date(now + 30_000).toUTCString() });
    expect(await upsert(fixed, profileReq())).toMatchObject({ kind: 'transient', retryAfterMs: 30_000 });
    kura.faults.next({ kind: 'status', status: 503, retryAfter: 'whenever' });
    expect(await upsert(fixed, profileReq())).not.toHaveProperty('retryAfterMs');
  });

  it('a reset before processing is transient and changes nothing', async () => {
    kura.faults.next({ kind: 'resetBefore' });
    const r = expectFailure(await upsert(http, profileReq({ name: 'reset-before' })), 'transient');
    expect(r).toMatchObject({ reason: 'network', status: null });
    expect(kura.profile('agent-1', 'reset-before')).toBeUndefined();
  });

  it('a reset after processing is transient, but the server did it: a retried create becomes a replace', async () => {
    kura.faults.next({ kind: 'resetAfter' });
    expectFailure(await upsert(http, profileReq({ name: 'lost-answer' })), 'transient');
    const lost = kura.profile('agent-1', 'lost-answer');
    expect(lost).toBeDefined();
    const retry = expectOk(await upsert(http, profileReq({ name: 'lost-answer' })));
    expect(retry.type).toBe('replace');
    expect(kura.state.invalidatedTokens.has(lost?.token as string)).toBe(true);
  });

  it('never retries a request on its own, even an idempotent PUT', async () => {
    const conn = { http: client(backside.url, { service: 'Backside' }), token: BACKSIDE_TEST_TOKEN };
    const before = backside.requests.length;
    backside.faults.next({ kind: 'resetAfter' });
    expectFailure(seen(await setByokKey(conn, 'researcher', GOOD_KEY)), 'transient');
    expect(backside.requests.length - before).toBe(1);
    expect(backside.state.keys.get('researcher')).toBe(GOOD_KEY);
  });

  it('honours the headers timeout and the body timeout', async () => {
    kura.faults.next({ kind: 'slow', delayMs: 3_000 });
    expect(expectFailure(await upsert(http, profileReq({ name: 'slow' })), 'transient')).toMatchObject({ reason: 'timeout' });
    kura.faults.next({ kind: 'slowBody', delayMs: 3_000 });
    const body = expectFailure(await upsert(http, profileReq({ name: 'slow-body' })), 'transient');
    expect(body).toMatchObject({ reason: 'timeout' });
    expect(body.message).toContain('reading the answer');
  });

  it('turns malformed 2xx answers into badResponse, never a crash', async () => {
    for (const [body, hint] of [
      [undefined, 'not JSON'],
      ['', 'not JSON'],
      [JSON.stringify({ auth_token: 'tok-abcdef', name: 'n', type: 'upsert' }), 'type'],
      [JSON.stringify({ auth_token: 5, name: 'n', type: 'create' }), 'auth_token'],
      [JSON.stringify({ name: 'n', type: 'create' }), 'auth_token'],
      [JSON.stringify({ auth_token: 'tok-abcdef', name: 'n', type: 'update' }), 'does not allow'],
      // A token no environment variable, header or terminal can carry as it is: refused like a credential typed in.
      [JSON.stringify({ auth_token: 'tok-ab\ncdef', name: 'n', type: 'create' }), 'Kura auth token may not contain spaces, line breaks or control characters'],
      [JSON.stringify({ auth_token: 'tok-\u001b]0;x\u0007', name: 'n', type: 'create' }), 'control characters'],
      [JSON.stringify({ auth_token: 'tok-\u0000', name: 'n', type: 'create' }), 'control characters'],
      [JSON.stringify({ auth_token: 't'.repeat(4097), name: 'n', type: 'create' }), 'longer than 4096'],
    ] as const) {
      kura.faults.next(body === undefined ? { kind: 'malformed' } : { kind: 'malformed', body });
      const r = expectFailure(await upsert(http, profileReq({ name: 'malformed' })), 'badResponse');
      expect(r.message).toContain(hint);
      expect(failureCode(r)).toBe('RemoteBadResponse');
    }
  });

  it('refuses a 2xx answer larger than the limit, and does not follow redirects', async () => {
    const small = client(kura.url, { service: 'Kura', maxResponseBytes: 16 });
    expect(expectFailure(await upsert(small, profileReq({ name: 'big' })), 'badResponse').message).toContain('larger');
    kura.faults.next({ kind: 'status', status: 302, body: '' });
    expect(expectFailure(await upsert(http, profileReq()), 'badResponse')).toMatchObject({ status: 302 });
  });

  it('extracts the server message from message/error fields and text, bounded in length', async () => {
    const cases: [string, string][] = [
      [JSON.stringify({ error: { message: 'nested reason' } }), 'nested reason'],
      [JSON.stringify({ error: 'bad_thing', message: 'readable reason' }), 'readable reason'],
      ['plain text reason', 'plain text reason'],
      ['<html><body><h1>Teapot</h1></body></html>', 'Teapot'],
      ['line\u001b[31m one\nline two', 'line [31m one line two'],
    ];
    for (const [body, expected] of cases) {
      kura.faults.next({ kind: 'status', status: 418, body });
      const r = expectFailure(await upsert(http, profileReq()), 'rejected');
      expect(r).toMatchObject({ status: 418, serverMessage: expected });
    }
    kura.faults.next({ kind: 'status', status: 400, body: JSON.stringify({ detail: 'é'.repeat(5_000) }) });
    const long = expectFailure(await upsert(http, profileReq()), 'rejected');
    expect(long.kind === 'rejected' && Array.from(long.serverMessage ?? '').length).toBe(301);
  });

  it('a server that is down is transient, and the same client works when it is back on the same port', async () => {
    const own = client(kura.url, { service: 'Kura' });
    expectOk(await upsert(own, profileReq({ name: 'before-down' })));
    const url = kura.url;
    await kura.stop();
    try {
      const r = expectFailure(await upsert(own, profileReq({ name: 'while-down' })), 'transient');
      expect(r).toMatchObject({ reason: 'network', status: null });
    } finally {
      await kura.start();
    }
    expect(kura.url).toBe(url);
    expectOk(await upsert(own, profileReq({ name: 'after-down' })));
  });

  it('an aborted request and a closed client give results, not exceptions', async () => {
    const controller = new AbortController();
    kura.faults.next({ kind: 'slow', delayMs: 1_000 });
    const pending = upsert(client(kura.url, { service: 'Kura' }), profileReq(), controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(expectFailure(await pending, 'transient')).toMatchObject({ reason: 'aborted' });

    const closed = client(kura.url, { service: 'Kura' });
    await closed.close();
    expect(expectFailure(await upsert(closed, profileReq()), 'transient')).toMatchObject({ reason: 'network' });
  });

  it('a view made with a signal is kept per signal, and a view of a view is cancelled by either signal', async () => {
    const base = client(kura.url, { service: 'Kura' });
    const [a, b] = [new AbortController(), new AbortController()];
    expect(base.withSignal(a.signal)).toBe(base.withSignal(a.signal));
    expect(base.withSignal(b.signal)).not.toBe(base.withSignal(a.signal));
    const both = base.withSignal(a.signal).withSignal(b.signal);
    expect(both).not.toBe(base.withSignal(b.signal));
    for (const outer of [true, false]) {
      const [first, second] = [new AbortController(), new AbortController()];
      kura.faults.next({ kind: 'slow', delayMs: 1_000 });
      const pending = upsert(base.withSignal(first.signal).withSignal(second.signal), profileReq({ name: `cancel-${outer}` }));
      setTimeout(() => (outer ? first : second).abort(), 20);
      expect(expectFailure(await pending, 'transient')).toMatchObject({ reason: 'aborted' });
    }
  });

  it("a view's signal stops every request made through it, whether sent or still waiting for a socket, and nothing after", async () => {
    const one = client(kura.url, { service: 'Kura', connections: 1 });
    const stop = new AbortController();
    const view = one.withSignal(stop.signal);
    kura.faults.next({ kind: 'slow', delayMs: 1_000 });
    const before = kura.requests.length;
    // The first holds the only socket; the other two wait for it inside undici's queue.
    const pending = ['sent', 'queued-1', 'queued-2'].map((name) => upsert(view, profileReq({ name })));
    setTimeout(() => stop.abort(), 20);
    for (const result of await Promise.all(pending)) expect(expectFailure(result, 'transient')).toMatchObject({ reason: 'aborted' });
    expect(expectFailure(await upsert(view, profileReq({ name: 'after' })), 'transient')).toMatchObject({ reason: 'aborted' });
    // Only the first ever reached the server; the queued ones never left.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kura.requests.slice(before).map((r) => (r.body as { name?: string } | undefined)?.name)).toEqual(['sent']);
    // The connection itself still works for a view with a live signal.
    expectOk(await upsert(one.withSignal(new AbortController().signal), profileReq({ name: 'afterwards' })));
  });

  it('a request cancelled while it waits for a socket settles at once, before the request holding the socket', async () => {
    const one = client(kura.url, { service: 'Kura', connections: 1 });
    kura.faults.next({ kind: 'slow', delayMs: 300 });
    const order: string[] = [];
    const holding = upsert(one, profileReq({ name: 'holding' })).then((r) => (order.push('holding'), r));
    const cancel = new AbortController();
    const waiting = upsert(one, profileReq({ name: 'waiting' }), cancel.signal).then((r) => (order.push('waiting'), r));
    setTimeout(() => cancel.abort(), 20);
    expect(expectFailure(await waiting, 'transient')).toMatchObject({ reason: 'aborted' });
    expectOk(await holding);
    expect(order).toEqual(['waiting', 'holding']);
  });

  it('cuts off an error answer at its limit and still reports the status and the start of what the server said', async () => {
    kura.faults.next({ kind: 'status', status: 400, body: `too much ${'x'.repeat(2 * 1024 * 1024)}` });
    const r = expectFailure(await upsert(http, profileReq({ name: 'huge-error' })), 'rejected');
    expect(r).toMatchObject({ status: 400 });
    expect(r.kind === 'rejected' && r.serverMessage?.startsWith('too much xxx')).toBe(true);
    // The cut-off request left the connection usable.
    expectOk(await upsert(http, profileReq({ name: 'after-huge-error' })));
  });

  it('limits concurrent requests per connection', async () => {
    const own = await startFakeKura();
    try {
      own.faults.latencyMs = 50;
      const limited = client(own.url, { service: 'Kura', connections: 2 });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => upsertAuthProfile(limited, profileReq({ name: `p${i}` }))));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(own.state.profiles.size).toBe(8);
      expect(own.maxInFlight).toBeLessThanOrEqual(2);
      expect(own.maxInFlight).toBeGreaterThanOrEqual(1);
    } finally {
      await own.close();
    }
  });

  it('classifies thrown errors by code alone: connect timeouts, TLS, resets, anything else', () => {
    expect(classifyError(new undiciErrors.ConnectTimeoutError(), 'Kura')).toMatchObject({ kind: 'transient', reason: 'timeout' });
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(classifyError(tls, 'Kura')).toMatchObject({ reason: 'tls', message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT') });
    const reset = new undiciErrors.SocketError('other side closed');
    (reset as Error).cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyError(reset, 'Kura')).toMatchObject({ reason: 'network', message: 'Could not reach Kura (ECONNRESET).' });
    const odd = classifyError(new Error(`boom ${GOOD_KEY}`), 'Kura');
    expect(odd).toMatchObject({ kind: 'transient', reason: 'network' });
    expect(odd.message).not.toContain(GOOD_KEY);
  });

  it('redacts short secrets only where they stand alone', () => {
    expect(redactSecrets('value 12 in "12" and 4123', ['12'])).toBe('value [redacted] in "[redacted]" and 4123');
    expect(redactSecrets('abcsecret-longer-valuexyz', ['secret-longer-value'])).toBe('abc[redacted]xyz');
  });
});

describe('secrets', () => {
  it('no failure message in this file contains a secret', () => {
    expect(failures.length).toBeGreaterThan(30);
    const secrets = [
      KURA_TEST_API_KEY,
      WRONG_API_KEY,
      BACKSIDE_TEST_TOKEN,
      WRONG_TOKEN,
      FORBIDDEN_TOKEN,
      GOOD_KEY,
      BAD_KEY,
      PASSWORD,
      QUOTED_VALUE,
      ...tokensSeen,
    ];
    for (const f of failures) {
      for (const s of secrets) {
        expect(f.message).not.toContain(s);
        if (f.kind !== 'transient' && f.kind !== 'badResponse') expect(f.serverMessage ?? '').not.toContain(s);
      }
    }
  });
});
