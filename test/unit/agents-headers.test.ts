import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyValue,
  detectDotenv,
  detectJson,
  detectToml,
  formatPath,
  importFindings,
  importTarget,
  planWrap,
  publicFinding,
  scan,
  wrapDiff,
  type WrapOptions,
} from '../../src/core/agents';
import { useCleanups } from '../helpers/cleanup';
import { lookalike, randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';

// Remote MCP servers have a URL and headers, not a command: a credential header holds a secret
// whatever its format. Before, only a value of a known key format was found there, and under the
// header's name (`Authorization`, with its `Bearer `).

const cleanups = useCleanups();
const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const shape = (found: ReturnType<typeof detectJson>) => found.map((f) => [f.line, f.server, f.name, f.rule, f.label, f.value]);

describe('credential headers of remote servers', () => {
  it("JSON (Claude Code's .mcp.json): an opaque bearer token, an API key header, each under a name of its server", () => {
    const token = randomChars(40);
    const key = randomChars(32);
    const text = JSON.stringify(
      {
        mcpServers: {
          linear: { type: 'http', url: 'https://mcp.linear.example.com/mcp', headers: { Authorization: `Bearer ${token}` } },
          'context-7': { type: 'sse', url: 'https://mcp.context7.example.com/sse', headers: { 'X-API-Key': key, Accept: 'text/event-stream' } },
        },
      },
      null,
      2,
    );
    expect(shape(detectJson(text))).toEqual([
      [7, 'linear', 'LINEAR_TOKEN', 'authorization-header', 'Authorization header', token],
      [14, 'context-7', 'CONTEXT_7_API_KEY', 'api-key-header', 'API key header', key],
    ]);
  });

  it("JSONC (VS Code's mcp.json): requestInit.headers, any case, other schemes and cookies kept whole", () => {
    const token = randomChars(40);
    const basic = Buffer.from(`me:${randomChars(20)}`).toString('base64');
    const cookie = `theme=dark; session=${randomChars(32)}`;
    const text = [
      '{',
      '  // remote servers',
      '  "servers": {',
      '    "wiki": {',
      '      "type": "http",',
      '      "url": "https://wiki.example.com/mcp",',
      '      "requestInit": { "headers": { "authorization": "bearer ' + token + '" } },',
      '    },',
      '    "proxy": { "url": "https://p.example.com/mcp", "headers": { "Proxy-Authorization": "Basic ' + basic + '", "Cookie": "' + cookie + '" } },',
      '  },',
      '}',
    ].join('\n');
    expect(shape(detectJson(text))).toEqual([
      [7, 'wiki', 'WIKI_TOKEN', 'authorization-header', 'Authorization header', token],
      [9, 'proxy', 'PROXY_PROXY_AUTHORIZATION', 'proxy-authorization-header', 'Proxy-Authorization header', `Basic ${basic}`],
      [9, 'proxy', 'PROXY_COOKIE', 'cookie-header', 'Cookie header', cookie],
    ]);
  });

  it('TOML (Codex): bearer_token, http_headers inline and as a table; env_http_headers and bearer_token_env_var name variables', () => {
    const bearer = randomChars(40);
    const auth = randomChars(36);
    const gitlab = randomChars(20);
    const text = [
      '[mcp_servers.figma]',
      'url = "https://mcp.figma.example.com/mcp"',
      `bearer_token = "${bearer}"`,
      'http_headers = { "X-Figma-Region" = "us-east-1", "X-Auth-Token" = "' + auth + '" }',
      '',
      '[mcp_servers.gitlab]',
      'url = "https://gitlab.example.com/api/v4/mcp"',
      'bearer_token_env_var = "GITLAB_PERSONAL_ACCESS_TOKEN_FOR_MCP"',
      'env_http_headers = { "X-Api-Key" = "GITLAB_API_KEY_VARIABLE_NAME" }',
      '',
      '[mcp_servers.gitlab.http_headers]',
      `PRIVATE-TOKEN = "token ${gitlab}"`,
      '',
    ].join('\n');
    expect(shape(detectToml(text))).toEqual([
      [3, 'figma', 'FIGMA_TOKEN', 'bearer-token', 'Bearer token', bearer],
      [4, 'figma', 'FIGMA_AUTH_TOKEN', 'token-header', 'Token header', auth],
      [12, 'gitlab', 'GITLAB_PRIVATE_TOKEN', 'token-header', 'Token header', `token ${gitlab}`],
    ]);
  });

  it('a known key in a header keeps its kind, without the scheme; a provider key alone goes to its BYOK key', () => {
    const github = lookalike.github();
    const anthropic = lookalike.anthropic();
    const text = JSON.stringify({
      mcpServers: { gh: { url: 'https://api.githubcopilot.example.com/mcp/', headers: { Authorization: `Bearer ${github}` } } },
      proxy: { headers: { 'x-api-key': anthropic } },
    });
    const found = detectJson(text);
    expect(found.map((f) => [f.server, f.name, f.rule, f.provider, f.value])).toEqual([
      ['gh', 'GH_TOKEN', 'github-pat', null, github],
      [null, 'API_KEY', 'anthropic-api-key', 'anthropic', anthropic],
    ]);
  });

  it('names a server with accents or a very long name as every other import does: letters kept, no "_" at a cut', () => {
    const token = randomChars(40);
    // 17 times `SERVER_` is exactly the 119 characters a server's part may take before `_API_KEY`: the cut falls after a `_`.
    const long = `${'server '.repeat(40)}end`;
    const text = JSON.stringify({
      mcpServers: {
        'Café-Wiki': { url: 'https://wiki.example.com/mcp', headers: { Authorization: `Bearer ${token}` } },
        [long]: { url: 'https://long.example.com/mcp', headers: { 'X-API-Key': token } },
      },
    });
    const names = detectJson(text).map((f) => f.name);
    expect(names[0]).toBe('CAFE_WIKI_TOKEN');
    expect(names[1]).toBe(`${'SERVER_'.repeat(16)}SERVER_API_KEY`);
  });

  it('references, placeholders, a scheme alone and headers that hold no credential are not findings', () => {
    const opaque = randomChars(40);
    const remote = (headers: Record<string, string>) => JSON.stringify({ mcpServers: { linear: { url: 'https://l.example.com/mcp', headers } } });
    // What each case below stands in for is a finding.
    expect(detectJson(remote({ Authorization: `Bearer ${opaque}`, 'X-API-Key': opaque })).map((f) => f.value)).toEqual([opaque, opaque]);
    // As the credential: in X-API-Key, in Codex's bearer_token, and in Authorization bare and after `Bearer `.
    for (const value of [
      '',
      '${LINEAR_TOKEN}',
      '${input:linear-token}',
      '${env:LINEAR_TOKEN}',
      '$LINEAR_TOKEN',
      '{{ secrets.LINEAR_TOKEN }}',
      'keyhold://profile/linear/mcp/LINEAR_TOKEN',
      'op://Private/Linear/token',
      '<token>',
      '<your-api-key>',
      'YOUR_API_KEY',
      '********',
      'changeme',
      'short',
    ]) {
      for (const authorization of [value, `Bearer ${value}`]) {
        expect(detectJson(remote({ Authorization: authorization, 'X-API-Key': value })), authorization).toEqual([]);
      }
      expect(detectToml(`[mcp_servers.linear]\nbearer_token = ${JSON.stringify(value)}\n`), value).toEqual([]);
    }
    for (const scheme of ['Bearer', 'Bearer   ', 'Negotiate', 'Digest'])
      expect(detectJson(JSON.stringify({ headers: { Authorization: scheme } })), scheme).toEqual([]);
    expect(detectJson(JSON.stringify({ headers: { Cookie: 'theme=dark; session=${SESSION_COOKIE}' } }))).toEqual([]);
    // Not a credential header, nor a headers object: judged as any other value (no secret-sounding name).
    expect(detectJson(JSON.stringify({ headers: { 'X-Request-Id': opaque, 'X-Region': opaque }, auth: { Authorization: opaque } }))).toEqual([]);
  });
});

describe('credential headers written as a list of name/value pairs', () => {
  const where = (found: ReturnType<typeof detectJson>) => found.map((f) => [f.line, formatPath(f.path), f.server, f.name, f.label, f.value]);

  it('JSON: "name" or "key" beside "value", in either order, each under a name of its server; other headers are not findings', () => {
    const token = randomChars(40);
    const key = randomChars(32);
    const text = JSON.stringify(
      {
        mcpServers: {
          linear: {
            type: 'http',
            url: 'https://mcp.linear.example.com/mcp',
            headers: [
              { name: 'Accept', value: 'text/event-stream' },
              { value: `Bearer ${token}`, name: 'Authorization' },
              { key: 'X-API-Key', value: key },
              { name: 'X-Request-Id', value: randomChars(32) },
            ],
          },
        },
      },
      null,
      2,
    );
    expect(where(detectJson(text))).toEqual([
      [12, 'mcpServers.linear.headers[1].value', 'linear', 'LINEAR_TOKEN', 'Authorization header', token],
      [17, 'mcpServers.linear.headers[2].value', 'linear', 'LINEAR_API_KEY', 'API key header', key],
    ]);
    // A key spelled with an escape is the same key.
    const escaped = `{ "mcpServers": { "linear": { "head\\u0065rs": [{ "name": "Authorization", "value": "Bearer ${token}" }] } } }`;
    expect(where(detectJson(escaped))).toEqual([[1, 'mcpServers.linear.headers[0].value', 'linear', 'LINEAR_TOKEN', 'Authorization header', token]]);
  });

  it('TOML: an inline list of tables and a list of [[tables]], each value on its own line', () => {
    const [a, b, c] = [randomChars(40), randomChars(32), randomChars(36)];
    const text = [
      '[mcp_servers.linear]',
      'url = "https://mcp.linear.example.com/mcp"',
      'headers = [',
      '  { name = "Accept", value = "text/event-stream" },',
      `  { name = "Authorization", value = "Bearer ${a}" },`,
      `  { key = "X-API-Key", value = "${b}" },`,
      ']',
      '',
      '[[mcp_servers.wiki.http_headers]]',
      'name = "Accept"',
      'value = "application/json"',
      '',
      '[[mcp_servers.wiki.http_headers]]',
      'name = "X-Auth-Token"',
      `value = "${c}"`,
      '',
    ].join('\n');
    expect(where(detectToml(text))).toEqual([
      [5, 'mcp_servers.linear.headers[1].value', 'linear', 'LINEAR_TOKEN', 'Authorization header', a],
      [6, 'mcp_servers.linear.headers[2].value', 'linear', 'LINEAR_API_KEY', 'API key header', b],
      [15, 'mcp_servers.wiki.http_headers[1].value', 'wiki', 'WIKI_AUTH_TOKEN', 'Token header', c],
    ]);
  });

  it('references and placeholders in a pair are not findings, nor is the name of a header', () => {
    for (const value of ['Bearer ${LINEAR_TOKEN}', '${LINEAR_TOKEN}', 'keyhold://profile/linear/mcp/LINEAR_TOKEN', '<your-api-key>', 'Bearer']) {
      const text = JSON.stringify({ mcpServers: { linear: { url: 'https://l.example.com/mcp', headers: [{ name: 'Authorization', value }] } } });
      expect(detectJson(text), value).toEqual([]);
      expect(detectToml(`[mcp_servers.linear]\nheaders = [{ key = "Authorization", value = ${JSON.stringify(value)} }]\n`), value).toEqual([]);
    }
    // A header's name under "key" is no secret-sounding variable's value.
    const name = `X-${randomChars(24)}`;
    expect(detectJson(JSON.stringify({ headers: [{ key: name, value: 'on' }] }))).toEqual([]);
    expect(detectToml(`headers = [{ key = "${name}", value = "on" }]\n`)).toEqual([]);
  });
});

function configIn(name: string, text: string): string {
  const t = tempDir('keyhold-headers-');
  cleanups.push(t.cleanup);
  const dir = join(t.dir, 'proj');
  mkdirSync(dir);
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('scan and import', () => {
  it('shows a header credential by its last four characters only, and imports the token alone under SERVER_TOKEN', async () => {
    const token = randomChars(40);
    const key = randomChars(32);
    const file = configIn(
      '.mcp.json',
      JSON.stringify({
        mcpServers: {
          'linear.app': { type: 'http', url: 'https://mcp.linear.example.com/mcp', headers: { Authorization: `Bearer ${token}` } },
          ctx: { type: 'sse', url: 'https://ctx.example.com/sse', headers: { 'X-API-Key': key } },
        },
      }),
    );
    const { findings } = scan({ paths: [file], wellKnown: false });
    expect(findings.map((f) => [f.where, f.label, f.masked])).toEqual([
      ['mcpServers["linear.app"].headers.Authorization', 'Authorization header', `…${token.slice(-4)}`],
      ['mcpServers.ctx.headers["X-API-Key"]', 'API key header', `…${key.slice(-4)}`],
    ]);
    const shown = JSON.stringify(findings.map(publicFinding));
    for (const secret of [token, key, token.slice(0, 8), key.slice(0, 8)]) expect(shown).not.toContain(secret);

    expect(findings.map((f) => importTarget(f))).toEqual([
      { type: 'profile', agentId: 'linear.app', name: 'mcp', key: 'LINEAR_APP_TOKEN' },
      { type: 'profile', agentId: 'ctx', name: 'mcp', key: 'CTX_API_KEY' },
    ]);
    const v = await newVault();
    cleanups.push(v.cleanup);
    expect(importFindings(v.vault, findings).outcomes.map((o) => o.result)).toEqual(['imported', 'imported']);
    const held = (ref: string) => v.vault.profiles.load(v.vault.profiles.resolve(ref).id).secrets.authData;
    expect(held('linear.app/mcp')).toEqual({ LINEAR_APP_TOKEN: token });
    expect(held('ctx/mcp')).toEqual({ CTX_API_KEY: key });
  });
});

describe('scan and import of a header in a list', () => {
  it('shows the path of its value and the header it is, imports the token alone, and leaves the file as it is', async () => {
    const token = randomChars(40);
    const text = `{\n  "mcpServers": {\n    "linear": {\n      "url": "https://mcp.linear.example.com/mcp",\n      "headers": [\n        { "name": "Authorization", "value": "Bearer ${token}" }\n      ]\n    }\n  }\n}\n`;
    const file = configIn('.mcp.json', text);
    const { findings } = scan({ paths: [file], wellKnown: false });
    expect(findings.map((f) => [f.line, f.where, f.label, f.masked])).toEqual([
      [6, 'mcpServers.linear.headers[0].value', 'Authorization header', `…${token.slice(-4)}`],
    ]);
    expect(JSON.stringify(findings.map(publicFinding))).not.toContain(token.slice(0, 8));
    const v = await newVault();
    cleanups.push(v.cleanup);
    expect(importFindings(v.vault, findings).outcomes.map((o) => [o.result, o.target])).toEqual([
      ['imported', { type: 'profile', agentId: 'linear', name: 'mcp', key: 'LINEAR_TOKEN' }],
    ]);
    expect(v.vault.profiles.load(v.vault.profiles.resolve('linear/mcp').id).secrets.authData).toEqual({ LINEAR_TOKEN: token });
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('mcp wrap', () => {
  it('cannot move a header (no command to run under keyhold run): it names it as left, and its preview conceals it', () => {
    const moved = lookalike.github();
    const token = randomChars(40);
    const key = randomChars(32);
    const config = {
      mcpServers: {
        gh: { command: 'npx', env: { GITHUB_TOKEN: moved } },
        linear: { type: 'http', url: 'https://mcp.linear.example.com/mcp', headers: { Authorization: `Bearer ${token}`, 'X-API-Key': key } },
      },
    };
    const text = JSON.stringify(config, null, 2);
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.servers.map((s) => s.server)).toEqual(['gh']);
    expect(plan.text).toContain(token);
    // Lines of the file once wrapped.
    expect(plan.left).toEqual([
      { line: 17, where: 'mcpServers.linear.headers.Authorization', label: 'Authorization header' },
      { line: 18, where: 'mcpServers.linear.headers["X-API-Key"]', label: 'API key header' },
    ]);
    // On one line, the headers are in the diff's changed lines: shown, with the secrets concealed.
    const oneLine = JSON.stringify(config);
    const diff = wrapDiff('/home/me/.mcp.json', oneLine, planWrap(oneLine, 'json', OPTIONS));
    expect(diff).toContain('"Authorization":"Bearer <concealed by keyhold>"');
    expect(diff).toContain('"X-API-Key":"<concealed by keyhold>"');
    for (const secret of [moved, token, key]) expect(diff).not.toContain(secret);
  });

  it('names a header in a list as left, by the path of its value, keeps it as it is, and its preview conceals it', () => {
    const moved = lookalike.github();
    const token = randomChars(40);
    const config = {
      mcpServers: {
        gh: { command: 'npx', env: { GITHUB_TOKEN: moved } },
        linear: { url: 'https://mcp.linear.example.com/mcp', headers: [{ name: 'Authorization', value: `Bearer ${token}` }] },
      },
    };
    const text = JSON.stringify(config, null, 2);
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.left).toEqual([{ line: 18, where: 'mcpServers.linear.headers[0].value', label: 'Authorization header' }]);
    expect(plan.text).toContain(`"value": "Bearer ${token}"`);
    const oneLine = JSON.stringify(config);
    const diff = wrapDiff('/home/me/.mcp.json', oneLine, planWrap(oneLine, 'json', OPTIONS));
    expect(diff).toContain('"value":"Bearer <concealed by keyhold>"');
    for (const secret of [moved, token]) expect(diff).not.toContain(secret);
  });
});

describe('a value that is "Bearer TOKEN", outside any headers object', () => {
  // RFC 6750's token68 alphabet: letters, digits, "-", ".", "_", "~", "+", "/", then "=" padding.
  const token = () => `${randomChars(12)}.${randomChars(6)}~+/-_${randomChars(4)}==`;

  it("is a credential under any name, whatever the token's format: JSON, TOML, a .env, an MCP server's env", () => {
    const [a, b, c, d] = [token(), token(), token(), randomChars(16)];
    expect(classifyValue(null, `Bearer ${a}`)).toEqual({ rule: 'bearer-token', label: 'Bearer token', provider: null });
    expect(detectJson(JSON.stringify({ client: { auth: `Bearer ${a}` } })).map((f) => [f.name, f.rule, f.value])).toEqual([
      ['auth', 'bearer-token', `Bearer ${a}`],
    ]);
    expect(detectToml(`[client]\nauthorization = "bearer  ${b}"\n`).map((f) => [f.line, f.rule, f.value])).toEqual([[2, 'bearer-token', `bearer  ${b}`]]);
    expect(detectDotenv(`AUTH_HEADER="Bearer ${c}"\nOTHER="Bearer ${d}"\n`).map((f) => [f.line, f.name, f.rule])).toEqual([
      [1, 'AUTH_HEADER', 'bearer-token'],
      [2, 'OTHER', 'bearer-token'],
    ]);
    const wrapped = planWrap(JSON.stringify({ mcpServers: { api: { command: 'npx', env: { API_AUTH: `Bearer ${a}` } } } }), 'json', OPTIONS);
    expect(wrapped.servers.map((s) => s.secrets.map((x) => [x.name, x.rule]))).toEqual([[['API_AUTH', 'bearer-token']]]);
  });

  it('is not one with a short token, one outside token68, a reference, a placeholder or a mask, or in prose', () => {
    // What the cases below stand in for is one.
    expect(classifyValue('AUTH_HEADER', `Bearer ${randomChars(16)}`)?.rule).toBe('bearer-token');
    for (const value of [
      `Bearer ${randomChars(15)}`,
      `Bearer ${randomChars(10)},${randomChars(10)}`,
      `Bearer ${randomChars(10)}=${randomChars(10)}`,
      'Bearer ${API_TOKEN}',
      'Bearer <access-token>',
      'Bearer keyhold://profile/api/local/TOKEN',
      'Bearer xxxxxxxxxxxxxxxxxxxx',
      'Bearer YOUR_ACCESS_TOKEN',
      `Bearer ${randomChars(20)} is what the server sends`,
      `Basic ${randomChars(20)}`,
    ]) {
      expect(classifyValue('AUTH_HEADER', value), value).toBeNull();
      expect(detectJson(JSON.stringify({ auth: value })), value).toEqual([]);
    }
  });

  it('scan shows its last four characters only, and import stores the whole value under its name', async () => {
    const t = token();
    const file = configIn('.env', `AUTH_HEADER="Bearer ${t}"\n`);
    const { findings } = scan({ paths: [file], wellKnown: false });
    expect(findings.map((f) => [f.where, f.label, f.masked])).toEqual([['AUTH_HEADER', 'Bearer token', `…${t.slice(-4)}`]]);
    expect(JSON.stringify(findings.map(publicFinding))).not.toContain(t.slice(0, 8));
    const v = await newVault();
    cleanups.push(v.cleanup);
    expect(importFindings(v.vault, findings).outcomes.map((o) => o.result)).toEqual(['imported']);
    const profile = v.vault.profiles.list().find((p) => p.agentId === 'proj')!;
    expect(v.vault.profiles.load(profile.id).secrets.authData).toEqual({ AUTH_HEADER: `Bearer ${t}` });
  });
});
