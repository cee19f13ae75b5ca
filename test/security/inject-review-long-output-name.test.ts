import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileExclusive0600 } from '../../src/core/devflow/write-file';
import { rejection } from '../helpers/cleanup';
import { tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';

// Accident: `inject -o` (and every other writer of secrets) wrote through a temporary name made of
// the whole file name plus 42 characters, so a file whose own name was long but legal (over 213 of
// the 255 bytes a file system takes) could not be written: "Something went wrong inside Keyhold",
// exit 1. The temporary name now holds only the start of the file's name; a name too long for the
// file system itself is said to be so.

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('keyhold-long-name-');
});
afterEach(() => t.cleanup());

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('a file name near the file system limit', () => {
  it('is written, 0600, with no temporary file left: 250 ASCII characters, and 63 four-byte characters (252 bytes)', async () => {
    for (const name of ['n'.repeat(250), '😀'.repeat(63)]) {
      const path = join(t.dir, name);
      await writeFileExclusive0600(path, 'TOKEN=abc\n');
      expect(readFileSync(path, 'utf8')).toBe('TOKEN=abc\n');
      expect(modeOf(path)).toBe(0o600);
      await writeFileExclusive0600(path, 'TOKEN=def\n', { force: true });
      expect(readFileSync(path, 'utf8')).toBe('TOKEN=def\n');
    }
    expect(readdirSync(t.dir).sort()).toEqual(['n'.repeat(250), '😀'.repeat(63)].sort());
  });

  it('that the file system cannot hold is refused with that reason, and nothing is left', async () => {
    const path = join(t.dir, 'n'.repeat(300));
    const error = await rejection(writeFileExclusive0600(path, 'TOKEN=abc\n'));
    expect([error.code, error.message]).toEqual(['BadInput', `Cannot write ${path}: its name is too long for the file system.`]);
    expect(readdirSync(t.dir)).toEqual([]);
  });
});

describe('keyhold inject -o with a long name', () => {
  let v: Awaited<ReturnType<typeof cliVault>>;
  beforeAll(async () => {
    v = await cliVault('keyhold-sec-long-name-');
    await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', 'GITHUB_TOKEN=long-name-secret-0123']);
  });
  afterAll(() => v.cleanup());

  it('writes the file', async () => {
    const out = join(v.dir, `${'config-'.repeat(34)}.env`);
    const r = await v.run(['inject', '-i', '-', '-o', out], 'T=keyhold://profile/gh/dev/GITHUB_TOKEN\n');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('T=long-name-secret-0123\n');
    expect(modeOf(out)).toBe(0o600);
  });
});
