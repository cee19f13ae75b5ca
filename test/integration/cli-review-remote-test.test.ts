import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';
import { keyhold } from '../helpers/cli';
import { cliHome } from '../helpers/cli-home';

// `keyhold remote test kura|backside`, reviewed as an attacker and as a tired user.
const API_KEY = 'kura-api-key-review-secret-4f9a1c';
const TOKEN = 'backside-token-review-secret-77d2e0';

let h: Awaited<ReturnType<typeof cliHome>>;
let server: Server;
let url: string;
/** What the fake answers; each test sets it. The request body is passed in, to echo back. */
let answer: (body: string, res: ServerResponse) => void = (_b, res) => res.end('{}');
const run = (args: string[], input?: string, env: Record<string, string> = {}) =>
  keyhold(args, { env: { ...h.env, ...env }, ...(input === undefined ? {} : { input }) });

interface TestJson {
  kind: string;
  url: string;
  ok: boolean;
  configured: boolean;
  reached: boolean;
  credentialVerified: boolean;
  message: string;
  verifiedAt: string | null;
}

beforeAll(async () => {
  h = await cliHome('keyhold-cli-review-remote-');
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => answer(body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  h.cleanup();
});

describe('remote test', () => {
  it('no connection, or a connection without its credential: exit 7, and what to type', async () => {
    const none = await run(['remote', 'test', 'kura']);
    expect(none.code).toBe(EXIT.remote);
    expect(none.stderr).toBe('keyhold: No Kura connection is set yet. Set it with "keyhold remote set kura --url URL --api-key-stdin".\n');

    expect((await run(['remote', 'set', 'kura', '--url', url])).code).toBe(0);
    expect((await run(['remote', 'set', 'backside', '--url', url])).code).toBe(0);
    const kura = await run(['remote', 'test', 'kura']);
    expect(kura.code).toBe(EXIT.remote);
    expect(kura.stdout).toMatch(/^configured: +no$/m);
    // It said only "The Kura connection has no API key yet.", not how to give one.
    expect(kura.stdout).toMatch(/^The Kura connection has no API key yet\. Give it with "keyhold remote set kura --url URL --api-key-stdin"\.\n$/m);
    const backside = await run(['remote', 'test', 'backside']);
    expect(backside.stdout).toMatch(/^The Backside connection has no token yet\. Give it with "keyhold remote set backside --url URL --token-stdin"\.\n$/m);
    // --json keeps the engine's words, without CLI syntax.
    const json = (await run(['remote', 'test', 'kura', '--json'])).json<TestJson>();
    expect(json).toMatchObject({ kind: 'kura', ok: false, configured: false, reached: false, credentialVerified: false });
    expect(json.message).toBe('The Kura connection has no API key yet.');
  });

  it('an unknown, empty or escape-laden kind is a usage error, shown escaped', async () => {
    for (const [kind, shown] of [
      ['gitlab', 'gitlab'],
      ['', ''],
      ['kura\u001b[2J\u202e', 'kura\\x1b[2J\\u202e'],
    ]) {
      const r = await run(['remote', 'test', kind!]);
      expect(r.code, JSON.stringify(kind)).toBe(EXIT.usage);
      expect(r.stderr).toBe(`keyhold: Unknown connection "${shown}": use "kura" or "backside".\n`);
    }
  });

  describe('with credentials set', () => {
    beforeAll(async () => {
      expect((await run(['remote', 'set', 'kura', '--url', url, '--api-key-stdin'], API_KEY)).code).toBe(0);
      expect((await run(['remote', 'set', 'backside', '--url', url, '--token-stdin'], TOKEN)).code).toBe(0);
      // With an agent known, the Kura test sends the API key (with none it does not).
      expect((await run(['agent', 'set', 'crm', '--args', 'A'])).code).toBe(0);
    });

    const both = async () => [await run(['remote', 'test', 'kura', '--json']), await run(['remote', 'test', 'backside', '--json'])];

    it('401: refused, exit 7, credential not verified', async () => {
      answer = (_b, res) => {
        res.statusCode = 401;
        res.end('{"detail":"Invalid credentials"}');
      };
      for (const r of await both()) {
        expect(r.code).toBe(EXIT.remote);
        const j = r.json<TestJson>();
        expect(j).toMatchObject({ ok: false, configured: true, reached: true, credentialVerified: false, verifiedAt: null });
        expect(j.message).toMatch(/refused the (API key|token) \(HTTP 401\) \(Invalid credentials\)\. Check it and save it again\.$/);
      }
    });

    it('500 or a 200 that is not JSON: exit 7, not verified', async () => {
      answer = (_b, res) => {
        res.statusCode = 500;
        res.end('boom');
      };
      for (const r of await both()) {
        expect(r.code).toBe(EXIT.remote);
        expect(r.json<TestJson>()).toMatchObject({ ok: false, reached: true, credentialVerified: false });
        expect(r.json<TestJson>().message).toMatch(/was reached but is not working right now: .* \(HTTP 500\)\.$/);
      }
      answer = (_b, res) => res.end('<html>not json');
      for (const r of await both()) {
        expect(r.code).toBe(EXIT.remote);
        expect(r.json<TestJson>()).toMatchObject({ ok: false, credentialVerified: false });
        expect(r.json<TestJson>().message).toMatch(/sent an answer that is not JSON\. Check the address\.$/);
      }
    });

    it('a server that echoes the request with terminal escapes and forged lines: no credential, no escape, no forged line', async () => {
      answer = (body, res) => {
        res.statusCode = 401;
        res.end(JSON.stringify({ detail: `bad ${body}\ncredential verified:  yes \u001b]0;pwned\u0007\u202e` }));
      };
      for (const kind of ['kura', 'backside']) {
        const r = await run(['remote', 'test', kind]);
        expect(r.code).toBe(EXIT.remote);
        const all = r.stdout + r.stderr;
        expect(all).not.toContain(API_KEY);
        expect(all).not.toContain(TOKEN);
        for (const c of ['\u001b', '\u0007', '\u202e']) expect(all).not.toContain(c);
        expect(r.stdout).toMatch(/^credential verified: +no, not by this test$/m);
        expect(r.stdout).not.toMatch(/^credential verified: +yes/m);
      }
    });

    it('unreachable: exit 7, reached no', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect((await run(['remote', 'set', 'backside', '--url', `http://127.0.0.1:${port}`, '--token-stdin'], TOKEN)).code).toBe(0);
      const r = await run(['remote', 'test', 'backside']);
      expect(r.code).toBe(EXIT.remote);
      expect(r.stdout).toMatch(/^reached: +no$/m);
      expect(r.stdout).toMatch(/^Backside is unreachable: .*Check the address and your network\.$/m);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    });

    it('a wrong password or no vault: its own exit code', async () => {
      expect((await run(['remote', 'test', 'kura'], undefined, { KEYHOLD_PASSWORD: 'not the password' })).code).toBe(EXIT.wrongPassword);
      expect((await run(['remote', 'test', 'kura'], undefined, { KEYHOLD_VAULT: `${h.dir}/nowhere` })).code).toBe(EXIT.vault);
    });
  });
});
