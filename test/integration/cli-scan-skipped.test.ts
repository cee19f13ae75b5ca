import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, MAX_FILE_BYTES } from '../../src/core/agents/walk';
import { CLI, keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { PASSWORD, tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// `keyhold scan` names every file it meant to read and could not, with the reason, on standard
// error after the table and in --json under `skipped`; the exit status is still about credentials.
// And `scan --import` puts each shell file's values in a profile of its own, saying once that a
// shell/local from an earlier import is left as it is.

let t: ReturnType<typeof tempDir>;
let home: string;
const p = (...parts: string[]) => join(t.dir, ...parts);
const KEYS = { found: lookalike.github(), big: lookalike.github(), bin: lookalike.github(), latin: lookalike.github(), linked: lookalike.github() };

interface Skipped {
  path: string;
  reason: string;
  message: string;
}

let expected: Skipped[];

beforeAll(() => {
  t = tempDir('keyhold-cli-skipped-');
  home = p('home');
  mkdirSync(home);
  write(p('proj', 'app', '.env'), `GITHUB_TOKEN=${KEYS.found}\n`);
  const big = write(p('proj', 'fixtures.json'), `{"token": "${KEYS.big}", "pad": "${'x'.repeat(MAX_FILE_BYTES)}"}`);
  const bin = write(p('proj', 'bin', '.env'), Buffer.concat([Buffer.from(`GITHUB_TOKEN=${KEYS.bin}\n`), Buffer.from([0])]));
  const latin = write(p('proj', 'old', '.env'), Buffer.from(`# Caf\xe9\nGITHUB_TOKEN=${KEYS.latin}\n`, 'latin1'));
  const pipe = p('proj', 'pipe.env');
  expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
  const link = p('proj', 'linked.env');
  symlinkSync(write(p('elsewhere', '.env'), `GITHUB_TOKEN=${KEYS.linked}\n`), link);
  const claude = join(home, '.claude.json');
  const fd = openSync(claude, 'w');
  ftruncateSync(fd, MAX_CONFIG_BYTES + 1);
  closeSync(fd);
  expected = [
    { path: claude, reason: 'too-large', message: '256.1 MiB: larger than the 256 MiB scan reads' },
    { path: big, reason: 'too-large', message: '1.1 MiB: larger than the 1 MiB read of a file found in a folder (a file named to scan is read up to 256 MiB)' },
    { path: bin, reason: 'binary', message: 'binary (it holds a NUL byte)' },
    { path: link, reason: 'symlink', message: "a symbolic link: a folder's links are not followed (the file it leads to is read when named)" },
    { path: latin, reason: 'not-utf8', message: 'not UTF-8 text: save it as UTF-8 to have it read' },
    { path: pipe, reason: 'not-a-file', message: 'a named pipe, not a file' },
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
});
afterAll(() => t.cleanup());

const noVault = () => ({ KEYHOLD_VAULT: p('vault'), HOME: home });

describe('keyhold scan names the files it could not read', () => {
  it('on standard error after the table, path and reason, never a value; the exit status is about credentials', async () => {
    const r = await keyhold(['scan', p('proj')], { env: noVault() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/GITHUB_TOKEN\s+GitHub token/);
    expect(r.stderr).toBe(
      `1 credential in 1 file (1 read).\nNot read (${expected.length} files):\n${expected.map((s) => `  ${s.path}: ${s.message}\n`).join('')}`,
    );
    for (const key of Object.values(KEYS).slice(1)) expect(r.stdout + r.stderr).not.toContain(key);

    // Nothing found, files not read: still exit 0, and still said.
    const clean = await keyhold(['scan', '--no-well-known', p('proj', 'bin')], { env: noVault() });
    expect([clean.code, clean.stdout, clean.stderr]).toEqual([
      0,
      '(none)\n',
      `0 credentials in 0 files (0 read).\nNot read (1 file):\n  ${p('proj', 'bin', '.env')}: binary (it holds a NUL byte)\n`,
    ]);
  });

  it('in --json under `skipped`, each with its path, reason and message', async () => {
    const r = await keyhold(['scan', p('proj'), '--json'], { env: noVault() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    const out = r.json<{ filesRead: number; findings: unknown[]; skipped: Skipped[] }>();
    expect(out.skipped).toEqual(expected);
    for (const s of out.skipped) expect(Object.keys(s)).toEqual(['path', 'reason', 'message']);
    expect(out.filesRead).toBe(1);
    for (const key of Object.values(KEYS).slice(1)) expect(r.stdout).not.toContain(key);
    const none = await keyhold(['scan', '--no-well-known', p('proj', 'app'), '--json'], { env: noVault() });
    expect(none.json<{ skipped: Skipped[] }>().skipped).toEqual([]);
  });

  it('a file and a folder it has no permission to read (the built binary, as another user when run as root)', () => {
    const locked = t.dir + '-locked';
    mkdirSync(locked);
    try {
      const file = write(join(locked, 'proj', '.env'), `GITHUB_TOKEN=${lookalike.github()}\n`);
      const folder = join(locked, 'proj', 'sealed');
      write(join(folder, '.env'), `GITHUB_TOKEN=${lookalike.github()}\n`);
      chmodSync(locked, 0o755);
      chmodSync(join(locked, 'proj'), 0o755);
      chmodSync(file, 0o000);
      chmodSync(folder, 0o000);
      // root reads whatever the mode; the user nobody does not.
      const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const r = spawnSync(process.execPath, [CLI, 'scan', '--no-well-known', join(locked, 'proj'), '--json'], {
        env: { PATH: process.env.PATH ?? '', HOME: locked, KEYHOLD_VAULT: join(locked, 'vault') },
        ...asOther,
      });
      expect(r.status, r.stderr.toString()).toBe(0);
      expect((JSON.parse(r.stdout.toString()) as { skipped: Skipped[] }).skipped).toEqual([
        { path: file, reason: 'unreadable', message: 'cannot be read: permission denied' },
        { path: folder, reason: 'unreadable', message: 'a folder that cannot be listed: permission denied' },
      ]);
    } finally {
      chmodSync(join(locked, 'proj', 'sealed'), 0o755);
      spawnSync('rm', ['-rf', locked]);
    }
  });
});

describe('keyhold scan --import of shell files', () => {
  it('imports each shell file into its own profile; a shell/local from an earlier import is left, and said so once', async () => {
    const vaultHome = p('import-home');
    mkdirSync(vaultHome);
    const env = { KEYHOLD_VAULT: p('import-vault'), KEYHOLD_PASSWORD: PASSWORD, HOME: vaultHome };
    expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env })).code).toBe(0);
    const old = lookalike.generic();
    expect((await keyhold(['profile', 'add', '--agent', 'shell', '--name', 'local', '--set', `OLD_API_TOKEN=${old}`, '--draft'], { env })).code).toBe(0);
    write(join(vaultHome, '.zshrc'), `export OLD_API_TOKEN=${old}\nexport ZSH_API_TOKEN=${lookalike.generic()}\n`);
    write(join(vaultHome, '.bashrc'), `export BASH_API_TOKEN=${lookalike.generic()}\n`);

    const first = await keyhold(['scan', '--import'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\.bashrc:1\s+…\S+\s+imported\s+profile shell\/bashrc BASH_API_TOKEN/);
    expect(first.stdout).toMatch(/\.zshrc:1\s+…\S+\s+held\s+profile shell\/zshrc OLD_API_TOKEN/);
    expect(first.stdout).toMatch(/\.zshrc:2\s+…\S+\s+imported\s+profile shell\/zshrc ZSH_API_TOKEN/);
    const note = "shell/local, from an earlier import, is left as it is: each file's values now go to a profile of its own (shell/bashrc, shell/zshrc).\n";
    expect(first.stderr.split(note)).toHaveLength(2);

    const again = await keyhold(['scan', '--import', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    const out = again.json<{ findings: { import: { result: string } }[]; earlier: unknown[] }>();
    expect(out.findings.map((f) => f.import.result)).toEqual(['held', 'held', 'held']);
    expect(out.earlier).toEqual([]);
    const text = await keyhold(['scan', '--import'], { env });
    expect(text.stderr).not.toContain('from an earlier import');
    const local = await keyhold(['profile', 'show', 'shell/local', '--json'], { env });
    expect(JSON.parse(local.stdout)).toMatchObject({ keys: ['OLD_API_TOKEN'] });
  });
});
