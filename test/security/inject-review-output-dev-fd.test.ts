import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// A tired user: `keyhold inject -i tpl -o /dev/fd/1 --force > out.env`, or the same with
// /dev/stdout. With standard output redirected to a file, /dev/fd/1 leads to that regular file, so
// it was taken for a file to replace: Keyhold tried to make its temporary file in /proc/PID/fd and
// said "Cannot write /dev/fd/1: its folder does not exist." It is now named for what it is, like
// /dev/stdout: a program's output, which -o does not write to.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-dev-fd-');
});
afterAll(() => v.cleanup());

describe('inject -o /dev/fd/1 or /dev/stdout, with standard output redirected to a file', () => {
  it("is refused as a program's output (exit 2), and nothing is written to the file", () => {
    for (const name of ['/dev/fd/1', '/dev/stdout']) {
      const redirected = join(v.dir, 'redirected.env');
      const fd = openSync(redirected, 'w');
      try {
        const r = spawnSync(process.execPath, [CLI, 'inject', '-i', '-', '-o', name, '--force'], {
          env: { PATH: process.env.PATH ?? '', ...v.env },
          input: 'A=1\n',
          stdio: ['pipe', fd, 'pipe'],
          timeout: 60_000,
        });
        expect(r.status, name).toBe(2);
        expect(r.stderr.toString()).toBe(
          `keyhold: ${name} is a link to a device, a pipe, a socket or a program's output, not to a file: Keyhold writes only to a file of its own. Leave out the file to write to standard output.\n`,
        );
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(redirected, 'utf8')).toBe('');
    }
  });
});
