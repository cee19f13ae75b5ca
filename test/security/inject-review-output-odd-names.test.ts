import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileExclusive0600 } from '../../src/core/devflow/write-file';
import { rejection } from '../helpers/cleanup';
import { cliVault } from './cli-env';

// A tired user's -o: an empty name (`-o "$OUT"` with OUT unset) was "Cannot write : its folder
// does not exist.", and a name ending in "/" (`-o config/` for a folder not made yet, or a file)
// was "its folder does not exist" too, which names neither mistake. Each now says what it is.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-odd-names-');
});
afterAll(() => v.cleanup());

describe('a name to write that names no file', () => {
  it('empty, or ending in "/" where there is no folder, is refused with force or without, and nothing is written', async () => {
    const dir = join(v.dir, 'odd');
    mkdirSync(dir);
    writeFileSync(join(dir, 'file.env'), 'kept');
    const cases: [string, string][] = [
      ['', 'The file to write has an empty name: name the file, or leave it out to write to standard output.'],
      [join(dir, 'config') + '/', `${join(dir, 'config')}/ ends with "/", so it names a folder, and there is none: name the file to write.`],
      [join(dir, 'file.env') + '/', `${join(dir, 'file.env')}/ ends with "/", so it names a folder, and there is none: name the file to write.`],
    ];
    for (const [path, message] of cases) {
      for (const force of [false, true]) {
        const error = await rejection(writeFileExclusive0600(path, 'SECRET=x\n', { force }));
        expect([error.code, error.message]).toEqual(['BadInput', message]);
        const r = await v.run(['inject', '-i', '-', '-o', path, ...(force ? ['--force'] : [])], 'A=1\n');
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(`keyhold: ${message}\n`);
      }
    }
    // An existing folder, with or without the "/", is still named as one.
    const folder = await v.run(['inject', '-i', '-', '-o', `${dir}/`], 'A=1\n');
    expect(folder.stderr).toBe(`keyhold: ${dir}/ is a folder: name the file to write, inside it or elsewhere.\n`);
    expect(readdirSync(dir)).toEqual(['file.env']);
  });
});
