import { existsSync, lstatSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// A tired user's -o: `keyhold export -o /dev/stdout … | ssh host keyhold import …` was told
// "/dev/stdout already exists. Keyhold does not overwrite files: choose another name or remove it
// first", advice to delete a device link; and `-o "$OUT"` with OUT unset was told to "leave it out
// to write to standard output", which export never does (-o is required).

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-share-review-out-');
  await v.ok(['profile', 'add', '--agent', 'app', '--name', 'prod', '--set', 'API_KEY=sk-app-0123456789']);
});
afterAll(() => v.cleanup());

const exportTo = (out: string) => v.run(['export', '-o', out, '--all', '--passphrase-stdin'], 'team passphrase 1\n');
const exports = async () =>
  (await v.ok(['log', '--json'])).json<{ entries: { event: string }[] }>().entries.filter((e) => e.event === 'bundle_exported').length;

describe('export -o', () => {
  it('a device, or a link to one (as /dev/stdout is), is named as such, without advice to remove it', async () => {
    const link = join(v.dir, 'to-null');
    // /dev/stdout itself leads wherever this test's output goes, a file too: a link of our own is certain.
    symlinkSync('/dev/null', link);
    for (const [out, what] of [
      ['/dev/null', /^keyhold: \/dev\/null is a device, a pipe or a socket, not a file: an export is written only to a new file/],
      [link, /is a link to a device, a pipe or a socket, not a file/],
    ] as const) {
      const r = await exportTo(out);
      expect(r.code, out).toBe(2);
      expect(r.stderr, out).toMatch(what);
      expect(r.stderr, out).not.toMatch(/remove it|standard output/);
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await exports()).toBe(0);
  });

  it('an empty name says to name the file, not to leave it out', async () => {
    const r = await exportTo('');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('keyhold: The file to export to has an empty name: name the new file to write.\n');
    expect(await exports()).toBe(0);
  });

  it('an existing file, or a link to one or to nothing, is still "already exists" and left alone', async () => {
    const file = join(v.dir, 'taken.age');
    writeFileSync(file, 'mine');
    const toFile = join(v.dir, 'link-to-file');
    symlinkSync(file, toFile);
    const dangling = join(v.dir, 'link-to-nothing');
    symlinkSync(join(v.dir, 'nowhere'), dangling);
    for (const out of [file, toFile, dangling]) {
      const r = await exportTo(out);
      expect(r.code, out).toBe(6);
      expect(r.stderr, out).toMatch(/already exists\. Keyhold does not overwrite files/);
    }
    expect(existsSync(join(v.dir, 'nowhere'))).toBe(false);
    expect(await exports()).toBe(0);
  });
});
