import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyValue,
  detect,
  detectDotenv,
  detectJson,
  detectText,
  detectToml,
  formatPath,
  planWrap,
  publicFinding,
  scan,
  wrapDiff,
} from '../../src/core/agents';
import { findUrlPasswords } from '../../src/core/devflow/url-password';
import { useCleanups } from '../helpers/cleanup';
import { HANG_MS, hangGuarded } from '../helpers/hang-guard';
import { foundByEachReader, importEnvLine, rules, WRAP_OPTIONS } from '../helpers/url-findings';
import { randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';

const cleanups = useCleanups();
const secret = () => randomChars(24);

describe('a credential in the query of a URL', () => {
  it('is found under each credential parameter name, any case, as a password in a URL', () => {
    for (const name of [
      'password',
      'passwd',
      'pass',
      'pwd',
      'sslpassword',
      'secret',
      'token',
      'access_token',
      'refresh_token',
      'id_token',
      'api_key',
      'apikey',
      'key',
      'API_KEY',
      'Password',
      'api%5Fkey',
    ]) {
      const value = secret();
      const url = `https://api.example.com/v1/items?limit=10&${name}=${value}&page=2`;
      expect(classifyValue('SERVICE_URL', url), name).toEqual({ rule: 'url-password', label: 'Password in URL', provider: null });
      const [found] = findUrlPasswords(url, 'value');
      expect(found?.parts, name).toContain(value);
      expect(found?.password, name).toBeNull();
    }
  });

  it('is found in database URLs of several clients, after a userinfo without a password too', () => {
    const cases = [
      'mongodb://h:27017/app?authSource=admin&password=',
      'mongodb://app@h1:27017,h2:27017/app?replicaSet=rs&password=',
      'jdbc:postgresql://db.example.com:5432/shop?user=app&password=',
      'postgresql://app@db/shop?sslmode=verify-full&sslpassword=',
      'mysql://db/shop?pwd=',
    ];
    for (const prefix of cases) {
      const value = secret();
      expect(
        findUrlPasswords(`${prefix}${value}`, 'value').map((u) => u.parts),
        prefix,
      ).toEqual([[value]]);
    }
  });

  it('is found beside a userinfo password, both kept as parts of one finding', () => {
    const [a, b] = [secret(), secret()];
    const found = findUrlPasswords(`postgres://app:${a}@db/shop?sslpassword=${b}`, 'value');
    expect(found.map((u) => [u.password, u.parts])).toEqual([[a, [a, `app:${a}`, b]]]);
  });

  it('a URL written inside another adds its credential to the one around it, which is reported whole', () => {
    const [a, b] = [secret(), secret()];
    const text = `postgres://app:${a}@db/shop?next=https://api.example.com/?token=${b}`;
    const found = findUrlPasswords(text, 'value');
    expect(found.map((u) => [u.start, u.end, u.hint])).toEqual([[0, text.length, 'postgres://…@db']]);
    expect(found[0]!.parts).toEqual(expect.arrayContaining([a, b]));
  });

  it('is found in a .env, in JSON and in free text, with the whole URL as the value', () => {
    const url = `https://api.example.com/v1?api_key=${secret()}`;
    const dotenv = detectDotenv(`PORT=3000\nWEATHER_URL=${url}\n`);
    expect(dotenv.map((f) => [f.name, f.line, f.rule, f.value])).toEqual([['WEATHER_URL', 2, 'url-password', url]]);
    const json = detectJson(`{ "mcpServers": { "w": { "command": "npx", "args": ["weather-mcp", "${url}"] } } }`);
    expect(json.map((f) => [formatPath(f.path), f.rule])).toEqual([['mcpServers.w.args[1]', 'url-password']]);
    expect(detect('text', `weather:\n  endpoint: "${url}"\n`).map((f) => [f.line, f.rule, f.value])).toEqual([[2, 'url-password', url]]);
  });

  it('is not found for other parameters, or as a placeholder, reference or mask', () => {
    const values = [
      'https://api.example.com/v1?tokenizer=gpt2&passthrough=1&secret_name=db',
      'https://api.example.com/v1?sslmode=require&user=app',
      'https://app.example.com/docs/token=AbC123dEf456',
      'https://api.example.com/v1?api_key=',
      'https://api.example.com/v1?api_key=${WEATHER_API_KEY}',
      'https://api.example.com/v1?api_key=$WEATHER_API_KEY',
      'https://api.example.com/v1?api_key={{ .Values.key }}',
      'https://api.example.com/v1?api_key=<your-api-key>',
      'https://api.example.com/v1?api_key={api_key}',
      'https://api.example.com/v1?api_key=YOUR_API_KEY',
      'https://api.example.com/v1?token=your-token',
      'https://api.example.com/v1?api_key=api_key',
      'https://api.example.com/v1?token=xxxxxxxx',
      'https://api.example.com/v1?token=***',
      'https://api.example.com/v1?token=true',
      'https://api.example.com/v1?password=changeme',
      'https://api.example.com/v1?token=keyhold://profile/app/local/TOKEN',
      'https://api.example.com/v1?token=op://vault/weather/key',
      'keyhold://profile/app/local/URL?token=AbC123dEf456',
    ];
    for (const value of values) {
      expect(classifyValue('SERVICE_URL', value), value).toBeNull();
      expect(detectText(`url: ${value}\n`), value).toEqual([]);
    }
  });
});

describe('a credential in the fragment of a URL, written as name=value pairs', () => {
  it('is found under the same parameter names as in a query: OAuth implicit-flow and magic-link URLs', () => {
    for (const [name, before, after] of [
      ['access_token', '', '&token_type=bearer&expires_in=3600'],
      ['id_token', 'state=af0ifjsldkj&', ''],
      ['key', '', ''],
      ['Access_Token', '', ''],
      ['refresh%5Ftoken', 'token_type=bearer&', '&scope=read'],
    ]) {
      const value = secret();
      const url = `https://app.example.com/callback${before === '' ? '' : '?lang=en'}#${before}${name}=${value}${after}`;
      expect(classifyValue('CALLBACK_URL', url), name).toEqual({ rule: 'url-password', label: 'Password in URL', provider: null });
      expect(
        findUrlPasswords(url, 'value').map((u) => [u.password, u.parts, u.hint]),
        name,
      ).toEqual([[null, [value], 'https://app.example.com']]);
    }
  });

  it("is found in the query of a single-page app's hash route (`#/path?…`, `#!/path?…`)", () => {
    for (const route of ['/callback?', '/auth/cb?state=xyz&', '!/cb?', '/?']) {
      const value = secret();
      const url = `https://app.example.com/#${route}access_token=${value}&token_type=bearer`;
      expect(classifyValue('CALLBACK_URL', url), url).toEqual({ rule: 'url-password', label: 'Password in URL', provider: null });
      expect(findUrlPasswords(url, 'value').map((u) => [u.password, u.parts, u.hint])).toEqual([[null, [value], 'https://app.example.com']]);
    }
    // A route with no credential in its query, and a route's path that only looks like one, hold none.
    for (const url of ['https://app.example.com/#/settings?tab=keys', 'https://app.example.com/#/token=AbC123dEf456gh', 'https://app.example.com/#/']) {
      expect(classifyValue('CALLBACK_URL', url), url).toBeNull();
    }
  });

  it('is found beside a query credential and a userinfo password, all parts of one finding', () => {
    const [a, b, c] = [secret(), secret(), secret()];
    const found = findUrlPasswords(`https://u:${a}@app.example.com/cb?token=${b}#section=2&access_token=${c}`, 'value');
    expect(found.map((u) => [u.password, u.parts, u.hint])).toEqual([[a, [a, `u:${a}`, b, c], 'https://…@app.example.com']]);
  });

  it('is found in a .env, JSON, TOML and free text, with the whole URL as the value', () => {
    const url = `https://app.example.com/auth/callback#access_token=${secret()}&token_type=bearer`;
    expect(detectDotenv(`PORT=3000\nCALLBACK_URL="${url}"\n`).map((f) => [f.name, f.line, f.rule, f.value])).toEqual([
      ['CALLBACK_URL', 2, 'url-password', url],
    ]);
    // Unquoted, dotenv ends the value at "#"; the line is still read as text.
    expect(detectDotenv(`CALLBACK_URL=${url}\n`).map((f) => [f.line, f.rule, f.value])).toEqual([[1, 'url-password', url]]);
    const json = detectJson(`{ "mcpServers": { "app": { "command": "npx", "args": ["app-mcp", "${url}"] } } }`);
    expect(json.map((f) => [formatPath(f.path), f.rule, f.value])).toEqual([['mcpServers.app.args[1]', 'url-password', url]]);
    expect(detectToml(`[app]\ncallback = "${url}"\n`).map((f) => [formatPath(f.path), f.line, f.rule, f.value])).toEqual([
      ['app.callback', 2, 'url-password', url],
    ]);
    expect(detect('text', `app:\n  callback: "${url}"\n`).map((f) => [f.line, f.rule, f.value])).toEqual([[2, 'url-password', url]]);
  });

  it('is not found in a fragment that is no name=value pairs, under another name, or as a placeholder or reference', () => {
    // What the cases below stand in for is a finding.
    expect(classifyValue('CALLBACK_URL', `https://app.example.com/callback#token_type=bearer&access_token=${secret()}`)?.rule).toBe('url-password');
    const values = [
      'https://docs.example.com/guide#section-2',
      'https://docs.example.com/guide#access_token',
      'https://docs.example.com/guide#token-AbC123dEf456',
      'https://app.example.com/callback#token_type=bearer&expires_in=3600&state=AbC123dEf456',
      'https://app.example.com/callback#access_token=',
      'https://app.example.com/callback#access_token=${ACCESS_TOKEN}',
      'https://app.example.com/callback#access_token=<access-token>',
      'https://app.example.com/callback#key=YOUR_KEY',
      'https://app.example.com/callback#id_token=keyhold://profile/app/local/ID_TOKEN',
      'https://app.example.com/callback#/route?x=1',
    ];
    for (const value of values) {
      expect(classifyValue('CALLBACK_URL', value), value).toBeNull();
      expect(detectText(`url: ${value}\n`), value).toEqual([]);
    }
  });

  it('scan shows the scheme and host only, never the fragment', () => {
    const key = secret();
    const dir = tempDir('keyhold-url-fragment-');
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.dir, '.env'), `MAGIC_LINK="https://app.example.com/login#key=${key}"\n`);
    const { findings } = scan({ paths: [dir.dir], wellKnown: false });
    expect(findings.map((f) => [f.where, f.label, f.masked])).toEqual([['MAGIC_LINK', 'Password in URL', 'https://app.example.com']]);
    expect(JSON.stringify(findings.map(publicFinding))).not.toContain(key);
  });

  it('import stores the whole URL under its variable name', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const url = `https://app.example.com/callback#access_token=${secret()}&token_type=bearer`;
    const imported = importEnvLine(vault, 'app', 'CALLBACK_URL', `"${url}"`);
    cleanups.push(imported.cleanup);
    expect(imported.outcomes.map((o) => [o.result, o.target.type === 'profile' && o.target.key])).toEqual([['imported', 'CALLBACK_URL']]);
    expect(imported.authData).toEqual({ CALLBACK_URL: url });
  });
});

describe('hostile queries and fragments', () => {
  const lines: [string, string, number][] = [
    ['100 KB of "&"', `https://h/?${'&'.repeat(100_000)}`, 0],
    ['100 KB of "="', `https://h/?token${'='.repeat(100_000)}`, 1],
    ['12,500 credential parameters', `https://h/?${'token=a1&'.repeat(12_500)}`, 1],
    ['10,000 "?token=x" glued into one stretch of URLs', 'a://h?token=x1'.repeat(10_000), 1],
    ['a 100 KB parameter name', `https://h/?${'p'.repeat(100_000)}word=x1`, 0],
    ['a 100 KB query without "?"', `https://h/${'token=x&'.repeat(12_500)}`, 0],
    ['100 KB of "#", then a credential', `https://h/${'#'.repeat(100_000)}&token=x1`, 1],
    ['100 KB of "#", "&" and "=", then a credential', `https://h/?${'#&='.repeat(33_334)}&token=x1`, 1],
    ['100 KB of "=" in the fragment', `https://h/#token${'='.repeat(100_000)}`, 1],
    ['12,500 credential parameters in the fragment', `https://h/#${'token=a1&'.repeat(12_500)}`, 1],
    ['10,000 "#token=x" glued into one stretch of URLs', 'a://h#token=x1'.repeat(10_000), 1],
    ['a 100 KB fragment of no pairs, then a credential', `https://h/#${'section-'.repeat(12_500)}&key=x1`, 1],
    ['a hash route of 100 KB of "/", then its query', `https://h/#${'/'.repeat(100_000)}?token=x1`, 1],
    ['a hash route of 100 KB of "?"', `https://h/#/${'?'.repeat(100_000)}`, 0],
  ];

  // No timing assertion: speed is measured by benchmarks only. hangGuarded is a hang guard, not a
  // performance bound: catastrophic (cubic or worse) backtracking on these 100 KB inputs runs for
  // hours, and it stops that run and fails. A merely quadratic match takes seconds here and passes.
  // The test's own timeout is above the guard's, so the guard's error is the one reported.
  it.each(lines)(
    '%s: a plain answer, no runaway matching',
    (_what, value, expected) => {
      for (const found of hangGuarded(() => foundByEachReader('SERVICE_URL', value))) {
        expect(rules(found)).toEqual(Array<string>(expected).fill('url-password'));
      }
    },
    2 * HANG_MS,
  );
});

describe('what scan shows, the wrap preview and the import', () => {
  it('scan shows the scheme and host only, never the query', () => {
    const key = secret();
    const dir = tempDir('keyhold-url-query-');
    cleanups.push(dir.cleanup);
    writeFileSync(
      join(dir.dir, '.env'),
      `WEATHER_URL=https://api.example.com/v1/forecast?api_key=${key}\nMONGO_URL=mongodb://app@mongo:27017/app?password=${key}x\n`,
    );
    const { findings } = scan({ paths: [dir.dir], wellKnown: false });
    expect(findings.map((f) => [f.where, f.label, f.masked])).toEqual([
      ['WEATHER_URL', 'Password in URL', 'https://api.example.com'],
      ['MONGO_URL', 'Password in URL', 'mongodb://…@mongo:27017'],
    ]);
    expect(JSON.stringify(findings.map(publicFinding))).not.toContain(key);
  });

  it('the wrap preview conceals the moved URL, a URL left among args, and the key wherever else it appears', () => {
    const [moved, left] = [secret(), secret()];
    const text = `{\n  // old key: ${moved}\n  "mcpServers": {\n    "w": {\n      "command": "npx",\n      "args": ["weather-mcp", "--url", "https://api.example.com/v1?token=${left}"],\n      "env": { "WEATHER_URL": "https://api.example.com/v1?api_key=${moved}", "LOG": "debug" }\n    }\n  }\n}\n`;
    const plan = planWrap(text, 'json', WRAP_OPTIONS);
    expect(plan.servers.map((s) => s.secrets.map((x) => [x.name, x.rule]))).toEqual([[['WEATHER_URL', 'url-password']]]);
    const diff = wrapDiff('mcp.json', text, plan);
    expect(diff).toContain('-      "env": { "WEATHER_URL": "<concealed by keyhold>", "LOG": "debug" }');
    expect(diff).toContain('old key: <concealed by keyhold>');
    expect(diff).not.toContain(moved);
    expect(diff).not.toContain(left);
  });

  it('import stores the whole URL under its variable name', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const url = `mongodb://mongo:27017/app?authSource=admin&password=${secret()}`;
    const imported = importEnvLine(vault, 'shop', 'MONGO_URL', url);
    cleanups.push(imported.cleanup);
    expect(imported.outcomes.map((o) => [o.result, o.target])).toEqual([
      ['imported', { type: 'profile', agentId: 'shop', name: expect.stringMatching(/^env-[0-9a-f]{8}$/), key: 'MONGO_URL' }],
    ]);
    expect(imported.authData).toEqual({ MONGO_URL: url });
  });
});
