import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { PASSWORD, tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// A repository someone scans names its own folders. A folder whose name cannot be an agent id is
// refused at --import, and the "Refused FILE:LINE: …" line on standard error names its file: that
// line used to keep the name's line breaks, so a folder could print lines of its own under it.

let t: ReturnType<typeof tempDir>;
const p = (...parts: string[]) => join(t.dir, ...parts);

beforeAll(async () => {
  t = tempDir('keyhold-scan-review-refused-');
  mkdirSync(p('home'));
  const init = await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: env() });
  expect(init.code, init.stderr).toBe(0);
});
afterAll(() => t.cleanup());

const env = () => ({ KEYHOLD_VAULT: p('vault'), KEYHOLD_PASSWORD: PASSWORD, HOME: p('home') });

describe('keyhold scan --import, a refused file whose folder name holds a line break', () => {
  it('names it on one line, the line break escaped: the folder cannot forge a line', async () => {
    const forged = 'keyhold: nothing was imported, the vault is clean';
    const key = lookalike.github();
    const file = write(p('repo', `x\n${forged}`, '.env'), `GITHUB_TOKEN=${key}\n`);
    const r = await keyhold(['scan', '--no-well-known', p('repo'), '--import'], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith(forged))).toEqual([]);
    const refused = lines.filter((l) => l.startsWith('Refused '));
    expect(refused).toEqual([`Refused ${file.replace('\n', '\\x0a')}:1: Agent id may not contain control characters. Import it by hand under another name.`]);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(key);
      expect(out).not.toContain(`\n${forged}`);
    }
  });
});
