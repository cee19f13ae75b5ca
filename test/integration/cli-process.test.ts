import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { MAX_INPUT_BYTES } from '../../src/cli/io';
import { shellWord } from '../../src/cli/parse';
import { CLI, keyholdProcess, keyholdProcessAsync } from '../helpers/cli';
import { KEY, servers } from '../helpers/sync';
import { PASSWORD, tempDir } from '../helpers/vault';

// The few tests that need the real binary in a real process; the rest run in-process (helpers/cli.ts).
const ROOT = join(import.meta.dirname, '../..');
let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('keyhold-cli-process-');
});
afterAll(() => t.cleanup());

describe('the built keyhold binary', () => {
  it('is executable after every build, so `npx keyhold` keeps working across rebuilds', () => {
    // test/global-setup.ts has just rebuilt it, as `npm run build` does.
    expect(statSync(CLI).mode & 0o777).toBe(0o755);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' })).toBe(`${pkg.version}\n`);
  });

  it("exits with the command's code and one error line, and reads a secret piped in", () => {
    const env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
    expect(keyholdProcess(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env }).code).toBe(0);
    expect(keyholdProcess(['profile', 'add', '--agent', 'a', '--name', 'b', '--set-stdin', 'K'], { env, input: 'piped-value\n' }).code).toBe(0);
    const shown = keyholdProcess(['profile', 'show', 'a/b', '--reveal', '--json'], { env });
    expect(shown.json()).toMatchObject({ authData: { K: 'piped-value' } });
    const missing = keyholdProcess(['profile', 'show', 'a/none'], { env });
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/^keyhold: No profile "a\/none"\.[^\n]*\n$/);
    const usage = keyholdProcess(['profile', 'nonsense'], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^keyhold: unknown command 'nonsense'/);
  });

  it('refuses an endless input instead of reading it until memory runs out', () => {
    const env = { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
    const piped = spawnSync('sh', ['-c', `yes | exec "${process.execPath}" "${CLI}" profile add --agent a --name endless --set-stdin K`], {
      env,
      timeout: 60_000,
    });
    expect(piped.status, piped.stderr.toString()).toBe(2);
    expect(piped.stderr.toString()).toBe(`keyhold: Standard input is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; nothing was read.\n`);
    const device = keyholdProcess(['profile', 'add', '--agent', 'a', '--name', 'endless', '--from-env', '/dev/zero'], { env });
    expect(device.code).toBe(2);
    expect(device.stderr).toMatch(/^keyhold: The \.env file \/dev\/zero is larger than 16 MiB/);
    expect(
      keyholdProcess(['profile', 'list', '--json'], { env })
        .json<{ name: string }[]>()
        .map((p) => p.name),
    ).not.toContain('endless');
  });
});

// util-linux script(1) gives the binary a pseudo-terminal, so readline and raw mode see a real one.
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

/** Runs the binary on a terminal and types `keys` once `prompt` shows; its exit code and what the terminal showed. */
function onTerminal(args: string[], env: Record<string, string>, prompt: string, keys: string): Promise<{ code: number | null; shown: string }> {
  const command = [process.execPath, CLI, ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KEYHOLD_INSECURE_TEST_KDF: '1', ...env },
  });
  let shown = '';
  child.stdout.on('data', (c: Buffer) => {
    shown += c.toString('utf8');
    if (keys !== '' && shown.includes(prompt)) {
      child.stdin.write(keys);
      keys = '';
    }
  });
  // Left open, a question used to end the process with 0; a run that hangs instead is cut short.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, shown: shown.replace(/\r\n/g, '\n') });
    }),
  );
}

describe.skipIf(!hasScript)('Ctrl-C and Ctrl-D at a prompt on a terminal', () => {
  it('Ctrl-C at a [y/N] question and at the password prompt: "Cancelled.", exit 130, nothing done; Ctrl-D is a no', async () => {
    const env = { KEYHOLD_VAULT: join(t.dir, 'tty'), KEYHOLD_PASSWORD: PASSWORD };
    expect(keyholdProcess(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env }).code).toBe(0);
    expect(keyholdProcess(['profile', 'add', '--agent', 'a', '--name', 'b', '--set', 'K=v'], { env }).code).toBe(0);
    const toml = join(t.dir, 'keyhold.toml');
    writeFileSync(toml, '[env]\nK = "keyhold://profile/a/b/K"\n');

    const interrupted = await onTerminal(['trust', toml], env, '[y/N] ', '\u0003');
    expect(interrupted.code, interrupted.shown).toBe(130);
    expect(interrupted.shown).toMatch(/\[y\/N\] [^\n]*\nkeyhold: Cancelled\.\n$/);
    const ended = await onTerminal(['trust', toml], env, '[y/N] ', '\u0004');
    expect(ended.code, ended.shown).toBe(1);
    expect(ended.shown).toMatch(/\nkeyhold: Nothing was trusted\.\n$/);
    // Neither trusted it.
    expect(keyholdProcess(['trust', '--yes', toml], { env }).stdout).toMatch(/^Trusted: /m);

    const password = await onTerminal(['profile', 'list'], { KEYHOLD_VAULT: env.KEYHOLD_VAULT }, 'Master password: ', '\u0003');
    expect(password.code, password.shown).toBe(130);
    expect(password.shown).toBe('Master password: \nkeyhold: Cancelled.\n');
  }, 60_000);
});

describe('the bundled engine (the binary carries its own copies of undici, age and zod)', () => {
  // Eight processes of the binary.
  it('reads a secret from a Node parent that writes it in parts, with pauses (a non-blocking pipe)', async () => {
    // Before, reading fd 0 at once failed with EAGAIN as soon as the writer paused.
    const env = { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: join(t.dir, 'paced'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
    expect(keyholdProcess(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env }).code).toBe(0);
    const child = spawn(process.execPath, [CLI, 'profile', 'add', '--agent', 'a', '--name', 'paced', '--set-stdin', 'K'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdin.on('error', () => {}); // EPIPE if it died early: the exit code says so below
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const pause = () => new Promise((resolve) => setTimeout(resolve, 200));
    await pause();
    child.stdin.write('first-half-');
    await pause();
    child.stdin.end('second-half\n');
    expect(await closed, stderr).toBe(0);
    expect(keyholdProcess(['profile', 'show', 'a/paced', '--reveal', '--json'], { env }).json()).toMatchObject({ authData: { K: 'first-half-second-half' } });
  });

  it('syncs over HTTP and shares through age, as the in-process tests do from the sources', async () => {
    const s = await servers();
    try {
      const env = { KEYHOLD_VAULT: join(t.dir, 'bundle'), KEYHOLD_PASSWORD: PASSWORD };
      const run = async (args: string[], input?: string) => {
        const r = await keyholdProcessAsync(args, { env, ...(input === undefined ? {} : { input }) });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        return r;
      };
      await run(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
      await run(['remote', 'set', 'kura', '--url', s.kura.url, '--api-key-stdin'], KURA_TEST_API_KEY);
      await run(['remote', 'set', 'backside', '--url', s.backside.url, '--token-stdin'], BACKSIDE_TEST_TOKEN);
      await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], 'bundled-secret');
      await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], KEY('0202'));
      expect((await run(['sync'])).stdout).toMatch(/Pushed 2, failed 0, still pending 0\./);
      expect(s.kura.profile('crm', 'prod')?.auth_data).toEqual({ PASS: 'bundled-secret' });

      const me = (await run(['identity', '--json'])).json<{ recipient: string }>();
      const file = join(t.dir, 'self.age');
      await run(['export', '--out', file, '--to', me.recipient, '--all']);
      expect((await run(['import', file, '--dry-run'])).stdout).toMatch(/= identical crm\/prod/);
    } finally {
      await s.close();
    }
  }, 90_000);
});

describe("npm start without Electron's binary", () => {
  it('says what is missing and how to get it in one sentence, without a stack or a rebuild', () => {
    // An Electron dist folder with no binary in it: what an offline `npm ci` leaves.
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/native-abi.mjs'), 'electron'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ELECTRON_OVERRIDE_DIST_PATH: join(t.dir, 'no-electron') },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Electron's binary is not installed .*node node_modules\/electron\/install\.js/);
    expect(r.stderr).not.toMatch(/\bat \S+ \(|rebuild/i);
  });

  it("the smoke test's --if-installed passes quietly instead", () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/native-abi.mjs'), 'electron', '--if-installed'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ELECTRON_OVERRIDE_DIST_PATH: join(t.dir, 'no-electron') },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
  });
});
