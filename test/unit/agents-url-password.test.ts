import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyValue,
  detect,
  detectDotenv,
  detectJson,
  detectText,
  detectToml,
  formatOf,
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
import { lookalike, randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';

const cleanups = useCleanups();
const pw = () => randomChars(20);

describe('a password inside a URL', () => {
  it('is found in a value under a plain name, for any scheme, labelled as such', () => {
    for (const url of [`postgres://app:${pw()}@db.example.com:5432/app`, `redis://:${pw()}@cache:6379/0`, `amqps://u:${pw()}@mq.example.com/vhost`]) {
      expect(classifyValue('DATABASE_URL', url), url).toEqual({ rule: 'url-password', label: 'Password in URL', provider: null });
      expect(classifyValue(null, `--dsn=${url}`), url).toMatchObject({ rule: 'url-password' });
    }
  });

  it('is found in a .env, with the variable, line and whole URL as the value', () => {
    const url = `postgres://app:${pw()}@db:5432/app?sslmode=require`;
    const text = `# database\nPORT=3000\nDATABASE_URL=${url}\nREDIS_URL="redis://:${pw()}@cache:6379"\n`;
    const found = detectDotenv(text);
    expect(found.map((f) => [f.name, f.line, f.rule, f.source])).toEqual([
      ['DATABASE_URL', 3, 'url-password', 'dotenv'],
      ['REDIS_URL', 4, 'url-password', 'dotenv'],
    ]);
    expect(found[0]!.value).toBe(url);
  });

  it("is found in an MCP server's env block and in its args (JSON)", () => {
    const [a, b] = [pw(), pw()];
    const text = `{\n  // servers\n  "mcpServers": {\n    "pg": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-postgres", "postgresql://ro:${a}@localhost/shop"],\n      "env": { "DATABASE_URL": "postgres://app:${b}@db/shop" }\n    }\n  }\n}\n`;
    const found = detectJson(text);
    expect(found.map((f) => [formatPath(f.path), f.line, f.rule, f.source, f.server])).toEqual([
      ['mcpServers.pg.args[2]', 6, 'url-password', 'config', 'pg'],
      ['mcpServers.pg.env.DATABASE_URL', 7, 'url-password', 'mcp-env', 'pg'],
    ]);
  });

  it('is found in a Codex TOML config, env table and args', () => {
    const text = `[mcp_servers.db]\ncommand = "uvx"\nargs = ["mcp-server-db", "--url", "mysql://root:${pw()}@127.0.0.1:3306/app"]\n\n[mcp_servers.db.env]\nAMQP_URL = "amqps://u:${pw()}@mq"\n`;
    expect(detectToml(text).map((f) => [formatPath(f.path), f.line, f.rule])).toEqual([
      ['mcp_servers.db.args[2]', 3, 'url-password'],
      ['mcp_servers.db.env.AMQP_URL', 6, 'url-password'],
    ]);
  });

  it('is found in a YAML config, read as YAML or (one that does not parse) as text, the URL ending at its quote', () => {
    const url = `mongodb+srv://svc:${pw()}@cluster0.example.net/app?retryWrites=true`;
    const text = `services:\n  api:\n    environment:\n      MONGO_URL: "${url}"\n      LOG: debug\n`;
    expect(formatOf('/p/docker-compose.yml')).toBe('yaml');
    expect(detect('yaml', text).map((f) => [f.line, formatPath(f.path), f.rule, f.value])).toEqual([
      [4, 'services.api.environment.MONGO_URL', 'url-password', url],
    ]);
    expect(detect('text', text).map((f) => [f.line, f.rule, f.value])).toEqual([[4, 'url-password', url]]);
  });

  it('reads passwords the WHATWG parser refuses or splits: unescaped "/", "?", "#", "@", ":" and host lists', () => {
    const cases: [string, string][] = [
      ['postgres://u:pa/ss1@h/db', 'pa/ss1'],
      ['postgres://u:pa#ss1@h/db', 'pa#ss1'],
      ['postgres://u:pa?ss1@h/db', 'pa?ss1'],
      ['postgres://u:p@ss1@h/db', 'p@ss1'],
      ['postgres://u:p:ss1@h/db', 'p:ss1'],
      ['postgres://u:p%zz1@h/db', 'p%zz1'],
      ['mongodb://u:s3cret1@h1:27017,h2:27017/db?replicaSet=rs', 's3cret1'],
      ['postgres://u:s3cret1@[::1]:5432/db', 's3cret1'],
    ];
    for (const [url, password] of cases) {
      expect(
        findUrlPasswords(url, 'value').map((u) => u.password),
        url,
      ).toEqual([password]);
      expect(classifyValue('DB', url)?.rule, url).toBe('url-password');
    }
  });

  it('is not found without a password, in placeholders, references or masks', () => {
    const values = [
      'postgres://db.example.com:5432/app',
      'ssh://git@github.com/org/repo.git',
      'git+ssh://git@github.com:org/repo.git',
      'user@host',
      'postgres://u:@h/db',
      'redis://:@h:6379',
      'postgres://u:${DB_PASSWORD}@h/db',
      'postgres://u:${input:db_password}@h/db',
      'postgres://u:$DB_PASSWORD@h/db',
      'postgres://u:<password>@h/db',
      'postgres://u:%3Cpassword%3E@h/db',
      'postgres://u:[password]@h/db',
      'postgres://u:{{ .Values.db.password }}@h/db',
      'postgres://u:{{ keyhold://profile/app/local/DB_PASSWORD }}@h/db',
      'postgres://u:{{keyhold://profile/app/local/DB_PASSWORD}}@h/db',
      'postgres://u:keyhold://profile/app/local/DB_PASSWORD@h/db',
      'postgres://u:op://vault/db/password@h/db',
      'postgres://u:***@h/db',
      'postgres://u:xxxx@h/db',
      'postgres://u:password@localhost/db',
      'postgres://u:changeme@localhost/db',
      'https://example.com:443/@alice',
      'http://localhost:3000/users/@me:x',
      'docker://registry:5000/img@sha256:abc',
      'keyhold://profile/app/local/DATABASE_URL',
    ];
    for (const value of values) {
      expect(classifyValue('DATABASE_URL', value), value).toBeNull();
      expect(detectText(`url: ${value}\n`), value).toEqual([]);
    }
  });

  it('in free text, a URL whose password is a known key is reported once, as that key', () => {
    const gh = lookalike.github();
    expect(rules(detectText(`https://x-access-token:${gh}@github.com/org/repo.git\n`))).toEqual(['github-pat']);
    expect(rules(detectText(`https://x-access-token:${pw()}@github.com/org/repo.git\n`))).toEqual(['url-password']);
  });

  it('is found in a comment, as key formats are (the free-text pass reads whole files)', () => {
    expect(rules(detectDotenv(`# old: DATABASE_URL=postgres://app:${pw()}@db/app\n`))).toEqual(['url-password']);
    expect(detectDotenv(`# DATABASE_URL=postgres://user:password@localhost/app\n`)).toEqual([]);
  });
});

describe('hostile values', () => {
  // Each line with whether it holds a URL with a password: a userinfo needs a host after it.
  const lines: [string, string, number][] = [
    ['100 KB of "@" after the colon (no host)', `postgres://u:${'@'.repeat(100_000)}`, 0],
    ['a 100 KB password with no "@" in reach', `postgres://u:${'a'.repeat(100_000)}@`, 0],
    ['25,000 "://"', 'a://'.repeat(25_000), 0],
    ['12,500 URLs glued together (one stretch, one URL)', 'a://b:c@'.repeat(12_500), 1],
    ['"/" and runs of "@" after each password', `p://u:p/${'@'.repeat(10)}`.repeat(5_000), 0],
    ['100 KB of ":"', `${':'.repeat(100_000)}//`, 0],
    ['a 100 KB host', `postgres://u:${pw()}@${'h'.repeat(100_000)}`, 1],
    ['control characters inside the userinfo', 'postgres://u:p\u0000w\u0007x@h\u001b[2J', 0],
  ];

  // No timing assertion: speed is measured by benchmarks only. hangGuarded is a hang guard, not a
  // performance bound: catastrophic (cubic or worse) backtracking on these 100 KB inputs runs for
  // hours, and it stops that run and fails. A merely quadratic match takes seconds here and passes.
  // The test's own timeout is above the guard's, so the guard's error is the one reported.
  it.each(lines)(
    '%s: a plain answer, no runaway matching',
    (_what, value, expected) => {
      for (const found of hangGuarded(() => foundByEachReader('DATABASE_URL', value))) {
        expect(rules(found)).toEqual(Array<string>(expected).fill('url-password'));
      }
    },
    2 * HANG_MS,
  );

  it('a URL of 100 KB is one finding whose shown form is short and has no password', () => {
    const password = pw();
    const dir = tempDir('keyhold-url-pw-');
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.dir, '.env'), `DATABASE_URL=postgres://u:${password}@${'h'.repeat(100_000)}/db\n`);
    const { findings } = scan({ paths: [dir.dir], wellKnown: false });
    expect(findings.map((f) => f.rule)).toEqual(['url-password']);
    expect(findings[0]!.masked).toBe(`postgres://…@${'h'.repeat(64)}…`);
  });

  it('control characters end a URL: no finding reads across them', () => {
    expect(classifyValue('DATABASE_URL', `postgres://u:p\u0000${pw()}@h/db`)).toBeNull();
    expect(findUrlPasswords(`postgres://u:${pw()}@h\u001b[2J`, 'value').map((u) => u.hint)).toEqual(['postgres://…@h']);
  });
});

describe('what scan shows, the wrap preview and the import', () => {
  it('scan shows the scheme and host, never the password', () => {
    const password = pw();
    const dir = tempDir('keyhold-url-pw-');
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.dir, '.env'), `DATABASE_URL=postgres://app:${password}@db.example.com:5432/app\n`);
    mkdirSync(join(dir.dir, 'deploy'));
    writeFileSync(join(dir.dir, 'deploy', 'values.yaml'), `redis:\n  url: redis://:${password}x@cache:6379\n`);
    const { findings } = scan({ paths: [dir.dir], wellKnown: false });
    expect(findings.map((f) => [f.where, f.label, f.masked]).sort()).toEqual(
      [
        ['redis.url', 'Password in URL', 'redis://…@cache:6379'],
        ['DATABASE_URL', 'Password in URL', 'postgres://…@db.example.com:5432'],
      ].sort(),
    );
    expect(JSON.stringify(findings.map(publicFinding))).not.toContain(password);
  });

  it('the wrap preview conceals the moved URL, a URL left among args, and the password wherever else it appears', () => {
    const [moved, left] = [pw(), pw()];
    const text = `{\n  // the old password was ${moved}\n  "mcpServers": {\n    "pg": {\n      "command": "npx",\n      "args": ["-y", "server-postgres", "postgresql://ro:${left}@localhost/shop"],\n      "env": { "DATABASE_URL": "postgres://app:${moved}@db/shop", "LOG": "debug" }\n    }\n  }\n}\n`;
    const plan = planWrap(text, 'json', WRAP_OPTIONS);
    expect(plan.servers.map((s) => s.secrets.map((x) => [x.name, x.value, x.rule]))).toEqual([
      [['DATABASE_URL', `postgres://app:${moved}@db/shop`, 'url-password']],
    ]);
    const diff = wrapDiff('mcp.json', text, plan);
    expect(diff).toContain('-      "env": { "DATABASE_URL": "<concealed by keyhold>", "LOG": "debug" }');
    expect(diff).toContain('the old password was <concealed by keyhold>');
    expect(diff).not.toContain(moved);
    expect(diff).not.toContain(left);
  });

  it('import stores the whole URL under its variable name; the wrapped config keeps a reference to the profile only', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const url = `postgres://app:${pw()}@db.example.com/app`;
    const imported = importEnvLine(vault, 'shop', 'DATABASE_URL', url);
    cleanups.push(imported.cleanup);
    expect(imported.outcomes.map((o) => [o.result, o.target])).toEqual([
      ['imported', { type: 'profile', agentId: 'shop', name: expect.stringMatching(/^env-[0-9a-f]{8}$/), key: 'DATABASE_URL' }],
    ]);
    expect(imported.authData).toEqual({ DATABASE_URL: url });

    const config = `{ "mcpServers": { "pg": { "command": "npx", "args": ["server-postgres"], "env": { "DATABASE_URL": "${url}" } } } }\n`;
    const plan = planWrap(config, 'json', WRAP_OPTIONS);
    expect(plan.text).not.toContain(url);
    expect(JSON.parse(plan.text)).toEqual({ mcpServers: { pg: { command: 'keyhold', args: ['run', '--profile', 'pg/mcp', '--', 'npx', 'server-postgres'] } } });
    expect(detectJson(plan.text)).toEqual([]);
  });
});
