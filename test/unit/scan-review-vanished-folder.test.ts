import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkTree, type Skip } from '../../src/core/agents/walk';
import { tempDir } from '../helpers/vault';

// A folder listed in its parent and removed before the walk lists it (a build's temporary folder,
// a process's folder under /proc) was named under "Not read" as "a folder that cannot be listed:
// error ENOENT", a cryptic line for something that no longer exists. A file removed between
// listing and reading was already passed over quietly: there is nothing there to read.

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('keyhold-scan-review-vanished-');
});
afterAll(() => t.cleanup());

describe('walkTree and a folder removed during the walk', () => {
  it('passes over a folder gone before it is listed', () => {
    const root = join(t.dir, 'repo');
    mkdirSync(join(root, 'tmp-build'), { recursive: true });
    writeFileSync(join(root, '.env'), 'A=1\n');
    writeFileSync(join(root, 'tmp-build', '.env'), 'B=2\n');
    const passed: [string, Skip][] = [];
    const walked: string[] = [];
    // The root's own files come before its folders are listed: the folder goes in between.
    for (const f of walkTree(root, (path, skip) => passed.push([path, skip]))) {
      walked.push(f.path);
      if (f.path === join(root, '.env')) rmSync(join(root, 'tmp-build'), { recursive: true });
    }
    expect(walked).toEqual([join(root, '.env')]);
    expect(passed).toEqual([]);
  });

  it('a root that cannot be listed is still named, whatever the reason', () => {
    const passed: string[] = [];
    expect([...walkTree(join(t.dir, 'not-there'), (path, skip) => passed.push(`${path}: ${skip.message}`))]).toEqual([]);
    expect(passed).toEqual([`${join(t.dir, 'not-there')}: a folder that cannot be listed: error ENOENT`]);
  });
});
