import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// A tired user: `keyhold trust <(sed … tpl)` then `keyhold inject -i <(sed … tpl)`. The shell
// names such a template /dev/fd/63, which is /proc/PID/fd/63 with its folder resolved: trust
// recorded that path ("Trusted: /proc/10765/fd/63"), and inject, in another process, was told its
// template "is not trusted … run keyhold trust with its path", again and again. Both now say that
// it is another program's output, which cannot be trusted by its path, and that standard input
// (`-i -`), which needs no trust, is the way to pipe it in.

const SECRET = 'pipe-template-secret-0123';
const TEMPLATE = 'A=keyhold://profile/gh/dev/GITHUB_TOKEN\n';

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-pipe-tpl-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
});
afterAll(() => v.cleanup());

/** The binary through bash, with `text` as `<(…)`: ARGS with "TEMPLATE" replaced by it. */
function withPipe(args: string[], text: string) {
  const command = [process.execPath, CLI, ...args].map((a) => (a === 'TEMPLATE' ? '<(printf %s "$TPL")' : `'${a}'`)).join(' ');
  const r = spawnSync('bash', ['-c', command], {
    env: { PATH: process.env.PATH ?? '', ...v.env, TPL: text },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const refused =
  /^keyhold: \/proc\/\d+\/fd\/\d+ is another program's output \(such as <\(…\)\), not a file, so it cannot be trusted by its path\. Pipe it in instead: "keyhold inject -i -" needs no trust\.\n$/;

describe("a template that is another program's output", () => {
  it('is not trusted by its path, and inject says to pipe it in instead; nothing is recorded or written', async () => {
    const trust = withPipe(['trust', '--yes', 'TEMPLATE'], TEMPLATE);
    expect(trust.code).toBe(2);
    expect(trust.stderr).toMatch(refused);
    expect((await v.ok(['trust', '--list', '--json'])).json<unknown[]>()).toEqual([]);

    const inject = withPipe(['inject', '-i', 'TEMPLATE'], TEMPLATE);
    expect(inject.code).toBe(2);
    expect(inject.stderr).toMatch(refused);
    expect(inject.stdout).toBe('');

    // What it points to works, and one without references needs no trust at all.
    expect((await v.ok(['inject', '-i', '-'], TEMPLATE)).stdout).toBe(`A=${SECRET}\n`);
    const plain = withPipe(['inject', '-i', 'TEMPLATE'], 'DEBUG=1\n');
    expect([plain.code, plain.stdout]).toEqual([0, 'DEBUG=1\n']);
  });
});
