import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { runWithSecrets, type RunOptions } from '../../src/core/devflow/run';
import { DEFAULT_MASK } from '../../src/core/devflow/mask';
import { KeyholdError } from '../../src/shared/errors';

const ROOT = join(import.meta.dirname, '../..');
const node = process.execPath;

function sink() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function noInput(): PassThrough {
  const s = new PassThrough();
  s.end();
  return s;
}

/** An output whose reader goes away after the first chunk, as `| head -1`'s does: later writes fail with EPIPE. */
function readerGoneAfterFirstChunk() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (chunks.length > 0) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `node -e script` with the given secrets; returns the result and what the child wrote. */
async function runScript(script: string, env: Record<string, string>, options: Partial<RunOptions> = {}) {
  const out = sink();
  const err = sink();
  const result = await runWithSecrets({
    command: node,
    args: ['-e', script],
    env,
    mask: true,
    stdin: noInput(),
    stdout: out.stream,
    stderr: err.stream,
    baseEnv: { PATH: process.env.PATH, BASE_ONLY: 'from-base', OVERRIDDEN: 'base-value' },
    ...options,
  });
  return { result, stdout: out.text(), stderr: err.text() };
}

describe('runWithSecrets', () => {
  it('injects the secrets over the base environment', async () => {
    const { result, stdout } = await runScript(
      'console.log(JSON.stringify({ t: process.env.API_TOKEN, b: process.env.BASE_ONLY, o: process.env.OVERRIDDEN }))',
      { API_TOKEN: 'tok-1234567890', OVERRIDDEN: 'injected-value' },
      { mask: false },
    );
    expect(result).toEqual({ code: 0 });
    expect(JSON.parse(stdout)).toEqual({ t: 'tok-1234567890', b: 'from-base', o: 'injected-value' });
  });

  it('masks a secret written in two parts with a pause between them, on stdout and stderr', async () => {
    const secret = 'sk-live-0123456789abcdef';
    const script = `
      const s = process.env.OPENAI_API_KEY;
      process.stdout.write('key=' + s.slice(0, 9));
      process.stderr.write('err:' + s.slice(0, 5));
      setTimeout(() => {
        process.stdout.write(s.slice(9) + ' done\\n');
        process.stderr.write(s.slice(5) + '!\\n');
      }, 100);`;
    const { result, stdout, stderr } = await runScript(script, { OPENAI_API_KEY: secret });
    expect(result).toEqual({ code: 0 });
    expect(stdout).toBe(`key=${DEFAULT_MASK} done\n`);
    expect(stderr).toBe(`err:${DEFAULT_MASK}!\n`);
  });

  it('masks a secret that is a prefix of another, and a multi-byte one', async () => {
    const env = { SHORT: 'abcd1234', LONG: 'abcd1234-extended', UNICODE: 'clé-🔑-秘密' };
    const { stdout } = await runScript("for (const k of ['SHORT', 'LONG', 'UNICODE']) console.log(k + ':' + process.env[k] + ';')", env);
    expect(stdout).toBe(`SHORT:${DEFAULT_MASK};\nLONG:${DEFAULT_MASK};\nUNICODE:${DEFAULT_MASK};\n`);
    for (const value of Object.values(env)) expect(stdout).not.toContain(value);
  });

  it('masks the password of a URL it injects when the program prints only the password, or its parsed config', async () => {
    const env = { DATABASE_URL: 'postgres://app:S3cr3t-pa55@db:5432/shop', WEATHER_URL: 'https://api.example.com/v1?api_key=wk-0123456789' };
    const script = `
      const db = new URL(process.env.DATABASE_URL);
      console.error('password authentication failed for user ' + db.username + ' (password ' + db.password + ')');
      console.log(JSON.stringify({ user: db.username, password: db.password, host: db.hostname }));
      console.log('key ' + new URL(process.env.WEATHER_URL).searchParams.get('api_key'));`;
    const { result, stdout, stderr } = await runScript(script, env);
    expect(result).toEqual({ code: 0 });
    expect(stderr).toBe(`password authentication failed for user app (password ${DEFAULT_MASK})\n`);
    expect(stdout).toBe(`{"user":"app","password":"${DEFAULT_MASK}","host":"db"}\nkey ${DEFAULT_MASK}\n`);
  });

  it('passes output through untouched when masking is off', async () => {
    const { stdout } = await runScript('process.stdout.write(process.env.TOKEN)', { TOKEN: 'visible-secret' }, { mask: false });
    expect(stdout).toBe('visible-secret');
  });

  it('passes the exit code through', async () => {
    const { result } = await runScript('process.exit(7)', {});
    expect(result).toEqual({ code: 7 });
  });

  it('passes a signal death through', async () => {
    const { result } = await runScript("process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10000)", {});
    expect(result).toEqual({ signal: 'SIGTERM' });
  });

  it('passes stdin through', async () => {
    const input = new PassThrough();
    input.end('hello from stdin\n');
    const { stdout } = await runScript(
      "let d = ''; process.stdin.on('data', (c) => (d += c)).on('end', () => process.stdout.write(d.toUpperCase()))",
      {},
      { stdin: input },
    );
    expect(stdout).toBe('HELLO FROM STDIN\n');
  });

  it('shows a prompt at once while masking, so an interactive program can be answered', async () => {
    const input = new PassThrough();
    const out = new PassThrough();
    let seen = '';
    out.on('data', (c: Buffer) => {
      seen += c.toString();
      // The answer is only sent once the prompt arrived: if the masker held it, this test would hang.
      if (seen.endsWith('Enter code: ')) input.end('42\n');
    });
    const result = await runWithSecrets({
      command: node,
      args: [
        '-e',
        "process.stdout.write('Enter code: '); process.stdin.once('data', (c) => { console.log('got ' + String(c).trim() + ' with ' + process.env.SECRET_TOKEN); process.exit(0); })",
      ],
      env: { SECRET_TOKEN: 'Enter-the-dragon' },
      mask: true,
      stdin: input,
      stdout: out,
      stderr: sink().stream,
      baseEnv: { PATH: process.env.PATH },
    });
    expect(result).toEqual({ code: 0 });
    expect(seen).toBe(`Enter code: got 42 with ${DEFAULT_MASK}\n`);
  });

  it('refuses a command that does not exist, without a secret in the error', async () => {
    const listeners = process.listenerCount('SIGTERM');
    const error = await runWithSecrets({
      command: 'keyhold-no-such-command-xyz',
      env: { TOKEN: 'do-not-leak-this' },
      mask: true,
      stdin: noInput(),
      stdout: sink().stream,
      stderr: sink().stream,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyholdError);
    expect((error as KeyholdError).code).toBe('CommandNotFound');
    expect((error as KeyholdError).message).toBe('command not found: keyhold-no-such-command-xyz');
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('refuses a bad variable name or a NUL in a value before starting anything', async () => {
    const run = (env: Record<string, string>) =>
      runWithSecrets({ command: node, args: ['-e', ''], env, mask: false }).then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => e as KeyholdError,
      );
    const badName = await run({ 'MY-KEY': 'v' });
    expect(badName.code).toBe('BadInput');
    expect(badName.message).toContain('"MY-KEY"');
    const nul = await run({ KEY: 'sec\u0000ret-value' });
    expect(nul.code).toBe('BadInput');
    expect(nul.message).not.toContain('ret-value');
  });

  describe.skipIf(process.platform === 'win32')('when the reader of the output goes away (`| head -1`), as in a shell pipeline', () => {
    const secret = 'sk-live-0123456789abcdef';

    it('a child that writes again ends by SIGPIPE, with nothing said about a reset connection', async () => {
      const out = readerGoneAfterFirstChunk();
      const err = sink();
      const script = `while :; do echo "y $API_KEY"; done`;
      const result = await runWithSecrets({
        command: 'sh',
        args: ['-c', script],
        env: { API_KEY: secret },
        mask: true,
        stdin: noInput(),
        stdout: out.stream,
        stderr: err.stream,
      });
      expect(result).toEqual({ signal: 'SIGPIPE' });
      expect(out.text()).toMatch(new RegExp(`^(y ${DEFAULT_MASK}\n)+`));
      expect(out.text()).not.toContain(secret);
      expect(err.text()).toBe('');
    });

    // Node ignores SIGPIPE, as Python does: such a child must see EPIPE at its next write, as in a
    // pipeline. It writes as `yes` or Python do, blocking, so a write is waiting whenever the reader
    // goes: closing the socket with output unread then fails it with ECONNRESET instead (small writes,
    // so the waiting one has written nothing yet and reports the error rather than a short count).
    const ignoresSigpipe = (ours: 1 | 2, other: 1 | 2) => `
      const { writeSync } = require('node:fs');
      const chunk = Buffer.alloc(1024, 'y');
      try {
        for (;;) writeSync(${ours}, chunk);
      } catch (e) {
        writeSync(${other}, 'child saw ' + e.code + '\\n');
        process.exit(3);
      }`;

    it('a child that ignores SIGPIPE gets EPIPE at its next write to stdout, and ends as it chooses', async () => {
      const out = readerGoneAfterFirstChunk();
      const { result, stderr } = await runScript(ignoresSigpipe(1, 2), { API_KEY: secret }, { stdout: out.stream });
      expect(stderr).toBe('child saw EPIPE\n');
      expect(result).toEqual({ code: 3 });
    });

    it('the same for stderr', async () => {
      const err = readerGoneAfterFirstChunk();
      const { result, stdout } = await runScript(ignoresSigpipe(2, 1), { API_KEY: secret }, { stderr: err.stream });
      expect(stdout).toBe('child saw EPIPE\n');
      expect(result).toEqual({ code: 3 });
    });

    it('a child that does not write again keeps its own exit code', async () => {
      const out = readerGoneAfterFirstChunk();
      const script = `process.stdout.write('one\\n'); setTimeout(() => process.stdout.write('two\\n'), 50); setTimeout(() => process.exit(5), 300);`;
      const { result } = await runScript(script, { API_KEY: secret }, { stdout: out.stream });
      expect(result).toEqual({ code: 5 });
      expect(out.text()).toBe('one\n');
    });
  });

  it('forwards SIGTERM to the child while waiting, and hands stdout over as it is', async () => {
    const child = `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(3); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const wrapper = `
      import { runWithSecrets } from ${JSON.stringify(join(ROOT, 'src/core/devflow/run.ts'))};
      const result = await runWithSecrets({ command: process.execPath, args: ['-e', ${JSON.stringify(child)}], env: { T: 'secret-value-1' }, mask: false });
      console.log('wrapper result ' + JSON.stringify(result));`;
    const proc = spawn(node, ['--import', 'tsx', '--input-type=module', '-e', wrapper], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('ready\n') && !proc.killed) proc.kill('SIGTERM');
    });
    const exit = await new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    expect(exit).toBe(0);
    expect(output).toBe('ready\nchild got SIGTERM\nwrapper result {"code":3}\n');
  });
});
