import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, keyhold } from '../helpers/cli';
import { scanFindings } from '../helpers/cli-home';
import { lookalike } from '../helpers/lookalike';
import { PASSWORD, tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

let t: ReturnType<typeof tempDir>;
let vaultDir: string;
let home: string;
let session: string;
const KEYS = { anthropic: lookalike.anthropic(), github: lookalike.github(), slack: lookalike.slack(), aws: lookalike.aws() };

const withPassword = () => ({ KEYHOLD_VAULT: vaultDir, KEYHOLD_PASSWORD: PASSWORD, HOME: home });
const withSession = () => ({ KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: session, HOME: home });
const noVault = () => ({ KEYHOLD_VAULT: vaultDir, HOME: home });
const p = (...parts: string[]) => join(t.dir, ...parts);

// Every control character but the line feed that ends each output line.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;
const findingsOf = scanFindings;
// The profile an import put a file's values in (src/core/agents/import.ts, fileProfileName): FOLDER/FILE-TAG.
const profileOf = (stdout: string, file: string) => /^profile (\S+) /.exec(findingsOf(stdout).find((f) => f.file === file)!.import!.target)![1]!;

beforeAll(async () => {
  t = tempDir('keyhold-cli-agents-');
  vaultDir = p('vault');
  home = p('home');
  mkdirSync(home);
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: withPassword() })).code).toBe(0);
  const r = await keyhold(['unlock', '--raw'], { env: withPassword() });
  expect(r.code, r.stderr).toBe(0);
  session = r.stdout.trim();

  // A home directory with the agent tools' own configs, and a project tree.
  write(
    join(home, '.cursor', 'mcp.json'),
    JSON.stringify({ mcpServers: { github: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: KEYS.github } } } }, null, 2),
  );
  write(join(home, '.bashrc'), `alias ll='ls -l'\nexport ANTHROPIC_API_KEY=${KEYS.anthropic}\n`);
  write(p('proj', '.env'), `PORT=3000\nSLACK_BOT_TOKEN=${KEYS.slack}\n`);
  write(p('proj', '.gitignore'), 'ignored/\n');
  write(p('proj', 'ignored', '.env'), `AWS_ACCESS_KEY_ID=${KEYS.aws}\n`);
  write(p('proj', 'node_modules', 'pkg', '.env'), `AWS_ACCESS_KEY_ID=${KEYS.aws}\n`);
  write(p('proj', 'src', 'index.js'), `const k = "${KEYS.aws}";\n`);
  write(p('clean', '.env'), 'PORT=3000\n');
});
afterAll(() => t.cleanup());

describe('keyhold scan', () => {
  it('finds keys in well-known places and trees, never prints a value, and exits 1', async () => {
    const r = await keyhold(['scan', p('proj'), '--json'], { env: noVault() });
    expect(r.code, r.stderr).toBe(1);
    for (const key of Object.values(KEYS)) expect(r.stdout + r.stderr).not.toContain(key);
    const found = findingsOf(r.stdout);
    expect(found.map((f) => [f.file, f.line, f.where, f.rule, f.inVault]).sort()).toEqual(
      [
        [join(home, '.bashrc'), 2, 'ANTHROPIC_API_KEY', 'anthropic-api-key', 'unknown'],
        [join(home, '.cursor', 'mcp.json'), 10, 'mcpServers.github.env.GITHUB_TOKEN', 'github-pat', 'unknown'],
        [p('proj', '.env'), 2, 'SLACK_BOT_TOKEN', 'slack-token', 'unknown'],
      ].sort(),
    );
    expect(found.find((f) => f.rule === 'anthropic-api-key')!.masked).toBe(`sk-ant-…${KEYS.anthropic.slice(-4)}`);
  });

  it('exits 0 when nothing is found, and prints a table without values', async () => {
    expect((await keyhold(['scan', '--no-well-known', p('clean')], { env: noVault() })).code).toBe(0);
    const missing = await keyhold(['scan', '--no-well-known', p('nowhere')], { env: noVault() });
    expect([missing.code, missing.stderr]).toEqual([2, `keyhold: Nothing to scan at ${p('nowhere')}: no such file or folder.\n`]);
    const r = await keyhold(['scan', '--no-well-known', p('proj')], { env: noVault() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/SLACK_BOT_TOKEN\s+Slack token\s+xoxb-…/);
    expect(r.stdout).not.toContain(KEYS.slack);
  });

  it('--import stores each value once, records the reason, and a second scan sees them in the vault', async () => {
    const r = await keyhold(['scan', p('proj'), '--import', '--json'], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    expect(
      findingsOf(r.stdout)
        .map((f) => f.import)
        .sort((a, b) => a!.target.localeCompare(b!.target)),
    ).toEqual([
      { result: 'imported', target: 'byok anthropic' },
      { result: 'imported', target: 'profile github/mcp GITHUB_TOKEN' },
      { result: 'imported', target: expect.stringMatching(/^profile proj\/env-[0-9a-f]{8} SLACK_BOT_TOKEN$/) },
    ]);
    const proj = profileOf(r.stdout, p('proj', '.env'));
    const again = await keyhold(['scan', p('proj'), '--json'], { env: withSession() });
    expect(again.code).toBe(1);
    expect(findingsOf(again.stdout).map((f) => f.inVault)).toEqual(['yes', 'yes', 'yes']);
    const reimport = await keyhold(['scan', p('proj'), '--import', '--json'], { env: withSession() });
    expect(findingsOf(reimport.stdout).map((f) => f.import!.result)).toEqual(['held', 'held', 'held']);
    const history = await keyhold(['profile', 'history', proj, '--json'], { env: withSession() });
    expect(history.code, history.stderr).toBe(0);
    // Where each value was found is kept in the history: the file, the line, the JSON path.
    expect(JSON.parse(history.stdout)).toMatchObject([{ reason: 'import', source: `${p('proj', '.env')}:2 (SLACK_BOT_TOKEN)` }]);
    const mcp = await keyhold(['profile', 'history', 'github/mcp', '--json'], { env: withSession() });
    expect(JSON.parse(mcp.stdout)).toMatchObject([
      { reason: 'import', source: `${join(home, '.cursor', 'mcp.json')}:10 (mcpServers.github.env.GITHUB_TOKEN)` },
    ]);
    const byok = await keyhold(['byok', 'history', 'anthropic'], { env: withSession() });
    expect(byok.code, byok.stderr).toBe(0);
    expect(byok.stdout).toMatch(/^VERSION\s+TIME\s+REASON\s+KEY\s+SOURCE$/m);
    expect(byok.stdout).toContain(`${join(home, '.bashrc')}:2 (ANTHROPIC_API_KEY)`);
    expect(byok.stdout).not.toContain(KEYS.anthropic);
  });

  it('a password inside a URL is shown by scheme and host only, and --import keeps the whole URL under its name', async () => {
    const password = `Pw${lookalike.generic().slice(0, 18)}`;
    const url = `postgres://app:${password}@db.example.com:5432/shop`;
    write(p('urls', 'shop', '.env'), `DATABASE_URL=${url}\nREDIS_URL=redis://cache:6379\n`);
    const r = await keyhold(['scan', '--no-well-known', p('urls')], { env: noVault() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/DATABASE_URL\s+Password in URL\s+postgres:\/\/…@db\.example\.com:5432\s/);
    const imported = await keyhold(['scan', '--no-well-known', p('urls'), '--import', '--json'], { env: withSession() });
    expect(imported.code, imported.stderr).toBe(0);
    expect(findingsOf(imported.stdout).map((f) => [f.rule, f.masked, f.import?.target])).toEqual([
      ['url-password', 'postgres://…@db.example.com:5432', expect.stringMatching(/^profile shop\/env-[0-9a-f]{8} DATABASE_URL$/)],
    ]);
    for (const out of [r.stdout, r.stderr, imported.stdout, imported.stderr]) expect(out).not.toContain(password);
    const shown = await keyhold(['profile', 'show', profileOf(imported.stdout, p('urls', 'shop', '.env')), '--reveal', '--json'], { env: withSession() });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(JSON.stringify(url).slice(1, -1));
  });

  it('a hostile file name in a source is shown with its control characters escaped', async () => {
    const evil = 'evil\n\u001b]0;pwned\u0007\u001b[2J';
    write(p('hostile', evil, 'app', '.env'), `STRIPE_KEY=${lookalike.stripe()}\n`);
    const r = await keyhold(['scan', '--no-well-known', p('hostile'), '--import', '--json'], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    expect(findingsOf(r.stdout).map((f) => f.import?.result)).toEqual(['imported']);
    const app = profileOf(r.stdout, p('hostile', evil, 'app', '.env'));
    const json = await keyhold(['profile', 'history', app, '--json'], { env: withSession() });
    // JSON keeps the name exactly (escaped by JSON itself), and so raw control bytes never reach the terminal.
    expect((JSON.parse(json.stdout) as { source: string }[])[0]!.source).toContain(p('hostile', evil, 'app', '.env'));
    expect(json.stdout).not.toMatch(CONTROL);
    const text = await keyhold(['profile', 'history', app], { env: withSession() });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('evil\\x0a\\x1b]0;pwned\\x07\\x1b[2J');
    expect(text.stdout).not.toMatch(CONTROL);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('a folder whose name cannot be an agent id is refused on its own; the other findings are imported', async () => {
    // The whole import used to fail (exit 2, nothing stored) naming neither the folder nor the file.
    const reversed = `crm\u202Edorp`;
    write(p('folders', reversed, '.env'), `STRIPE_KEY=${lookalike.stripe()}\n`);
    write(p('folders', 'x'.repeat(240), '.env'), `STRIPE_KEY=${lookalike.stripe()}\n`);
    write(p('folders', 'billing', '.env'), `STRIPE_KEY=${lookalike.stripe()}\n`);
    const r = await keyhold(['scan', '--no-well-known', p('folders'), '--import', '--json'], { env: withSession() });
    expect(r.code, r.stderr).toBe(1);
    const outcomes = findingsOf(r.stdout).map((f) => [f.file.split('/').at(-2)!.slice(0, 12), f.import?.result, f.import?.reason ?? null]);
    expect(outcomes).toContainEqual(['billing', 'imported', null]);
    expect(outcomes).toContainEqual([reversed, 'refused', expect.stringContaining('U+202E')]);
    expect(outcomes).toContainEqual(['x'.repeat(12), 'refused', expect.stringContaining('longer than')]);
    expect((await keyhold(['profile', 'show', profileOf(r.stdout, p('folders', 'billing', '.env')), '--json'], { env: withSession() })).code).toBe(0);

    const text = await keyhold(['scan', '--no-well-known', p('folders'), '--import'], { env: withSession() });
    expect(text.stderr).toMatch(
      /^Refused .*\.env:1: Agent id may not contain invisible or direction-changing characters \(it holds U\+202E\).* Import it by hand under another name\.$/m,
    );
  });
});

describe('keyhold mcp wrap / unwrap', () => {
  const config = () =>
    `{\n  // project servers\n  "mcpServers": {\n    "slack": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-slack"],\n      "env": {\n        "SLACK_BOT_TOKEN": "${KEYS.slack}",\n        "SLACK_TEAM_ID": "T01234567"\n      }\n    }\n  }\n}\n`;

  it('--dry-run shows the change with the secret concealed and changes nothing', async () => {
    const file = write(p('wrap1', '.mcp.json'), config());
    const r = await keyhold(['mcp', 'wrap', file, '--dry-run'], { env: noVault() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('-        "SLACK_BOT_TOKEN": "<concealed by keyhold>",');
    expect(r.stdout).toContain('+        "--profile",');
    expect(r.stdout).not.toContain(KEYS.slack);
    expect(readFileSync(file, 'utf8')).toBe(config());
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
  });

  it('moves the secret into the vault, the wrapped command gets it from keyhold run, and unwrap restores every byte', async () => {
    const file = write(p('wrap2', '.mcp.json'), config());
    const r = await keyhold(['mcp', 'wrap', file], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    const wrapped = readFileSync(file, 'utf8');
    expect(wrapped).not.toContain(KEYS.slack);
    expect(wrapped).toContain('// project servers');
    expect(wrapped).toContain('"SLACK_TEAM_ID": "T01234567"');
    const args = (JSON.parse(wrapped.replace('// project servers', '')) as { mcpServers: { slack: { args: string[] } } }).mcpServers.slack.args;
    expect(args.slice(0, 4)).toEqual(['run', '--profile', 'slack/mcp', '--']);
    // What the MCP client would start: keyhold run … -- <a program that prints the variable>.
    const ran = await keyhold(
      [...args.slice(0, 4), process.execPath, '-e', 'process.stdout.write(String(process.env.SLACK_BOT_TOKEN === process.argv[1]))', KEYS.slack],
      { env: withSession() },
    );
    expect(ran.stdout, ran.stderr).toBe('true');

    // The session it suggests holds the wrapped servers' profiles only, and is enough for them.
    const suggested = /eval "\$\(keyhold unlock (.*)\)"\n/.exec(r.stderr)?.[1];
    expect(suggested).toBe('--profile slack/mcp');
    const scoped = spawnSync('bash', ['-c', `eval "$('${process.execPath}' ${CLI} unlock ${suggested})" && printf %s "$KEYHOLD_SESSION"`], {
      env: { ...withPassword(), PATH: process.env.PATH ?? '', KEYHOLD_INSECURE_TEST_KDF: '1' },
    });
    const only = { KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: scoped.stdout.toString(), HOME: home };
    const served = await keyhold(
      [...args.slice(0, 4), process.execPath, '-e', 'process.stdout.write(String(process.env.SLACK_BOT_TOKEN === process.argv[1]))', KEYS.slack],
      { env: only },
    );
    expect(served.stdout, served.stderr).toBe('true');
    expect((await keyhold(['profile', 'list'], { env: only })).code).toBe(9);

    const history = await keyhold(['profile', 'history', 'slack/mcp', '--json'], { env: withSession() });
    expect(JSON.parse(history.stdout)).toMatchObject([{ reason: 'import', source: `${file} (mcpServers.slack.env: SLACK_BOT_TOKEN)` }]);

    expect((await keyhold(['mcp', 'wrap', file, '--force'], { env: withSession() })).stderr).toMatch(/No server .* has secret env values/);
    // Unwrap reads the vault's record of the wrap: it needs the vault open, as wrap does.
    expect((await keyhold(['mcp', 'unwrap', file], { env: noVault() })).code).toBe(2);
    const back = await keyhold(['mcp', 'unwrap', file], { env: withSession() });
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(config());
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
  });

  it('unwrap refuses a file changed since the wrap unless forced, and a file never wrapped', async () => {
    const file = write(p('wrap3', '.mcp.json'), config());
    expect((await keyhold(['mcp', 'wrap', file], { env: withSession() })).code).toBe(0);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n`);
    const r = await keyhold(['mcp', 'unwrap', file], { env: withSession() });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/changed since it was wrapped.*--force/);
    expect((await keyhold(['mcp', 'unwrap', file, '--force'], { env: withSession() })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(config());
    expect((await keyhold(['mcp', 'unwrap', file], { env: withSession() })).code).toBe(5);
  });

  it('a server whose name cannot be an agent id stops the wrap before anything is stored, naming it', async () => {
    const text = JSON.stringify(
      {
        mcpServers: {
          good: { command: 'npx', env: { GITHUB_TOKEN: lookalike.github() } },
          'bad\u202Eserver': { command: 'npx', env: { SLACK_BOT_TOKEN: lookalike.slack() } },
        },
      },
      null,
      2,
    );
    const file = write(p('wrap5', 'mcp.json'), text);
    const r = await keyhold(['mcp', 'wrap', file], { env: withSession() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The server "bad\\u202eserver" cannot name a profile');
    expect(r.stderr).toContain('To wrap one server: --server NAME.');
    // Nothing was stored for the good server either (it used to be), and the file was left as it was.
    expect((await keyhold(['profile', 'show', 'good/mcp'], { env: withSession() })).code).toBe(5);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect((await keyhold(['mcp', 'wrap', file, '--server', 'good'], { env: withSession() })).code).toBe(0);
  });

  it("the session it suggests quotes a server's name, which comes from the file", async () => {
    const server = "x$(touch pwned) 'q'";
    const file = write(
      p('hostile-name', '.mcp.json'),
      JSON.stringify({ mcpServers: { [server]: { command: 'npx', env: { GITHUB_TOKEN: KEYS.github } } } }, null, 2),
    );
    const r = await keyhold(['mcp', 'wrap', file], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    const suggested = /eval "\$\(keyhold unlock (.*)\)"\n/.exec(r.stderr)?.[1];
    expect(suggested).toBe(`--profile 'x$(touch pwned) '\\''q'\\''/mcp'`);
    const cwd = p('hostile-name');
    const scoped = spawnSync('bash', ['-c', `eval "$('${process.execPath}' ${CLI} unlock ${suggested})" && printf %s "$KEYHOLD_SESSION"`], {
      cwd,
      env: { ...withPassword(), PATH: process.env.PATH ?? '', KEYHOLD_INSECURE_TEST_KDF: '1' },
    });
    expect(scoped.status, scoped.stderr.toString()).toBe(0);
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    const printed = await keyhold(
      ['run', '--profile', `${server}/mcp`, '--', process.execPath, '-e', 'process.stdout.write(String(process.env.GITHUB_TOKEN?.length))'],
      {
        env: { KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: scoped.stdout.toString(), HOME: home },
      },
    );
    expect(printed.stdout, printed.stderr).toBe(String(KEYS.github.length));
  });

  it('wrap says when the config is a link, and where the change went', async () => {
    const real = write(p('dotfiles', 'cursor-mcp.json'), config());
    mkdirSync(p('wrap4'));
    const file = p('wrap4', 'mcp.json');
    symlinkSync(real, file);
    const r = await keyhold(['mcp', 'wrap', file], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${file} is a link: the change was written to ${real}. If that file is in a repository, its history still holds the secrets.`);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });
});

describe('keyhold redact and byok print', () => {
  it('redact conceals vault values and their encoded forms in a stream', async () => {
    const input = `log: ${KEYS.github}\nb64: ${Buffer.from(KEYS.slack).toString('base64')}\nplain text\n`;
    const r = await keyhold(['redact'], { env: withSession(), input });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('log: <concealed by keyhold>\nb64: <concealed by keyhold>\nplain text\n');
  });

  it('redact, the binary, reads a pipe from a Node parent that writes in bursts with pauses (a hook runner)', async () => {
    // Node hands a child non-blocking pipes: reading fd 0 with fs calls failed with EAGAIN at the
    // first pause, and redact died part way through, its output cut short.
    const child = spawn(process.execPath, [CLI, 'redact'], { env: { PATH: process.env.PATH ?? '', ...withSession() }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    let exited = false;
    child.on('exit', () => (exited = true));
    child.stdin.on('error', () => {}); // EPIPE when it died early: the exit code says so below
    const line = Buffer.from(`plain ${'x'.repeat(90)} ${KEYS.github} more\n`);
    const burst = Buffer.concat(Array.from({ length: 2_000 }, () => line));
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (exited) break;
      if (!child.stdin.write(burst)) await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), closed]);
    }
    child.stdin.end();
    expect(await closed, stderr).toBe(0);
    const text = Buffer.concat(out).toString('utf8');
    const expected = `plain ${'x'.repeat(90)} <concealed by keyhold> more\n`.repeat(10_000);
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
  });

  it('redact, the binary, reads a file given as standard input in large reads, a secret across the 1 MiB boundary included', () => {
    const file = p('redact-input.log');
    const head = 'y'.repeat((1 << 20) - 10);
    writeFileSync(file, `${head}${KEYS.github} tail\n`);
    const fd = openSync(file, 'r');
    try {
      const r = spawnSync(process.execPath, [CLI, 'redact'], {
        env: { PATH: process.env.PATH ?? '', ...withSession() },
        stdio: [fd, 'pipe', 'pipe'],
        maxBuffer: 1 << 24,
      });
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.toString() === `${head}<concealed by keyhold> tail\n`).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('byok print prints the key with a session, and refuses to prompt without one', async () => {
    const r = await keyhold(['byok', 'print', 'anthropic'], { env: withSession() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${KEYS.anthropic}\n`);
    const locked = await keyhold(['byok', 'print', 'anthropic'], { env: noVault() });
    expect(locked.code).toBe(9);
    expect(locked.stdout).toBe('');
    const audit = await keyhold(['audit', '--json'], { env: withSession() });
    if (audit.code === 0) expect(audit.stdout).toContain('secret_revealed');
  });
});

describe('keyhold.toml', () => {
  it('run injects exactly the listed references from a folder below it; scan flags a .env beside it', async () => {
    const dir = p('tomlproj');
    write(join(dir, 'keyhold.toml'), '# references only\nGH = "keyhold://profile/github/mcp/GITHUB_TOKEN"\nANTHROPIC_API_KEY = "keyhold://byok/anthropic"\n');
    write(join(dir, '.env'), 'LEFTOVER=some-old-value-here\n');
    mkdirSync(join(dir, 'sub'));
    // Trusted first (test/security/keyhold-toml-from-a-clone.test.ts covers a file nobody trusted).
    expect((await keyhold(['trust', '--yes', dir], { env: withSession() })).code).toBe(0);
    const script =
      'process.stdout.write(JSON.stringify([process.env.GH === process.argv[1], process.env.ANTHROPIC_API_KEY === process.argv[2], process.env.SLACK_BOT_TOKEN ?? null]))';
    const r = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', script, KEYS.github, KEYS.anthropic], {
      cwd: join(dir, 'sub'),
      env: { PATH: process.env.PATH ?? '', ...withSession() },
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual([true, true, null]);

    const scanned = await keyhold(['scan', '--no-well-known', dir, '--json'], { env: noVault() });
    expect(findingsOf(scanned.stdout).map((f) => [f.where, f.rule])).toEqual([['LEFTOVER', 'dotenv-beside-keyhold-toml']]);
  });
});
