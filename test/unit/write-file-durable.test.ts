import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// What a crash just after a write could lose: the file's bytes are flushed, but its name is in the
// folder, which reaches the disk only when the folder itself is flushed. The real calls are
// recorded in order (a crash cannot be staged here); the folder must be flushed after the final
// name exists and the temporary name is gone.
const calls: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      const path = String(args[0]);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        calls.push(`sync ${path}`);
        return sync();
      };
      return handle;
    },
    link: async (from: string, to: string) => {
      calls.push(`link ${to}`);
      return real.link(from, to);
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${to}`);
      return real.rename(from, to);
    },
    unlink: async (path: string) => {
      calls.push('unlink temp');
      return real.unlink(path);
    },
  };
});

// With force the rename is synchronous, right after a check that the file is unchanged (see write-file.ts).
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  return {
    ...real,
    renameSync: (from: string, to: string) => {
      calls.push(`rename ${to}`);
      real.renameSync(from, to);
    },
  };
});

const { writeFileExclusive0600 } = await import('../../src/core/devflow/write-file');

describe('writeFileExclusive0600 durability', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-durable-'));
    calls.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('flushes the file, gives it its name, drops the temporary name, then flushes the folder', async () => {
    const path = join(dir, 'bundle.age');
    await writeFileExclusive0600(path, 'sealed');
    expect(calls.map((c) => c.replace(/sync .*\.tmp$/, 'sync temp'))).toEqual(['sync temp', `link ${path}`, 'unlink temp', `sync ${dir}`]);
    expect(await readFile(path, 'utf8')).toBe('sealed');
    expect(await readdir(dir)).toEqual(['bundle.age']);
  });

  it('with force, renames over the old file and then flushes the folder', async () => {
    const path = join(dir, 'config.json');
    await writeFileExclusive0600(path, 'old');
    calls.length = 0;
    await writeFileExclusive0600(path, 'new', { force: true });
    expect(calls.map((c) => c.replace(/sync .*\.tmp$/, 'sync temp'))).toEqual(['sync temp', `rename ${path}`, `sync ${dir}`]);
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it('flushes nothing more when the name is taken', async () => {
    const path = join(dir, 'taken');
    await writeFileExclusive0600(path, 'first');
    calls.length = 0;
    await expect(writeFileExclusive0600(path, 'second')).rejects.toThrow(/already exists/);
    expect(calls.map((c) => c.replace(/sync .*\.tmp$/, 'sync temp'))).toEqual(['sync temp', `link ${path}`, 'unlink temp']);
  });
});
