import { readFileSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, buildProgram } from '../../src/cli/main';
import { EXIT } from '../../src/cli/exit-codes';
import { keyhold, testIo } from '../helpers/cli';
import { main } from '../../src/cli/main';
import { PASSWORD, tempDir } from '../helpers/vault';

let t: ReturnType<typeof tempDir>;
let env: Record<string, string>;
const run = (args: string[], input?: string) => keyhold(args, { env, ...(input === undefined ? {} : { input }) });
async function ok(args: string[], input?: string) {
  const r = await run(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
const ANTHROPIC = (tail: string) => `sk-ant-api03-${'q'.repeat(40)}${tail}`;

beforeAll(async () => {
  t = tempDir('keyhold-cli-inproc-');
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
  await ok(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
});
afterAll(() => t.cleanup());

describe('main(argv, io)', () => {
  it('prints the version from package.json and help listing every top-level command', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect((await keyhold(['--version'])).stdout).toBe(`${pkg.version}\n`);
    expect((await keyhold(['--vault', t.dir, '--version'])).stdout).toBe(`${pkg.version}\n`);
    const help = await keyhold(['--help']);
    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('every registered top-level command has its line in COMMANDS, and every line a command', async () => {
    const program = await buildProgram(testIo());
    expect(program.commands.map((c) => c.name()).sort()).toEqual(Object.keys(COMMANDS).sort());
    for (const c of program.commands) expect(c.description()).toBe(COMMANDS[c.name()]?.description);
  });

  it('usage errors look the same from commander and from a command, and exit 2', async () => {
    const cases = [
      ['bogus'],
      ['--bogus'],
      ['profile', 'list', '--bogus'],
      ['profile', 'show'],
      ['profile', 'restore', 'x/y', 'zero'],
      ['agent', 'set', 'crm'],
      ['sync', '--timeout', '-1'],
      ['completion', 'tcsh'],
      // Commander reads root options after a command too: --version there printed the version, exit 0.
      ['profile', 'history', 'x/y', '--version', '2'],
      ['profile', 'list', '-V'],
    ];
    for (const args of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr, args.join(' ')).toMatch(/^keyhold: \S/);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });

  it('a failing command leaves the process exit code alone', async () => {
    const before = process.exitCode;
    const r = await run(['profile', 'show', 'nobody/none']);
    expect(r.code).toBe(EXIT.notFound);
    expect(process.exitCode).toBe(before);
    // Core says what is missing; the CLI alone says how to name a profile, once.
    expect(r.stderr).toBe('keyhold: No profile "nobody/none". Name it by its id, a 6+ character id prefix or AGENT_ID/NAME (see "keyhold profile list").\n');
  });

  it('reads standard input once per command, not once per process', async () => {
    await ok(['profile', 'add', '--agent', 'stdin', '--name', 'a', '--set-stdin', 'K'], 'first\n');
    await ok(['profile', 'add', '--agent', 'stdin', '--name', 'b', '--set-stdin', 'K'], 'second\n');
    const shown = (await ok(['profile', 'show', 'stdin/b', '--reveal', '--json'])).json<{ authData: { K: string } }>();
    expect(shown.authData.K).toBe('second');
  });
});

/** A terminal that types `lines`, one each time the CLI starts listening without echo. */
function terminal(lines: string[]) {
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    rawModes: [] as boolean[],
    setRawMode(mode: boolean) {
      stdin.rawModes.push(mode);
      const next = mode ? lines.shift() : undefined;
      if (next !== undefined) setImmediate(() => stdin.write(next));
      return stdin;
    },
  });
  return stdin;
}

describe('the master password typed at a terminal', () => {
  it('is asked twice for a new vault, without echo, and backspace edits it', async () => {
    const stdin = terminal(['pw-typed-at-a-terminal\r', 'pw-typed-at-a-terminXx\u007f\u007fal\r']);
    const io = { ...testIo({ env: { KEYHOLD_VAULT: join(t.dir, 'typed') } }), stdin };
    expect(await main(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], io), io.stderr.text()).toBe(0);
    expect(io.stderr.text()).toMatch(/^New master password: \nRepeat it: \n/);
    expect(io.stdout.text() + io.stderr.text()).not.toContain('pw-typed');
    expect(stdin.rawModes).toEqual([true, false, true, false]);
    const list = await keyhold(['profile', 'list', '--json'], { env: { KEYHOLD_VAULT: join(t.dir, 'typed'), KEYHOLD_PASSWORD: 'pw-typed-at-a-terminal' } });
    expect(list.code, list.stderr).toBe(0);
  });

  it('two different entries change nothing; Ctrl-C cancels', async () => {
    const vault = join(t.dir, 'typed-2');
    const io = { ...testIo({ env: { KEYHOLD_VAULT: vault } }), stdin: terminal(['one\r', 'two\r']) };
    expect(await main(['init'], io)).toBe(2);
    expect(io.stderr.text()).toContain('keyhold: The two passwords differ. Nothing was changed.\n');
    const cancelled = { ...testIo({ env: { KEYHOLD_VAULT: join(t.dir, 'typed') } }), stdin: terminal(['\u0003']) };
    expect(await main(['profile', 'list'], cancelled)).toBe(EXIT.interrupted);
    expect(cancelled.stderr.text()).toBe('Master password: \nkeyhold: Cancelled.\n');
  });

  it('Ctrl-D, or a terminal that closes, cancels with exit 1 instead of leaving the question open', async () => {
    const io = { ...testIo({ env: { KEYHOLD_VAULT: join(t.dir, 'typed') } }), stdin: terminal(['pw\u0004']) };
    expect(await settled(main(['profile', 'list'], io))).toBe(1);
    expect(io.stderr.text()).toBe('Master password: \nkeyhold: Cancelled.\n');
    const closed = terminal([]);
    closed.end();
    const again = { ...testIo({ env: { KEYHOLD_VAULT: join(t.dir, 'typed') } }), stdin: closed };
    expect(await settled(main(['profile', 'list'], again))).toBe(1);
    expect(again.stderr.text()).toBe('Master password: \nkeyhold: Cancelled.\n');
  });

  it('init on a vault says so before asking for a new password', async () => {
    const stdin = terminal(['pw-never-asked\r', 'pw-never-asked\r']);
    const io = { ...testIo({ env: { KEYHOLD_VAULT: env.KEYHOLD_VAULT! } }), stdin };
    expect(await main(['init'], io)).toBe(EXIT.vault);
    expect(io.stderr.text()).toBe(`keyhold: A vault already exists in ${env.KEYHOLD_VAULT!}.\n`);
    expect(stdin.rawModes).toEqual([]);
  });

  it('a secret is not typed at a terminal: it must be piped', async () => {
    const io = { ...testIo({ env }), stdin: terminal([]) };
    expect(await main(['byok', 'set', '--kind', 'tty', '--key-stdin'], io)).toBe(2);
    expect(io.stderr.text()).toMatch(/^keyhold: The API key is read from standard input: pipe it in/);
  });
});

/** A command's exit code, or a failure if it never ends (a question left open ended the binary with 0). */
function settled(run: Promise<number>): Promise<number | string> {
  return Promise.race([run, new Promise<string>((resolve) => setTimeout(() => resolve('never settled'), 5000).unref())]);
}

describe('a [y/N] question at a terminal (keyhold trust)', () => {
  let toml: string;
  beforeAll(async () => {
    await ok(['profile', 'add', '--agent', 'ask', '--name', 'dev', '--set', 'K=v']);
    toml = join(t.dir, 'keyhold.toml');
    writeFileSync(toml, '[env]\nK = "keyhold://profile/ask/dev/K"\n');
  });
  /** keyhold trust, its question answered by `stdin`; stderr a terminal when readline is to read keys (Ctrl-C, Ctrl-D) itself. */
  async function trust(stdin: PassThrough & { isTTY: boolean }, options: { keys: boolean }) {
    const io = { ...testIo({ env }), stdin };
    io.stderr.isTTY = options.keys;
    const code = await settled(main(['trust', toml], io));
    return { code, stdout: io.stdout.text(), stderr: io.stderr.text() };
  }
  const stillUntrusted = async () => expect((await ok(['trust', '--yes', toml])).stdout).toMatch(/^Trusted: /m);

  it('Ctrl-C cancels with exit 130 and "Cancelled.", as at the password prompt; nothing is trusted', async () => {
    const r = await trust(terminal(['\u0003']), { keys: true });
    expect(r.code).toBe(EXIT.interrupted);
    expect(r.stderr).toContain('[y/N] ');
    expect(r.stderr).toMatch(/\nkeyhold: Cancelled\.\n$/);
    expect(r.stdout).not.toMatch(/^Trusted/m);
    await stillUntrusted();
    await ok(['trust', '--revoke', toml]);
  });

  it('the end of input (Ctrl-D, a closed terminal) is a no: exit 1, nothing trusted', async () => {
    const ctrlD = await trust(terminal(['\u0004']), { keys: true });
    expect(ctrlD.code).toBe(1);
    expect(ctrlD.stderr).toMatch(/\nkeyhold: Nothing was trusted\.\n$/);
    const closed = terminal([]);
    closed.end();
    const eof = await trust(closed, { keys: false });
    expect(eof.code).toBe(1);
    expect(eof.stderr).toMatch(/\[y\/N\] \nkeyhold: Nothing was trusted\.\n$/);
    const no = await trust(terminal(['n\r']), { keys: true });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/\nkeyhold: Nothing was trusted\.\n$/);
    await stillUntrusted();
  });
});

describe('everyday commands', () => {
  it('agent rm drops a declaration and its token variable: its profiles stay and accept any key again', async () => {
    await ok(['agent', 'set', 'crm', '--args', 'USER', '--token-env', 'CRM_TOKEN']);
    await ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=ann']);
    expect((await run(['profile', 'edit', 'crm/prod', '--set', 'EXTRA=1'])).code).toBe(EXIT.usage);
    expect((await ok(['agent', 'rm', 'crm'])).stdout).toBe('Removed the declaration of crm.\n');
    expect((await ok(['agent', 'list', '--json'])).json()).toEqual([]);
    await ok(['profile', 'edit', 'crm/prod', '--set', 'EXTRA=1']);
    const again = await run(['agent', 'rm', 'crm']);
    expect(again.code).toBe(EXIT.notFound);
    expect(again.stderr).toBe('keyhold: No agent "crm" is declared.\n');
    const log = (await ok(['log', '--json'])).json<{ entries: { event: string; detail: Record<string, unknown> }[] }>().entries;
    expect(log.some((e) => e.event === 'agent_changed' && e.detail.removed === true)).toBe(true);
  });

  it('byok restore makes an earlier key current as a new version', async () => {
    await ok(['byok', 'set', '--kind', 'claude', '--key-stdin'], ANTHROPIC('aaa1'));
    await ok(['byok', 'set', '--kind', 'claude', '--key-stdin'], ANTHROPIC('bbb2'));
    const restored = await ok(['byok', 'restore', 'claude', '1']);
    expect(restored.stdout).toMatch(/^Restored version 1 of claude: anthropic key sk-ant-…aaa1, pending\n$/);
    expect((await ok(['byok', 'show', 'claude', '--reveal', '--json'])).json()).toMatchObject({ apiKey: ANTHROPIC('aaa1'), version: 3 });
    expect((await ok(['byok', 'history', 'claude', '--json'])).json<{ reason: string }[]>()[0]?.reason).toBe('restore');
    expect((await run(['byok', 'restore', 'claude', '9'])).code).toBe(EXIT.notFound);
    expect((await run(['byok', 'restore', 'claude', 'one'])).code).toBe(EXIT.usage);
  });

  it('profile diff names keys added, removed and changed, masking values unless --reveal (audited)', async () => {
    await ok(['profile', 'add', '--agent', 'web', '--name', 'dev', '--set', 'A=1', '--set', 'B=two', '--set', 'C=same']);
    await ok(['profile', 'edit', 'web/dev', '--unset', 'A', '--set', 'B=three', '--set', 'D=new-secret-value', '--save-session']);
    const masked = await ok(['profile', 'diff', 'web/dev', '1', '2']);
    expect(masked.stdout).toBe(
      ['Version 1 -> 2: 3 key(s) differ', '  ~ saveSession: false -> true', '  - A = ••••••••', '  ~ B: •••••••• -> ••••••••', '  + D = ••••••••', ''].join(
        '\n',
      ),
    );
    expect(masked.stdout).not.toContain('new-secret-value');
    const revealsBefore = (await ok(['log', '--json', '--limit', '10000']))
      .json<{ entries: { event: string }[] }>()
      .entries.filter((e) => e.event === 'secret_revealed').length;
    const json = (await ok(['profile', 'diff', 'web/dev', '1', '2', '--reveal', '--json'])).json<{ keys: unknown[]; revealed: boolean }>();
    expect(json.revealed).toBe(true);
    expect(json.keys).toEqual([
      { key: 'A', change: 'removed', from: '1', to: null },
      { key: 'B', change: 'changed', from: 'two', to: 'three' },
      { key: 'D', change: 'added', from: null, to: 'new-secret-value' },
    ]);
    const revealsAfter = (await ok(['log', '--json', '--limit', '10000']))
      .json<{ entries: { event: string }[] }>()
      .entries.filter((e) => e.event === 'secret_revealed').length;
    expect(revealsAfter).toBe(revealsBefore + 1);
    expect((await ok(['profile', 'diff', 'web/dev', '2', '2'])).stdout).toBe('Version 2 -> 2: no differences\n');
    const missing = await run(['profile', 'diff', 'web/dev', '1', '7']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stderr).toBe('keyhold: Profile "web/dev" has no version 7. See "keyhold profile history".\n');
  });
});
