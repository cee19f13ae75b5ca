import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceFile0600Sync, writeFileExclusive0600 } from '../../src/core/devflow/write-file';
import { useCleanups } from '../helpers/cleanup';
import { tempDir } from '../helpers/vault';

// A write of secrets killed mid-way (kill -9, a power cut) leaves its temporary file beside the
// target: `.NAME.UUID.tmp`, 0600, holding the secrets. Nothing removed it, and `git add -A` in the
// folder took it along. The next write of the same file now removes such leftovers of its own name
// once they are old enough not to be another writer's, in flight.

const cleanups = useCleanups();
const HOUR_AGO = (Date.now() - 60 * 60 * 1000) / 1000;

function folder(): { dir: string; leave: (name: string, old: boolean) => string } {
  const t = tempDir('keyhold-stale-temps-');
  cleanups.push(t.cleanup);
  return {
    dir: t.dir,
    leave: (name, old) => {
      writeFileSync(join(t.dir, name), 'SECRET=left-by-a-killed-write\n', { mode: 0o600 });
      if (old) utimesSync(join(t.dir, name), HOUR_AGO, HOUR_AGO);
      return name;
    },
  };
}

describe('a later write of the same file', () => {
  const writers: [string, (path: string, data: string) => Promise<void> | void][] = [
    ['writeFileExclusive0600 --force', (path, data) => writeFileExclusive0600(path, data, { force: true })],
    ['writeFileExclusive0600, a new file', (path, data) => writeFileExclusive0600(path, data)],
    ['replaceFile0600Sync', (path, data) => replaceFile0600Sync(path, data)],
  ];

  it.each(writers)('%s: removes its own old leftovers, and nothing else', async (_what, write) => {
    const f = folder();
    const long = `${'n'.repeat(200)}.env`;
    const stale = [f.leave(`..env.${randomUUID()}.tmp`, true), f.leave(`..env.${randomUUID()}.tmp`, true)];
    const staleOfLong = f.leave(`.${'n'.repeat(64)}.${randomUUID()}.tmp`, true);
    const kept = [
      f.leave(`..env.${randomUUID()}.tmp`, false), // young: perhaps another writer's, in flight
      f.leave(`..env.local.${randomUUID()}.tmp`, true), // another file's
      f.leave('..env.not-a-uuid.tmp', true),
      f.leave(`..env.${randomUUID()}.tmp.bak`, true),
      f.leave('.env.backup', true),
    ];
    // A folder of that name is no leftover.
    const aFolder = `..env.${randomUUID()}.tmp`;
    mkdirSync(join(f.dir, aFolder));
    utimesSync(join(f.dir, aFolder), HOUR_AGO, HOUR_AGO);
    kept.push(aFolder);
    await write(join(f.dir, '.env'), 'SECRET=new\n');
    const left = readdirSync(f.dir);
    for (const name of stale) expect(left).not.toContain(name);
    for (const name of kept) expect(left).toContain(name);
    expect(left).toContain(staleOfLong); // another file's leftover until that file is written
    expect(left.sort()).toEqual([...kept, staleOfLong, '.env'].sort());
    await write(join(f.dir, long), 'SECRET=new\n');
    expect(readdirSync(f.dir)).not.toContain(staleOfLong);
  });
});
