import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileExclusive0600 } from '../../src/core/devflow/write-file';
import { rejection } from '../helpers/cleanup';
import { tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';

// Accident: on Linux /dev/stdout is not a device but a link to /proc/self/fd/1, so the refusal to
// replace a device with a file of secrets did not cover it: as root, `inject -o /dev/stdout --force`
// renamed a 0600 file of secrets over /dev/stdout for the whole system (a person who wanted the
// output on the terminal). The same for a link to a named pipe or a device: the link was replaced.
// These tests stand a link in a folder of their own for /dev/stdout, so that the old code, run as
// root, does not replace the system's.

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('keyhold-link-out-');
});
afterEach(() => t.cleanup());

const NOT_A_FILE = "is a link to a device, a pipe, a socket or a program's output, not to a file: Keyhold writes only to a file of its own.";

/** Each link, refused with and without force, and left as it was. */
async function expectRefused(link: string): Promise<void> {
  const before = readlinkSync(link);
  for (const force of [false, true]) {
    const error = await rejection(writeFileExclusive0600(link, 'SECRET=x\n', { force }));
    expect([error.code, error.message]).toEqual(['BadInput', `${link} ${NOT_A_FILE} Leave out the file to write to standard output.`]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(before);
  }
}

describe('a link to something that is not a file', () => {
  it('to /proc/self/fd/1 (what /dev/stdout is on Linux) is not replaced', async () => {
    const link = join(t.dir, 'stdout');
    symlinkSync('/proc/self/fd/1', link);
    await expectRefused(link);
  });

  it('to a named pipe or a device is not replaced', async () => {
    const fifo = join(t.dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    symlinkSync(fifo, join(t.dir, 'to-fifo'));
    symlinkSync('/dev/null', join(t.dir, 'to-null'));
    await expectRefused(join(t.dir, 'to-fifo'));
    await expectRefused(join(t.dir, 'to-null'));
  });

  it('is told apart from a link to a file or to nothing, which --force replaces as before (the link, not its target)', async () => {
    const target = join(t.dir, 'target');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(t.dir, 'to-file'));
    symlinkSync(join(t.dir, 'missing'), join(t.dir, 'dangling'));
    for (const name of ['to-file', 'dangling']) {
      await writeFileExclusive0600(join(t.dir, name), 'new', { force: true });
      expect(lstatSync(join(t.dir, name)).isFile()).toBe(true);
      expect(lstatSync(join(t.dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});

describe('keyhold inject -o LINK --force', () => {
  let v: Awaited<ReturnType<typeof cliVault>>;
  const SECRET = 'link-out-secret-0123';
  beforeAll(async () => {
    v = await cliVault('keyhold-sec-link-out-');
    await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
  });
  afterAll(() => v.cleanup());

  it('to standard output is refused with exit 2, naming the link and what to do; the link stays', async () => {
    const link = join(v.dir, 'stdout');
    symlinkSync('/proc/self/fd/1', link);
    const r = await v.run(['inject', '-i', '-', '-o', link, '--force'], 'T=keyhold://profile/gh/dev/GITHUB_TOKEN\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${link} ${NOT_A_FILE}`);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(readlinkSync(link)).toBe('/proc/self/fd/1');
  });
});
