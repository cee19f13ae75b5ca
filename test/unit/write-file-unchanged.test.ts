import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/vault';

// A file rewritten in place (an MCP config): read, changed, and renamed over. Another program (an
// editor, the agent tool itself) that writes the file between the read and the rename used to lose
// its edit without a word. The writer checks the file's bytes just before the rename. The other
// program's write is staged here while the new text is flushed under its temporary name, the
// slowest step between the two.

/** Runs once the temporary file's bytes are flushed, before it takes the final name; while set. */
let whileFlushed: (() => void) | null = null;
vi.mock('node:fs/promises', async (importOriginal) => (await import('../helpers/flush-hook')).withFlushHook(await importOriginal(), () => whileFlushed?.()));

const { writeFileExclusive0600 } = await import('../../src/core/devflow/write-file');

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('keyhold-unchanged-');
});
afterEach(() => {
  whileFlushed = null;
  t.cleanup();
});

const refused = (path: string) => ({
  code: 'Conflict',
  field: 'fileChanged',
  message: `${path} changed while Keyhold was writing it (another program wrote to it), so Keyhold left it as it is now.`,
});

describe('writeFileExclusive0600 with `unchanged`', () => {
  it('refuses when another program wrote the file after it was read, and leaves that write and no temporary file', async () => {
    const path = join(t.dir, 'mcp.json');
    writeFileSync(path, '{"a": 1}');
    const read = readFileSync(path);
    whileFlushed = () => writeFileSync(path, '{"a": 1, "theirs": true}');
    await expect(writeFileExclusive0600(path, '{"a": 2}', { force: true, unchanged: read })).rejects.toMatchObject(refused(path));
    expect(readFileSync(path, 'utf8')).toBe('{"a": 1, "theirs": true}');
    expect(readdirSync(t.dir)).toEqual(['mcp.json']);
  });

  it('tells a change by content: the same size and the same time stamp do not hide it', async () => {
    const path = join(t.dir, 'mcp.json');
    writeFileSync(path, '{"a": 1}');
    const { atime, mtime } = statSync(path);
    const read = readFileSync(path);
    whileFlushed = () => {
      writeFileSync(path, '{"a": 9}');
      utimesSync(path, atime, mtime);
    };
    await expect(writeFileExclusive0600(path, '{"a": 2}', { force: true, unchanged: read })).rejects.toMatchObject(refused(path));
    expect(readFileSync(path, 'utf8')).toBe('{"a": 9}');
  });

  it('refuses when a file that was not there appears, or the file read is removed or becomes a link or a folder', async () => {
    const path = join(t.dir, 'mcp.json');
    whileFlushed = () => writeFileSync(path, 'theirs');
    await expect(writeFileExclusive0600(path, 'ours', { force: true, unchanged: null })).rejects.toMatchObject(refused(path));
    expect(readFileSync(path, 'utf8')).toBe('theirs');

    const read = readFileSync(path);
    whileFlushed = () => rmSync(path);
    await expect(writeFileExclusive0600(path, 'ours', { force: true, unchanged: read })).rejects.toMatchObject(refused(path));
    expect(readdirSync(t.dir)).toEqual([]);

    writeFileSync(path, 'theirs');
    const elsewhere = join(t.dir, 'elsewhere.json');
    writeFileSync(elsewhere, 'theirs');
    whileFlushed = () => {
      rmSync(path);
      symlinkSync(elsewhere, path);
    };
    await expect(writeFileExclusive0600(path, 'ours', { force: true, unchanged: read })).rejects.toMatchObject(refused(path));
    expect(lstatSync(path).isSymbolicLink()).toBe(true);

    rmSync(path);
    writeFileSync(path, 'theirs');
    whileFlushed = () => {
      rmSync(path);
      mkdirSync(path);
    };
    await expect(writeFileExclusive0600(path, 'ours', { force: true, unchanged: read })).rejects.toMatchObject(refused(path));
    expect(statSync(path).isDirectory()).toBe(true);
    expect(readdirSync(t.dir).sort()).toEqual(['elsewhere.json', 'mcp.json']);
  });

  it('replaces a file that still holds what was read, 0600, even if it was written again with the same bytes', async () => {
    const path = join(t.dir, 'mcp.json');
    writeFileSync(path, '{"a": 1}', { mode: 0o644 });
    const read = readFileSync(path);
    whileFlushed = () => writeFileSync(path, '{"a": 1}');
    await writeFileExclusive0600(path, '{"a": 2}', { force: true, unchanged: read });
    expect(readFileSync(path, 'utf8')).toBe('{"a": 2}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(t.dir)).toEqual(['mcp.json']);

    whileFlushed = null;
    rmSync(path);
    await writeFileExclusive0600(path, 'new', { force: true, unchanged: null });
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('without `unchanged`, replaces whatever is there, as `--force` asks', async () => {
    const path = join(t.dir, 'profile.env');
    writeFileSync(path, 'old');
    whileFlushed = () => writeFileSync(path, 'theirs');
    await writeFileExclusive0600(path, 'ours', { force: true });
    expect(readFileSync(path, 'utf8')).toBe('ours');
  });
});
