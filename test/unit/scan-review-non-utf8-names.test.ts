import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from '../../src/core/agents/scan';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// Linux allows any bytes in a name but a slash and NUL. Read as text, a name that is not UTF-8
// has U+FFFD where its bytes were: a path that does not exist. A `.env.<0xfe>` holding a key was
// left unread without a word (exit 0, nothing under "Not read"), and a folder `d<0xff>` was
// reported as "a folder that cannot be listed: error ENOENT".

let t: ReturnType<typeof tempDir>;
const bytesPath = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((part, i) => Buffer.concat([Buffer.from(i === 0 ? '' : '/'), typeof part === 'string' ? Buffer.from(part) : Buffer.from(part)])));
const KEYS = { file: lookalike.github(), inFolder: lookalike.github(), plain: lookalike.github() };

beforeAll(() => {
  t = tempDir('keyhold-scan-review-bytes-');
  mkdirSync(join(t.dir, 'repo'));
  writeFileSync(bytesPath(t.dir, 'repo', [...Buffer.from('.env.'), 0xfe]), `GITHUB_TOKEN=${KEYS.file}\n`);
  mkdirSync(bytesPath(t.dir, 'repo', [0x64, 0xff, 0xe2, 0x80, 0xae]));
  writeFileSync(bytesPath(t.dir, 'repo', [0x64, 0xff, 0xe2, 0x80, 0xae], '.env'), `GITHUB_TOKEN=${KEYS.inFolder}\n`);
  // Not a name that can hold keys: passed over by design, as with valid names.
  writeFileSync(bytesPath(t.dir, 'repo', [0x6e, 0xff]), `GITHUB_TOKEN=${lookalike.github()}\n`);
  writeFileSync(join(t.dir, 'repo', '.env'), `GITHUB_TOKEN=${KEYS.plain}\n`);
});
afterAll(() => t.cleanup());

describe('scan of a tree with names that are not UTF-8', () => {
  it('names each file and folder it cannot open, its bytes escaped, and why; the rest is read', () => {
    const r = scan({ paths: [join(t.dir, 'repo')], wellKnown: false });
    expect(r.findings.map((f) => f.file)).toEqual([join(t.dir, 'repo', '.env')]);
    expect(r.skipped).toEqual([
      {
        path: join(t.dir, 'repo', '.env.\\xfe'),
        reason: 'unreadable',
        message: 'a name that is not UTF-8, which scan cannot open: rename it to have it read',
      },
      {
        path: join(t.dir, 'repo', 'd\\xff\u202e'),
        reason: 'unreadable',
        message: 'a folder whose name is not UTF-8, which scan cannot open: rename it to have it searched',
      },
    ]);
    expect(JSON.stringify(r.skipped)).not.toContain(KEYS.file);
  });

  it('two names that read the same as text are each named', () => {
    const dir = join(t.dir, 'twins');
    mkdirSync(dir);
    writeFileSync(bytesPath(dir, [...Buffer.from('a'), 0xfe, ...Buffer.from('.env')]), `GITHUB_TOKEN=${lookalike.github()}\n`);
    writeFileSync(bytesPath(dir, [...Buffer.from('a'), 0xff, ...Buffer.from('.env')]), `GITHUB_TOKEN=${lookalike.github()}\n`);
    expect(scan({ paths: [dir], wellKnown: false }).skipped.map((s) => s.path)).toEqual([join(dir, 'a\\xfe.env'), join(dir, 'a\\xff.env')]);
  });
});
