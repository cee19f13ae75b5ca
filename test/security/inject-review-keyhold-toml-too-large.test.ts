import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// A keyhold.toml larger than any file Keyhold reads (a clone's 17 MB of variables) is refused
// before it is parsed, by trust and run alike, and nothing is trusted or started. The message named
// the file "Keyhold.toml" (the start of the sentence capitalized the file's name); it now reads
// "The keyhold.toml PATH …".

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-toml-large-');
});
afterAll(() => v.cleanup());

describe('a keyhold.toml over 16 MiB', () => {
  it('is refused by trust and by run with its name as written, and nothing is trusted or started', async () => {
    const dir = join(v.dir, 'large');
    mkdirSync(dir);
    const file = join(dir, 'keyhold.toml');
    writeFileSync(file, Array.from({ length: 420_000 }, (_, i) => `V${i} = "keyhold://profile/gh/dev/GITHUB_TOKEN"\n`).join(''));
    const refused = `The keyhold.toml ${file} is larger than 16 MiB; nothing was read.`;

    const trust = await v.run(['trust', '--yes', dir]);
    expect(trust.code).toBe(2);
    expect(trust.stderr).toBe(`keyhold: ${refused}\n`);
    expect((await v.ok(['trust', '--list', '--json'])).json<unknown[]>()).toEqual([]);

    const marker = join(dir, 'started');
    const run = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...v.env },
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.toString()).toBe(`keyhold: ${refused}\n`);
    expect(existsSync(marker)).toBe(false);
  });
});
