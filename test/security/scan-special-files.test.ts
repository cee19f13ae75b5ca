import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// Accident: a named pipe where scan expects a config (a tool's socket-like file, a `mkfifo` left in
// a project). Opening it for reading waited for a writer, so `keyhold scan` (and the window's
// "Found on this computer") hung for good. It is passed over now, and the scan goes on.

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('keyhold-sec-scan-fifo-');
});
afterAll(() => t.cleanup());

describe('scan and files that are not regular files', () => {
  it('passes over a named pipe in a well-known place and one named on the command line', () => {
    const home = join(t.dir, 'home');
    mkdirSync(home);
    execFileSync('mkfifo', [join(home, '.claude.json')]);
    const token = lookalike.github();
    writeFileSync(join(home, '.bashrc'), `export GITHUB_TOKEN=${token}\n`);
    const fifo = join(t.dir, 'named.env');
    execFileSync('mkfifo', [fifo]);
    // A process of its own, with a deadline: the old code blocked its thread in open(), for good.
    const r = spawnSync(process.execPath, [CLI, 'scan', '--json', fifo], {
      env: { PATH: process.env.PATH ?? '', HOME: home, KEYHOLD_VAULT: join(t.dir, 'no-vault') },
      timeout: 20_000,
    });
    expect(r.status, r.stderr.toString()).toBe(1); // the .bashrc credential was found
    const findings = (JSON.parse(r.stdout.toString()) as { findings: { file: string }[] }).findings;
    expect(findings.map((f) => f.file)).toEqual([join(home, '.bashrc')]);
  });
});
