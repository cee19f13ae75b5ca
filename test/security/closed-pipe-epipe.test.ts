import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { CLI } from '../helpers/cli';
import { PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';

// Accident: `keyhold status | head -1` or `keyhold profile list | grep -q x`: the reader exits
// before keyhold has written everything. Node then reports EPIPE as an uncaught error, with a stack
// trace on the terminal and a failure exit code, for what is the normal end of a pipeline.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-epipe-');
  const vault = Vault.open(v.env.KEYHOLD_VAULT);
  await vault.unlock(PASSWORD);
  try {
    vault.profiles.createMany(Array.from({ length: 200 }, (_, i) => ({ agentId: 'app', name: `p${i}`, authData: { API_KEY: `sk-${i}-0123456789` } })));
  } finally {
    vault.close();
  }
});
afterAll(() => v.cleanup());

/** Runs keyhold with its stdout read by nobody: the pipe is closed before keyhold writes. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...v.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a closed output pipe ends keyhold quietly', () => {
  it.each([[['status']], [['profile', 'list']], [['profile', 'list', '--json']], [['--help']]])('keyhold %s', async (args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  // `run` waits for its command instead, which ends as it would in a pipeline: by SIGPIPE at its next
  // write (exit 141), masked or not, without "Connection reset by peer" from the command.
  it.skipIf(process.platform === 'win32').each([[[] as string[]], [['--no-mask']]])('keyhold run %j -- yes', async (flags) => {
    const r = await withClosedStdout(['run', ...flags, '--profile', 'app/p0', '--', 'yes']);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(141);
  });
});
