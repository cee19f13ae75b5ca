import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { cliVault } from './cli-env';

// A tired user: `inject -o NAME` (and `profile export-env -o NAME`) without --force, where NAME is a
// folder, a named pipe, a device or a link to standard output, was told "NAME already exists. Use
// --force to replace it."; with --force it was then refused for another reason (a folder, not a
// file). The first answer now gives the real reason, before the password is asked, with or without
// --force, and nothing is written: one check for both commands (checkOutputFile, src/cli/files.ts).

const SECRET = 'early-refusal-secret-0123';
const TEMPLATE = 'T=keyhold://profile/gh/dev/GITHUB_TOKEN\n';

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-early-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
});
afterAll(() => v.cleanup());

describe('inject -o NAME and profile export-env -o NAME that --force would not replace either', () => {
  it('says why at once, with or without --force, never "Use --force", and writes nothing', async () => {
    const dir = join(v.dir, 'out');
    mkdirSync(dir);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const fifo = join(dir, 'a-pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const stdout = join(dir, 'stdout');
    symlinkSync('/proc/self/fd/1', stdout);
    const cases: [string, string][] = [
      [folder, `${folder} is a folder: name the file to write, inside it or elsewhere.`],
      [fifo, `${fifo} is not a file (a device, a pipe or a socket)`],
      ['/dev/null', '/dev/null is not a file (a device, a pipe or a socket)'],
      [stdout, `${stdout} is a link to a device, a pipe, a socket or a program's output, not to a file`],
    ];
    const commands = [
      ['inject', '-i', '-'],
      ['profile', 'export-env', 'gh/dev'],
    ];
    for (const [command, [out, reason]] of commands.flatMap((c) => cases.map((k) => [c, k] as const))) {
      for (const force of [[], ['--force']]) {
        // No password in the environment: a refusal that came after the password would say it is missing.
        const r = await keyhold([...command, '-o', out, ...force], { env: { ...v.env, KEYHOLD_PASSWORD: '' }, input: TEMPLATE });
        expect(r.code, `${command.join(' ')} -o ${out} ${force.join('')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(reason);
        expect(r.stderr).not.toContain('--force');
        expect(r.stdout + r.stderr).not.toContain(SECRET);
      }
    }
    expect(readdirSync(dir).sort()).toEqual(['a-folder', 'a-pipe', 'stdout']);
    expect(readdirSync(folder)).toEqual([]);
    expect(lstatSync(stdout).isSymbolicLink()).toBe(true);
  });
});
