import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEnvName, parseDotenv, serializeDotenv } from '../../src/core/devflow';
import { dangerousEnvName } from '../../src/core/devflow/env-names';
import { DEFAULT_MASK } from '../../src/core/devflow/mask';
import { CLI, keyhold } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

let t: ReturnType<typeof tempDir>;
let env: Record<string, string>;
const FIXTURES = join(import.meta.dirname, '../fixtures/env');
const node = process.execPath;

const ANTHROPIC = `sk-ant-api03-${'a'.repeat(40)}`;
const OPENAI = `sk-proj-${'o'.repeat(40)}`;
const GOOGLE = `AIza${'g'.repeat(35)}`;
const OTHER = `other-provider-key-${'z'.repeat(20)}`;

const run = (args: string[], input?: string) => keyhold(args, { env, ...(input === undefined ? {} : { input }) });
const file = (name: string) => join(t.dir, name);

async function ok(args: string[], input?: string) {
  const r = await run(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

const revealed = async (ref: string) => (await ok(['profile', 'show', ref, '--reveal', '--json'])).json<{ authData: Record<string, string> }>().authData;
const setArgs = (record: Record<string, string>) => Object.entries(record).flatMap(([k, v]) => ['--set', `${k}=${v}`]);

/** `keyhold run … -- node -e SCRIPT`. */
const runNode = (options: string[], script: string, input?: string) => run(['run', ...options, '--', node, '-e', script], input);

beforeAll(async () => {
  t = tempDir('keyhold-cli-devflow-');
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  await ok(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
  await ok(['profile', 'add', '--agent', 'app', '--name', 'dev', '--set', 'API_TOKEN=tok-live-1234567890', '--set', 'DB_URL=postgres://u:pw-98765@db/app']);
  await ok(['profile', 'add', '--agent', 'app', '--name', 'prefix', '--set', 'SHORT=abcd1234', '--set', 'LONG=abcd1234-extended']);
  await ok(['byok', 'set', '--kind', 'claude', '--provider', 'anthropic', '--key-stdin'], ANTHROPIC);
  await ok(['byok', 'set', '--kind', 'gpt', '--provider', 'openai', '--key-stdin'], OPENAI);
  await ok(['byok', 'set', '--kind', 'gemini', '--provider', 'google', '--key-stdin'], GOOGLE);
  await ok(['byok', 'set', '--kind', 'misc', '--provider', 'other', '--key-stdin'], OTHER);
});
afterAll(() => t.cleanup());

describe('keyhold run', () => {
  it("injects a profile's keys and BYOK keys under their provider's variable, and no vault credential", async () => {
    const r = await runNode(
      ['--profile', 'app/dev', '--byok', 'claude', '--byok', 'gpt', '--byok', 'gemini', '--byok', 'misc', '--no-mask'],
      `const names = ['API_TOKEN', 'DB_URL', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GOOGLE_API_KEY', 'KEYHOLD_BYOK_KEY', 'KEYHOLD_PASSWORD', 'KEYHOLD_VAULT'];
       console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, process.env[n] ?? null]))))`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      API_TOKEN: 'tok-live-1234567890',
      DB_URL: 'postgres://u:pw-98765@db/app',
      ANTHROPIC_API_KEY: ANTHROPIC,
      OPENAI_API_KEY: OPENAI,
      GOOGLE_API_KEY: GOOGLE,
      KEYHOLD_BYOK_KEY: OTHER,
      KEYHOLD_PASSWORD: null,
      KEYHOLD_VAULT: null,
    });
  });

  it('masks injected values by default, also a secret written in two chunks and one that is a prefix of another', async () => {
    const r = await runNode(
      ['--profile', 'app/dev', '--profile', 'app/prefix', '--byok', 'claude'],
      `const t = process.env.API_TOKEN;
       process.stdout.write('token=' + t.slice(0, 7));
       setTimeout(() => {
         process.stdout.write(t.slice(7) + ';\\n');
         console.log('short=' + process.env.SHORT + '; long=' + process.env.LONG + ';');
         console.error('key=' + process.env.ANTHROPIC_API_KEY);
       }, 50);`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`token=${DEFAULT_MASK};\nshort=${DEFAULT_MASK}; long=${DEFAULT_MASK};\n`);
    expect(r.stderr).toBe(`key=${DEFAULT_MASK}\n`);
    for (const secret of ['tok-live', 'abcd1234', ANTHROPIC]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('--no-mask passes the output through untouched', async () => {
    const r = await runNode(['--profile', 'app/dev', '--no-mask'], 'console.log(process.env.API_TOKEN)');
    expect(r.stdout).toBe('tok-live-1234567890\n');
  });

  // node itself takes the first "--" after its script; the second shows that keyhold passed both on.
  it('passes the arguments after "--" untouched, stdin through, and exits with the command\'s code', async () => {
    const r = await run(
      [
        'run',
        '--profile',
        'app/dev',
        '--',
        node,
        '-e',
        'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => { console.log(JSON.stringify([s.toUpperCase(), process.argv.slice(1)])); process.exit(42); })',
        '--',
        '--',
        '--profile',
        '-h',
        '$HOME',
        'a b',
      ],
      'piped input\n',
    );
    expect(r.code, r.stderr).toBe(42);
    expect(JSON.parse(r.stdout)).toEqual(['PIPED INPUT\n', ['--', '--profile', '-h', '$HOME', 'a b']]);
  });

  it('ends with the signal that ended the command', async () => {
    const r = spawnSync(node, [CLI, 'run', '--profile', 'app/dev', '--', node, '-e', 'process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 10000)'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      input: '',
    });
    expect(r.signal).toBe('SIGTERM');
    expect(r.status).toBeNull();
  });

  it('passes a SIGTERM it receives on to the command', async () => {
    const child = spawn(
      node,
      [
        CLI,
        'run',
        '--profile',
        'app/dev',
        '--',
        node,
        '-e',
        'process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(17); }); console.log("ready"); setInterval(() => {}, 1000);',
      ],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.startsWith('ready\n') && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(17);
    expect(stdout).toBe('ready\nchild got SIGTERM\n');
  });

  it('refuses a key that is not a valid environment variable name, before running anything', async () => {
    await ok(['profile', 'add', '--agent', 'app', '--name', 'dashed', '--set', 'api-key=value-12345']);
    const marker = file('should-not-exist');
    const r = await runNode(['--profile', 'app/dashed'], `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"api-key" of profile app\/dashed is not a valid environment variable name/);
    expect(r.stderr).not.toContain('value-12345');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses two sources that set one variable differently, naming both', async () => {
    await ok(['profile', 'add', '--agent', 'other', '--name', 'dev', '--set', 'API_TOKEN=a-different-token']);
    const r = await runNode(['--profile', 'app/dev', '--profile', 'other/dev'], 'console.log("ran")');
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/API_TOKEN is set to different values by profile app\/dev and profile other\/dev/);
    expect(r.stdout).toBe('');
  });

  it('refuses usage mistakes with exit 2', async () => {
    expect((await run(['run', '--', node, '-e', '1'])).stderr).toMatch(/Nothing to inject/);
    const noDashes = await run(['run', '--profile', 'app/dev', node, '-e', '1']);
    expect(noDashes.code).toBe(2);
    expect(noDashes.stderr).toMatch(/put the command after "--"/);
    expect((await run(['run', '--profile', 'app/none', '--', node, '-e', '1'])).code).toBe(5);
  });

  it('exits as a shell does when the command cannot start: 127 when there is none, 126 when it cannot run', async () => {
    const missing = await run(['run', '--profile', 'app/dev', '--', 'no-such-command-keyhold-test']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('keyhold: command not found: no-such-command-keyhold-test\n');
    writeFileSync(file('not-executable'), '#!/bin/sh\necho started\n', { mode: 0o644 });
    const notExecutable = await run(['run', '--profile', 'app/dev', '--', file('not-executable')]);
    expect(notExecutable.code).toBe(126);
    expect(notExecutable.stderr).toMatch(/permission denied \(is it executable\?\)/);
    expect(notExecutable.stdout).toBe('');
    const folder = await run(['run', '--profile', 'app/dev', '--', t.dir]);
    expect(folder.code).toBe(126);
    expect(folder.stderr).toBe(`keyhold: Cannot run "${t.dir}": it is a folder.\n`);
  });
});

describe('keyhold inject', () => {
  const template = [
    '# rendered by keyhold inject',
    'TOKEN={{ keyhold://profile/app/dev/API_TOKEN }}',
    'DSN=keyhold://profile/app/dev/DB_URL?sslmode=require',
    'SPACED={{keyhold://profile/app/my%20profile/PASS}}',
    'ANTHROPIC=keyhold://byok/claude',
    'AGAIN={{ keyhold://profile/app/dev/API_TOKEN }}',
    '',
  ].join('\n');
  const expected = [
    '# rendered by keyhold inject',
    'TOKEN=tok-live-1234567890',
    'DSN=postgres://u:pw-98765@db/app?sslmode=require',
    'SPACED=p@ss w0rd "quoted"',
    `ANTHROPIC=${ANTHROPIC}`,
    'AGAIN=tok-live-1234567890',
    '',
  ].join('\n');

  beforeAll(async () => {
    await ok(['profile', 'add', '--agent', 'app', '--name', 'my profile', '--set', 'PASS=p@ss w0rd "quoted"']);
    writeFileSync(file('app.tpl'), template);
    await ok(['trust', '--yes', file('app.tpl')]);
  });

  it('resolves every reference and prints to stdout', async () => {
    const r = await ok(['inject', '-i', file('app.tpl')]);
    expect(r.stdout).toBe(expected);
    expect((await ok(['inject', '-i', '-'], template)).stdout).toBe(expected);
  });

  it('writes the output file 0600 and will not replace it without --force', async () => {
    const out = file('app.rendered');
    await ok(['inject', '-i', file('app.tpl'), '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe(expected);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    writeFileSync(out, 'kept');
    const again = await run(['inject', '-i', file('app.tpl'), '-o', out]);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already exists\. Use --force/);
    expect(readFileSync(out, 'utf8')).toBe('kept');

    await ok(['inject', '-i', file('app.tpl'), '-o', out, '--force']);
    expect(readFileSync(out, 'utf8')).toBe(expected);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('refuses an unknown reference with exit 5 and writes nothing', async () => {
    const out = file('unknown.rendered');
    for (const ref of ['keyhold://profile/app/dev/NOPE', 'keyhold://profile/app/none/API_TOKEN', 'keyhold://byok/none']) {
      const r = await run(['inject', '-i', '-', '-o', out], `A=keyhold://profile/app/dev/API_TOKEN\nB=${ref}\n`);
      expect(r.code, ref).toBe(5);
      expect(r.stderr).toBe(`keyhold: unknown reference ${ref}\n`);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses a malformed reference before asking for the password', async () => {
    const r = await keyhold(['inject', '-i', '-'], { env: { KEYHOLD_VAULT: env.KEYHOLD_VAULT as string }, input: 'X=keyhold://profile/app/dev\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Malformed reference keyhold:\/\/profile\/app\/dev/);
  });
});

describe('.env import and export', () => {
  it('imports real-world .env files exactly as dotenv reads them', async () => {
    for (const name of ['app', 'keys', 'windows', 'edge']) {
      const path = join(FIXTURES, `${name}.env`);
      await ok(['profile', 'add', '--agent', 'dotenv', '--name', name, '--from-env', path]);
      expect(await revealed(`dotenv/${name}`), name).toEqual(parseDotenv(readFileSync(path, 'utf8')));
    }
    expect(await revealed('dotenv/app')).toMatchObject({ STRIPE_SECRET_KEY: 'sk_test_51HxYz#notacomment', PADDED: 'spaced out value', DOLLAR: '$HOME/bin' });
    expect((await revealed('dotenv/keys')).JWT_PUBLIC_KEY).toBe(
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1L7V\n-----END PUBLIC KEY-----\n',
    );
  });

  it("--set wins over the file; edit --from-env sets the file's keys and keeps the others", async () => {
    await ok([
      'profile',
      'add',
      '--agent',
      'dotenv',
      '--name',
      'mixed',
      '--from-env',
      join(FIXTURES, 'windows.env'),
      '--set',
      'LAST=from-set',
      '--set',
      'EXTRA=1',
    ]);
    expect(await revealed('dotenv/mixed')).toEqual({ API_TOKEN: 'tok_live_abcdef', MULTI: 'line one\nline two', LAST: 'from-set', EXTRA: '1' });
    writeFileSync(file('patch.env'), 'API_TOKEN=tok_rotated\nNEW_KEY="a b"\n');
    await ok(['profile', 'edit', 'dotenv/mixed', '--from-env', file('patch.env')]);
    expect(await revealed('dotenv/mixed')).toEqual({ API_TOKEN: 'tok_rotated', MULTI: 'line one\nline two', LAST: 'from-set', EXTRA: '1', NEW_KEY: 'a b' });
  });

  it('refuses a missing .env file clearly', async () => {
    const r = await run(['profile', 'add', '--agent', 'dotenv', '--name', 'missing', '--from-env', file('nope.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read the \.env file .*nope\.env: no such file/);
  });

  it('round-trips tricky values byte for byte through export-env and add --from-env', async () => {
    const tricky = {
      NEWLINES: 'line 1\nline 2\n',
      // A CR, or a ' with a ", is refused: no quoting both dotenv and a sourcing shell read back (test/security/dotenv-sourced-by-shell).
      SINGLE_QUOTE: `it's quoted`,
      DOUBLE_AND_BACK: 'double " back `',
      HASH: 'value # not a comment',
      BACKSLASHES: 'C:\\path\\to\\n\\file',
      DOLLAR: '$HOME ${USER} $(whoami)',
      SPACES: '  padded  ',
      UNICODE: 'clé 🔑 秘密 \u00a0nbsp',
      EMPTY: '',
      EQUALS: 'a=b=c',
    };
    await ok(['profile', 'add', '--agent', 'rt', '--name', 'src', ...setArgs(tricky)]);
    const out = file('tricky.env');
    await ok(['profile', 'export-env', 'rt/src', '-o', out]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await ok(['profile', 'export-env', 'rt/src'])).stdout).toBe(readFileSync(out, 'utf8'));
    expect(parseDotenv(readFileSync(out, 'utf8'))).toEqual(tricky);
    await ok(['profile', 'add', '--agent', 'rt', '--name', 'copy', '--from-env', out]);
    expect(await revealed('rt/copy')).toEqual(tricky);

    const again = await run(['profile', 'export-env', 'rt/src', '-o', out]);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already exists\. Use --force/);
    await ok(['profile', 'export-env', 'rt/copy', '-o', out, '--force']);
    expect(parseDotenv(readFileSync(out, 'utf8'))).toEqual(tricky);
  });

  it('export-env refuses a key that is not an environment variable name, without printing values', async () => {
    const r = await run(['profile', 'export-env', 'dotenv/edge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"NAME\.WITH\.DOTS" is not a valid environment variable name/);
    expect(r.stdout).toBe('');
  });

  it('property: whatever the core can write, export-env → add --from-env restores exactly', { timeout: 240_000 }, async () => {
    const char = fc.oneof(
      fc.constantFrom('\n', '\r', '"', "'", '`', '#', '\\', '$', ' ', '=', '\t', '{', '}', 'é', '🔑', '\u2028'),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    const value = fc.array(char, { maxLength: 24 }).map((chars) => chars.join(''));
    // Names `profile add` refuses without --allow-env (LD_*, CC…) are not what this property is about.
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,11}$/).filter((n) => isEnvName(n) && n !== '__proto__' && dangerousEnvName(n) === null);
    const record = fc.dictionary(name, value, { minKeys: 1, maxKeys: 4 }).filter((r) => {
      try {
        serializeDotenv(r);
        return true;
      } catch {
        return false;
      }
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(record, async (values) => {
        n += 1;
        await ok(['profile', 'add', '--agent', 'prop', '--name', `src-${n}`, ...setArgs(values)]);
        const out = file(`prop-${n}.env`);
        await ok(['profile', 'export-env', `prop/src-${n}`, '-o', out]);
        await ok(['profile', 'add', '--agent', 'prop', '--name', `copy-${n}`, '--from-env', out]);
        expect(await revealed(`prop/copy-${n}`)).toEqual(values);
      }),
      { numRuns: 20 },
    );
  });
});

describe('keyhold completion', () => {
  function complete(script: string, words: string[]): string[] {
    const r = spawnSync('bash', [
      '-c',
      `${script}\nCOMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _keyhold; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      ...words,
    ]);
    expect(r.status, r.stderr.toString()).toBe(0);
    return r.stdout
      .toString()
      .split('\n')
      .filter((line) => line !== '');
  }

  it('generates a bash script from the program that completes commands and options', async () => {
    const script = (await ok(['completion', 'bash'])).stdout;
    expect(complete(script, ['keyhold', 'pro'])).toEqual(['profile']);
    expect(complete(script, ['keyhold', 'profile', 'expo'])).toEqual(['export-env']);
    expect(complete(script, ['keyhold', '--vault', '/tmp/v', 'profile', 'add', '--from'])).toEqual(['--from-env']);
    expect(complete(script, ['keyhold', 'profile', 'add', '--agent', 'profile', '--na'])).toEqual(['--name']);
    expect(complete(script, ['keyhold', 'run', '--no'])).toEqual(['--no-mask']);
    expect(complete(script, ['keyhold', 'un'])).toEqual(['unlock']);
    expect(complete(script, ['keyhold', 'comp'])).toEqual(['completion']);
  });

  it('generates zsh and fish scripts that cover every command, and refuses other shells', async () => {
    for (const shell of ['zsh', 'fish']) {
      const script = (await ok(['completion', shell])).stdout;
      for (const word of ['profile export-env', 'inject', 'unlock', 'lock', 'from-env', 'no-mask', 'completion']) {
        expect(script, `${shell}: ${word}`).toContain(word);
      }
    }
    const r = await run(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/use bash, zsh, fish/);
  });
});
