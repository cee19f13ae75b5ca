import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The synchronous writer (the quick-unlock key) in the same order as writeFileExclusive0600 with
// force: the file is flushed under a temporary name, renamed over, and then its folder is flushed,
// so a crash at any point leaves the old file or the new one. The real calls are recorded in order.
const calls: string[] = [];
const paths = new Map<number, string>();
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  return {
    ...real,
    openSync: (path: string, ...rest: [string, number?]) => {
      const fd = real.openSync(path, ...rest);
      paths.set(fd, path);
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.push(`sync ${paths.get(fd)}`);
      real.fsyncSync(fd);
    },
    renameSync: (from: string, to: string) => {
      calls.push(`rename ${to}`);
      real.renameSync(from, to);
    },
  };
});

const { replaceFile0600Sync } = await import('../../src/core/devflow/write-file');

describe('replaceFile0600Sync', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyhold-durable-sync-'));
    calls.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const named = () => calls.map((c) => c.replace(/sync .*\.tmp$/, 'sync temp'));

  it('flushes the file, renames it over the old one, then flushes the folder; owner-only from the start', () => {
    const path = join(dir, '.vault.quick-unlock');
    writeFileSync(path, 'old', { mode: 0o644 });
    replaceFile0600Sync(path, 'sealed');
    expect(named()).toEqual(['sync temp', `rename ${path}`, `sync ${dir}`]);
    expect(readFileSync(path, 'utf8')).toBe('sealed');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['.vault.quick-unlock']);
  });

  it('a temporary file an earlier crash left behind is neither reused nor in the way', () => {
    const path = join(dir, 'key');
    writeFileSync(join(dir, `.key.${process.pid}.tmp`), 'stale', { mode: 0o644 });
    replaceFile0600Sync(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a folder at the name is refused in words, the folder is untouched and no temporary file is left', () => {
    const folder = join(dir, 'key');
    mkdirSync(folder);
    writeFileSync(join(folder, 'inside'), 'kept');
    expect(() => replaceFile0600Sync(folder, 'sealed')).toThrow(`Cannot write ${folder}: it is a folder.`);
    expect(readFileSync(join(folder, 'inside'), 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['key']);
  });

  it('a missing folder is a clear error and writes nothing', () => {
    expect(() => replaceFile0600Sync(join(dir, 'gone', 'key'), 'sealed')).toThrow('its folder does not exist');
    expect(readdirSync(dir)).toEqual([]);
  });
});
