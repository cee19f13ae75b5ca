import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// A tired user, after "inject -i -" worked: `keyhold trust -`. It read the template from standard
// input, showed it, and recorded trust for a file named "-" in the current folder, which the person
// never read (and a file of that name, added later, was filled in by it). Standard input needs no
// trust, so `trust -` says so and records nothing; a file named "-" is trusted as ./-.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-trust-stdin-');
});
afterAll(() => v.cleanup());

const trustedPaths = async () => (await v.ok(['trust', '--list', '--json'])).json<{ path: string }[]>().map((t) => t.path);

describe('keyhold trust -', () => {
  it('is refused (exit 2), saying that standard input needs no trust, and records nothing', async () => {
    const r = await v.run(['trust', '--yes', '-'], 'A=keyhold://profile/gh/dev/GITHUB_TOKEN\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('keyhold: A template on standard input needs no trust ("keyhold inject -i -" fills it in as it is); name a file to trust.\n');
    expect(r.stdout).toBe('');
    expect(await trustedPaths()).toEqual([]);
  });

  it('a file that is named "-" is trusted when named as ./-', async () => {
    const dir = join(v.dir, 'dash');
    mkdirSync(dir);
    writeFileSync(join(dir, '-'), 'A=keyhold://profile/gh/dev/GITHUB_TOKEN\n');
    expect(existsSync(join(dir, '-'))).toBe(true);
    await v.ok(['trust', '--yes', join(dir, '-')]);
    expect(await trustedPaths()).toEqual([join(dir, '-')]);
  });
});
