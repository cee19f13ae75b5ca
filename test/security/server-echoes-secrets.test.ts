import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setByokKey } from '../../src/core/sync/backside-client';
import { HttpClient } from '../../src/core/sync/http';
import { upsertAuthProfile } from '../../src/core/sync/kura-client';
import { cliVault } from './cli-env';

// Attack: a Kura or Backside server (hostile, or a proxy's error page) that echoes what it was
// sent. Backside's answer to a key is kept with the key and shown by `byok list` and `byok show`
// without --reveal: an answer holding the key (or the connection's bearer token) put both on
// screen and in the vault's listing cell. Error text was redacted only in the raw, JSON and URL
// forms: an HTML page (&quot;), base64 or \u escapes got the Kura API key or a value into
// `status` and the stored lastError. And Kura answering an update with another profile's token
// (or about another name) was taken as this profile's token.

const API_KEY = 'sk-ant-api03-<ECHO>&"secret"-0123456789abcdef';
const TOKEN = 'backside-bearer-TOKEN-0123456789';
const KURA_KEY = 'kura-api-key-<&>"-XYZ123456';
const VALUE = 'pässwörd-Ünïcode-0123456789';

let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void = () => undefined;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const reply = (res: ServerResponse, status: number, type: string, body: string) => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escapedU = (s: string) =>
  JSON.stringify(s)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const req = (over: Record<string, unknown> = {}) => ({
  agent_id: 'crm',
  api_key: KURA_KEY,
  auth_data: { PASSWORD: VALUE },
  name: 'prod',
  should_save_session: false,
  ...over,
});

describe('a server that echoes what it was sent', () => {
  it("Backside's kept answer holds neither the key nor the bearer token", async () => {
    answer = (_req, body, res) => {
      const key = (JSON.parse(body) as { api_key: string }).api_key;
      reply(
        res,
        200,
        'application/json',
        JSON.stringify({
          id: '11111111-2222-4333-8444-555555555555',
          tenant_id: '11111111-2222-4333-8444-666666666666',
          agent_kind: 'claude-code',
          created_at: '2026-12-04T00:00:00Z',
          updated_at: '2026-12-04T00:00:00Z',
          guardrails: null,
          byok_status: `active ${key}`,
          byok_status_reason: `key ${key} ok, token Bearer ${TOKEN}`,
          echo: html(key),
        }),
      );
    };
    const r = await setByokKey({ http: new HttpClient(base), token: TOKEN }, 'claude-code', API_KEY);
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    const kept = JSON.stringify(r.ok ? r.body : null);
    expect(kept).toContain('[redacted]');
    for (const secret of [API_KEY, TOKEN, html(API_KEY), JSON.stringify(API_KEY).slice(1, -1)]) expect(kept).not.toContain(secret);
  });

  it.each([
    ['an HTML page', 401, 'text/html', `<p>Invalid API key &quot;${html(KURA_KEY)}&quot;</p>`],
    ['base64', 422, 'text/plain', `bad value: ${Buffer.from(VALUE).toString('base64')}`],
    ['\\u escapes', 422, 'text/plain', `bad value: ${escapedU(VALUE)}`],
  ])('keeps secrets out of the error text when it echoes them as %s', async (_what, status, type, body) => {
    answer = (_req, _body, res) => reply(res, status, type, body);
    const r = await upsertAuthProfile(new HttpClient(base), req());
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.message;
    expect(message).toContain('[redacted]');
    for (const leaked of [KURA_KEY, html(KURA_KEY), VALUE, Buffer.from(VALUE).toString('base64'), escapedU(VALUE)]) expect(message).not.toContain(leaked);
  });

  it("refuses an update answered with another token, or an answer about another profile's name", async () => {
    answer = (_req, _body, res) => reply(res, 200, 'application/json', JSON.stringify({ auth_token: 'tok-OF-ANOTHER-PROFILE', name: 'prod', type: 'update' }));
    const update = await upsertAuthProfile(new HttpClient(base), req({ auth_token: 'tok-of-this-profile' }));
    expect(update).toMatchObject({ ok: false, kind: 'badResponse' });
    expect(update.ok ? '' : update.message).not.toContain('tok-');
    answer = (_req, _body, res) => reply(res, 200, 'application/json', JSON.stringify({ auth_token: 'tok-new', name: 'someone-else', type: 'create' }));
    expect(await upsertAuthProfile(new HttpClient(base), req())).toMatchObject({ ok: false, kind: 'badResponse' });
    // The same token back, or none, is the update the API describes.
    answer = (_req, _body, res) => reply(res, 200, 'application/json', JSON.stringify({ auth_token: 'tok-of-this-profile', name: 'prod', type: 'update' }));
    expect(await upsertAuthProfile(new HttpClient(base), req({ auth_token: 'tok-of-this-profile' }))).toMatchObject({ ok: true });
  });
});

describe('redact and run on a secret inside a quoted string', () => {
  const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKB\n-----END PRIVATE KEY-----';
  const QUOTED = 'pa"ss\\word-12345';

  it('conceals them as JSON (Claude Code hands redact its tool output as JSON), Python and HTML print them', async () => {
    const v = await cliVault('keyhold-sec-quoted-');
    try {
      await v.ok(['profile', 'add', '--agent', 'gcp', '--name', 'sa', '--set-stdin', 'PRIVATE_KEY', '--draft'], PEM);
      await v.ok(['profile', 'add', '--agent', 'app', '--name', 'q', '--set', `Q=${QUOTED}`, '--set', `U=${VALUE}`, '--draft']);
      const hook = JSON.stringify({ tool_response: { stdout: `cat key.pem\n${PEM}\n`, other: { q: QUOTED } } });
      const pyRepr = `b'${[...Buffer.from(VALUE)].map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16)}`)).join('')}'`;
      const input = [hook, escapedU(VALUE), pyRepr, html(QUOTED)].join('\n');
      const r = await v.ok(['redact'], input);
      for (const leaked of [
        JSON.stringify(PEM).slice(1, -1),
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
        JSON.stringify(QUOTED).slice(1, -1),
        escapedU(VALUE),
        pyRepr.slice(2, -1),
        html(QUOTED),
      ]) {
        expect(r.stdout).not.toContain(leaked);
      }
      expect(r.stdout).toContain('"tool_response"');
      const run = await v.ok(['run', '--profile', 'gcp/sa', '--', process.execPath, '-e', 'console.log(JSON.stringify({ k: process.env.PRIVATE_KEY }))']);
      expect(run.stdout).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
      expect(run.stdout).toMatch(/^\{"k":".*"\}\n$/);
    } finally {
      v.cleanup();
    }
  });
});
