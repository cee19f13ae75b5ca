import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { FAST_KDF, PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();
const INIT = ['init', '--kdf-memory', '1', '--kdf-iterations', '1'];

function place() {
  const t = tempDir('keyhold-vault-paths-');
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'notes.txt');
  writeFileSync(file, 'my notes\n');
  const fifo = join(t.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const broken = join(t.dir, 'broken-link');
  symlinkSync(join(t.dir, 'gone'), broken);
  return { dir: t.dir, file, fifo, broken, throughFile: join(file, 'vault') };
}

// A tired user's KEYHOLD_VAULT or --vault naming a file, a pipe, /dev/null, a link to nothing, or a
// path through a file. Before: `init` said "A vault already exists in …" (a file, a pipe, /dev/null,
// the broken link) or printed Node's "ENOTDIR: not a directory, mkdir …" (exit 1), and reading
// commands said "Create one with "keyhold init"", which then fails the same way.
describe('a vault path that is not a folder', () => {
  it('init refuses it by name, exit 4, before asking for a password, and makes nothing', async () => {
    const p = place();
    for (const path of [p.file, p.fifo, '/dev/null', p.broken, p.throughFile]) {
      // No password given: a refusal after asking would say there is no terminal.
      const r = await keyhold(['--vault', path, ...INIT]);
      expect(r.code, `${path}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toBe(
        `keyhold: No vault can be made in ${path}: it is not a folder (a file, a device or a broken link, or a path through a file). Name a folder; one that does not exist yet is made.\n`,
      );
      // The same from the engine, with a password (the window's way in).
      await expect(Vault.create(path, PASSWORD, { kdf: FAST_KDF })).rejects.toMatchObject({ code: 'NotAVault' });
    }
    expect(readFileSync(p.file, 'utf8')).toBe('my notes\n');
    expect(lstatSync(p.fifo).isFIFO()).toBe(true);
    expect(lstatSync(p.broken).isSymbolicLink()).toBe(true);
    expect(existsSync(join(p.dir, 'gone'))).toBe(false);
  });

  it('reading commands say it is not a folder, without telling to create a vault there', async () => {
    const p = place();
    for (const path of [p.file, '/dev/null']) {
      const r = await keyhold(['--vault', path, 'doctor'], { env: { KEYHOLD_PASSWORD: PASSWORD } });
      expect(r.code).toBe(4);
      expect(r.stderr).toBe(`keyhold: No vault found: ${path} is not a folder.\n`);
    }
  });

  it('a folder that is there is still used as it was: init makes the vault in it', async () => {
    const p = place();
    const folder = join(p.dir, 'folder');
    mkdirSync(folder);
    const link = join(p.dir, 'link-to-folder');
    symlinkSync(folder, link);
    const r = await keyhold(['--vault', link, ...INIT], { env: { KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(folder, 'vault.sqlite'))).toBe(true);
  });
});
