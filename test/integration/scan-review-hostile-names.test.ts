import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// A repository someone scans names its own folders: a line break, a tab, an escape sequence or a
// right-to-left override in a name must not forge a finding line, hide one, or reach the terminal
// raw, in the table or under "Not read"; --json keeps the name exactly, escaped by JSON.

let t: ReturnType<typeof tempDir>;
const p = (...parts: string[]) => join(t.dir, ...parts);
const evil = 'x\n/fake/.env:1  GITHUB_TOKEN  GitHub token  ghp…0000  unknown\t\u001b[2J\u001b]0;pwned\u0007\u202e';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const RAW_C0 = /[\u0000-\u001f]/;
const key = lookalike.github();
let file: string;
let pipe: string;

beforeAll(() => {
  t = tempDir('keyhold-scan-review-hostile-');
  file = write(p('repo', evil, '.env'), `GITHUB_TOKEN=${key}\n`);
  pipe = p('repo', evil, 'pipe.env');
  expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
});
afterAll(() => t.cleanup());

const env = () => ({ HOME: p('repo'), KEYHOLD_VAULT: p('no-vault') });

describe('keyhold scan of names with control characters', () => {
  it('prints one table line per finding and one "Not read" line per file, every control character escaped', async () => {
    const r = await keyhold(['scan', '--no-well-known', p('repo')], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('x\\x0a/fake/.env:1  GITHUB_TOKEN');
    expect(lines[1]).toContain('\\x09\\x1b[2J\\x1b]0;pwned\\x07\\u202e/.env:1');
    expect(r.stderr).toContain(
      `Not read (1 file):\n  ${pipe.replace('\n', '\\x0a').replace('\t', '\\x09').replaceAll('\u001b', '\\x1b').replace('\u0007', '\\x07').replace('\u202e', '\\u202e')}: a named pipe, not a file\n`,
    );
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toMatch(RAW);
      expect(out).not.toContain(key);
    }
  });

  it('--json keeps each path exactly, with no raw control character in the output', async () => {
    const r = await keyhold(['scan', '--no-well-known', '--json', p('repo')], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    const out = r.json<{ findings: { file: string }[]; skipped: { path: string }[] }>();
    expect(out.findings.map((f) => f.file)).toEqual([file]);
    expect(out.skipped.map((s) => s.path)).toEqual([pipe]);
    // JSON escapes C0 controls itself; its own line breaks are the only raw ones.
    expect(r.stdout.replaceAll('\n', '')).not.toMatch(RAW_C0);
    expect(r.stdout).not.toContain(key);
  });
});
