import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// Accident: `keyhold run --profile P -- yes | head -1`. With masking, the command writes to a socket
// keyhold reads, not to `head`. Once head has gone, keyhold closed that socket with output still
// in it, and the command's next write failed with "Connection reset by peer" (exit 1), where in a
// shell pipeline (and with --no-mask) it ends quietly by SIGPIPE (141), or sees EPIPE if it
// ignores SIGPIPE.

const SECRET = 'sk-live-0123456789abcdef';
const hasBash = spawnSync('bash', ['-c', 'exit 0']).status === 0;

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-reader-gone-');
  await v.ok(['profile', 'add', '--agent', 'app', '--name', 'dev', '--set', `API_KEY=${SECRET}`]);
});
afterAll(() => v.cleanup());

/** Runs `line` in bash with `kh` as keyhold; stdout and stderr of the pipeline, and each command's exit status. */
function inBash(line: string): { stdout: string; stderr: string; statuses: number[] } {
  const r = spawnSync('bash', ['-c', `kh() { "$KH_NODE" "$KH_CLI" "$@"; }\n${line}\nstatuses="\${PIPESTATUS[*]}"\necho "statuses: $statuses" >&2`], {
    encoding: 'utf8',
    // Not a socket on stdin: bash then reads ~/.bashrc, taking itself for a shell started by sshd.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...v.env, KH_NODE: process.execPath, KH_CLI: CLI },
    timeout: 60_000,
  });
  expect(r.error).toBeUndefined();
  const lines = r.stderr.split('\n');
  const last = lines.findLastIndex((l) => l.startsWith('statuses: '));
  expect(last, r.stderr).toBeGreaterThanOrEqual(0);
  return {
    stdout: r.stdout,
    stderr: lines.slice(0, last).join('\n'),
    statuses: lines[last]!.slice('statuses: '.length).split(' ').map(Number),
  };
}

describe.skipIf(!hasBash || process.platform === 'win32')('keyhold run whose output reader goes away (`| head -1`)', () => {
  it.each([[[] as string[]], [['--no-mask']]])('run %j -- yes | head -1 ends quietly by SIGPIPE, as in a shell', (flags) => {
    const r = inBash(`kh run ${flags.join(' ')} --profile app/dev -- yes | head -1`);
    expect(r.stdout).toBe('y\n');
    expect(r.stderr).toBe('');
    expect(r.stderr).not.toMatch(/Connection reset/i);
    expect(r.statuses).toEqual([141, 0]);
  });

  it('conceals the secret up to the end', () => {
    const r = inBash(`kh run --profile app/dev -- sh -c 'while :; do echo "key $API_KEY"; done' | head -2`);
    expect(r.stdout).toBe('key <concealed by keyhold>\nkey <concealed by keyhold>\n');
    expect(r.stderr).toBe('');
    expect(r.statuses).toEqual([141, 0]);
  });

  it('the same when the reader of stderr goes away', () => {
    const r = inBash(`kh run --profile app/dev -- sh -c 'exec yes >&2' 2>&1 >/dev/null | head -1`);
    expect(r.stdout).toBe('y\n');
    expect(r.stderr).toBe('');
    expect(r.statuses).toEqual([141, 0]);
  });

  it('a command that ignores SIGPIPE sees EPIPE at its next write, exactly as in the same pipeline without keyhold', () => {
    const command = `sh -c 'trap "" PIPE; exec yes'`;
    const plain = inBash(`${command} | head -1`);
    expect(plain.stderr).not.toBe('');
    for (let i = 0; i < 5; i++) {
      const r = inBash(`kh run --profile app/dev -- ${command} | head -1`);
      expect(r.stderr).not.toMatch(/Connection reset/i);
      expect(r).toEqual(plain);
    }
  });
});
