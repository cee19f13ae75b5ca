import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/core/agents';
import { MAX_CONFIG_BYTES, MAX_FILE_BYTES } from '../../src/core/agents/walk';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// Nothing skipped is silent: a file scan meant to read and could not is listed with its reason.
// Before, a pipe, a binary, a file over the limit or a link in a walk was passed over without a
// word, and a file not in UTF-8 was read with replacement characters (a value would be imported
// other than it is).

const cleanups = useCleanups();

function tree() {
  const t = tempDir('keyhold-skipped-');
  cleanups.push(t.cleanup);
  const at = (...parts: string[]) => join(t.dir, ...parts);
  const write = (path: string, content: string | Buffer) => writeWithFolders(at(path), content);
  const sparse = (path: string, size: number) => {
    mkdirSync(join(at(path), '..'), { recursive: true });
    const fd = openSync(at(path), 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    return at(path);
  };
  const fifo = (path: string) => {
    mkdirSync(join(at(path), '..'), { recursive: true });
    expect(spawnSync('mkfifo', [at(path)]).status).toBe(0);
    return at(path);
  };
  mkdirSync(at('home'));
  return { at, write, sparse, fifo, env: { HOME: at('home'), XDG_CONFIG_HOME: at('home', '.config') } };
}

describe('scan lists each file it meant to read and could not', () => {
  it('in a walk: too large, binary, not UTF-8 (Latin-1, or broken UTF-16), a named pipe, a symbolic link; never the value', () => {
    const t = tree();
    const keys = { big: lookalike.github(), bin: lookalike.github(), utf16: lookalike.github(), latin: lookalike.github(), linked: lookalike.github() };
    const utf16Nul = lookalike.github();
    const big = t.write('proj/fixtures.json', `{"token": "${keys.big}", "pad": "${'x'.repeat(MAX_FILE_BYTES)}"}`);
    const bin = t.write('proj/bin/.env', Buffer.concat([Buffer.from(`GITHUB_TOKEN=${keys.bin}\n`), Buffer.from([0, 1, 2])]));
    // UTF-16 with its mark is read (below); cut to an odd length, or holding a NUL, it is not.
    const utf16 = t.write(
      'proj/win/.env',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`GITHUB_TOKEN=${keys.utf16}\r\n`, 'utf16le'), Buffer.from([0x41])]),
    );
    const utf16Binary = t.write('proj/win2/.env', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`GITHUB_TOKEN=${utf16Nul}\u0000\r\n`, 'utf16le')]));
    const latin = t.write('proj/old/.env', Buffer.from(`# Caf\xe9\nGITHUB_TOKEN=${keys.latin}\n`, 'latin1'));
    const pipe = t.fifo('proj/pipe/.env');
    const target = t.write('elsewhere/.env', `GITHUB_TOKEN=${keys.linked}\n`);
    const link = t.at('proj', 'linked', '.env');
    mkdirSync(join(link, '..'));
    symlinkSync(target, link);
    const result = scan({ paths: [t.at('proj')], wellKnown: false, env: t.env, platform: 'linux' });
    expect(result.findings).toEqual([]);
    expect(result.filesRead).toBe(0);
    expect(result.skipped).toEqual(
      [
        {
          path: big,
          reason: 'too-large',
          message: '1.1 MiB: larger than the 1 MiB read of a file found in a folder (a file named to scan is read up to 256 MiB)',
        },
        { path: bin, reason: 'binary', message: 'binary (it holds a NUL byte)' },
        { path: utf16, reason: 'not-utf8', message: 'not valid UTF-16 text, though it starts as UTF-16: save it as UTF-8 to have it read' },
        { path: utf16Binary, reason: 'binary', message: 'binary (it holds a NUL character)' },
        { path: latin, reason: 'not-utf8', message: 'not UTF-8 text: save it as UTF-8 to have it read' },
        { path: pipe, reason: 'not-a-file', message: 'a named pipe, not a file' },
        {
          path: link,
          reason: 'symlink',
          message: "a symbolic link: a folder's links are not followed (the file it leads to is read when named)",
        },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    const shown = JSON.stringify(result.skipped);
    for (const key of [...Object.values(keys), utf16Nul]) expect(shown).not.toContain(key);
    // Named, the file a link leads to is read; so is a file over the walk's limit.
    expect(scan({ paths: [link, big], wellKnown: false, env: t.env, platform: 'linux' }).findings.map((f) => f.value)).toEqual([keys.linked, keys.big]);
  });

  it('at the well-known places: over 256 MiB, a named pipe, a link to nothing; a place that is not there is not listed', () => {
    const t = tree();
    const claude = t.sparse('home/.claude.json', MAX_CONFIG_BYTES + 1);
    const cursor = t.fifo('home/.cursor/mcp.json');
    const zshrc = t.at('home', '.zshrc');
    symlinkSync(t.at('dotfiles', 'zshrc'), zshrc);
    // A link that leads to a file is read like the file.
    const key = lookalike.github();
    t.write('dotfiles/bashrc', `export GITHUB_TOKEN=${key}\n`);
    symlinkSync(t.at('dotfiles', 'bashrc'), t.at('home', '.bashrc'));
    const result = scan({ paths: [], wellKnown: true, env: t.env, platform: 'linux' });
    expect(result.findings.map((f) => f.value)).toEqual([key]);
    expect(result.skipped).toEqual([
      { path: claude, reason: 'too-large', message: '256.1 MiB: larger than the 256 MiB scan reads' },
      { path: cursor, reason: 'not-a-file', message: 'a named pipe, not a file' },
      { path: zshrc, reason: 'unreadable', message: 'a symbolic link to a file that does not exist' },
    ]);
  });

  it('a link a walk passes over is not listed when it is a well-known place, read through the link', () => {
    const t = tree();
    const key = lookalike.github();
    t.write('dotfiles/zshrc', `export GITHUB_TOKEN=${key}\n`);
    symlinkSync(t.at('dotfiles', 'zshrc'), t.at('home', '.zshrc'));
    const result = scan({ paths: [t.at('home')], wellKnown: true, env: t.env, platform: 'linux' });
    expect([result.findings.map((f) => f.value), result.skipped]).toEqual([[key], []]);
    // Without the well-known places, the walk did not read it, and says so.
    expect(scan({ paths: [t.at('home')], wellKnown: false, env: t.env, platform: 'linux' }).skipped.map((s) => s.reason)).toEqual(['symlink']);
  });

  it('does not list what a walk ignores by design: dependencies, gitignored folders, names that hold no keys, links to folders', () => {
    const t = tree();
    const junk = Buffer.from([0, 1, 2, 3]);
    t.write('proj/.gitignore', 'secret/\n*.local.json\n');
    t.write('proj/node_modules/pkg/.env', junk);
    t.write('proj/.git/config.json', junk);
    t.write('proj/secret/.env', junk);
    // A gitignored file is read (the walk below finds nothing in it): only folders are pruned.
    t.write('proj/data.local.json', '{}');
    t.write('proj/logo.png', junk);
    t.write('proj/dist/big.json', 'x'.repeat(MAX_FILE_BYTES + 1));
    t.fifo('proj/events');
    mkdirSync(t.at('real'));
    symlinkSync(t.at('real'), t.at('proj', 'shared'));
    const empty = t.at('proj', 'empty');
    mkdirSync(empty);
    expect(scan({ paths: [t.at('proj'), empty], wellKnown: false, env: t.env, platform: 'linux' }).skipped).toEqual([]);
  });

  it('names a file given on the command line that is a pipe, without waiting on it', () => {
    const t = tree();
    const pipe = t.fifo('named.env');
    expect(scan({ paths: [pipe], wellKnown: false, env: t.env, platform: 'linux' }).skipped).toEqual([
      { path: pipe, reason: 'not-a-file', message: 'a named pipe, not a file' },
    ]);
  });
});
