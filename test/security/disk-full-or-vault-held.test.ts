import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, dbPath } from '../../src/core/vault/db';
import { useNativeBinding } from '../../src/core/vault/native';
import { toErrorPayload } from '../../src/shared/errors';
import { keyhold } from '../helpers/cli';
import { TRASH_MS } from '../../src/core/vault/items';
import { Vault } from '../../src/core/vault/vault';
import { newVault, PASSWORD, tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';
import { smallDisk } from '../helpers/small-disk';

// A laptop's disk fills up, or another Keyhold process holds the vault's write lock (a 10,000-profile
// import) past SQLite's wait. Both used to reach the person as "Something went wrong inside Keyhold":
// nothing said what to do. Now each is named, nothing is saved, and the vault works once it passes.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const profile = (name: string) => ({ agentId: 'crm', name, authData: { API_KEY: `sk-${name}-0123456789` } });

describe('a full disk', () => {
  it('is named, saves nothing, and the vault works again once there is room', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.create(profile('kept'));
    // SQLite stops growing the file past this many pages, as a full disk would stop it.
    vault.db.pragma(`max_page_count = ${vault.db.pragma('page_count', { simple: true }) as number}`);
    const many = Array.from({ length: 2000 }, (_, i) => profile(`p${i}`));
    let error: unknown;
    try {
      vault.profiles.createMany(many);
    } catch (e) {
      error = e;
    }
    expect(toErrorPayload(error)).toEqual({
      code: 'VaultUnwritable',
      message: 'The disk holding the vault is full, so nothing was saved. Free some space and try again.',
    });
    expect(vault.profiles.list().map((p) => p.name)).toEqual(['kept']);

    vault.db.pragma('max_page_count = 1073741823');
    vault.profiles.createMany(many);
    expect(vault.profiles.list()).toHaveLength(2001);
  });
});

// A real full disk: a 1 MiB tmpfs, where SQLite reports the full disk as a failed write
// (SQLITE_IOERR_WRITE, _SHMSIZE) rather than SQLITE_FULL. Mounting needs root and a system that
// allows it (the development VM does); elsewhere this test says so and does not run.
const small = smallDisk('keyhold-small-disk-', 'disk-full-or-vault-held', 'the max_page_count test above');
const { mounted } = small;

describe('a disk that is really full', () => {
  it.runIf(mounted)('names the full disk when a write fails, and works again once there is room', async () => {
    const v = await cliVault('keyhold-sec-full-');
    cleanups.push(v.cleanup);
    const env = { ...v.env, KEYHOLD_VAULT: join(small.dir, 'vault') };
    expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env })).code).toBe(0);
    const filler = join(small.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(0));
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', 'count=2000']);
    const add = await keyhold(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789'], { env });
    expect(add.code).toBe(4);
    const full = 'The disk holding the vault is full, so nothing was saved. Free some space and try again.';
    // The unlock before it could not be recorded either, and says so (reading-on-a-full-disk.test.ts).
    expect(add.stderr).toBe(`keyhold: warning: This unlock was not recorded in the vault's audit log. ${full}\nkeyhold: ${full}\n`);
    spawnSync('rm', ['-f', filler]);
    expect((await keyhold(['profile', 'list', '--json'], { env })).json()).toEqual([]);
    expect((await keyhold(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789'], { env })).code).toBe(0);
  });
});

describe('a vault whose creation fails after its file was made', () => {
  it('leaves nothing behind, so the next init does not find "a vault already exists"', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    // The database cannot be opened once its file exists (here: no SQLite addon at that path; on a
    // full disk: no room for the WAL).
    useNativeBinding(join(t.dir, 'missing', 'better_sqlite3.node'));
    try {
      expect(() => createDatabase(dir)).toThrow();
    } finally {
      useNativeBinding(undefined);
    }
    expect(existsSync(dir)).toBe(false);
    createDatabase(dir).close();
    expect(existsSync(dbPath(dir))).toBe(true);
  });
});

describe('a vault another process keeps busy', () => {
  it('gives the CLI a clear error and exit 10 after the wait, saves nothing, and works once released', async () => {
    const v = await cliVault('keyhold-sec-held-');
    cleanups.push(v.cleanup);
    const holder = new Database(dbPath(v.env.KEYHOLD_VAULT));
    holder.exec('BEGIN IMMEDIATE');
    let r;
    try {
      r = await keyhold(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789'], { env: v.env });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(r.code).toBe(10);
    const busy = 'Another Keyhold window or command kept the vault busy for more than 5 seconds, so nothing was saved. Try again when it is done.';
    // The unlock waited its turn to be recorded first, and went on unrecorded (reading-on-a-full-disk.test.ts).
    expect(r.stderr).toBe(`keyhold: warning: This unlock was not recorded in the vault's audit log. ${busy}\nkeyhold: ${busy}\n`);
    expect((await v.ok(['profile', 'list', '--json'])).json()).toEqual([]);
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789']);
  }, 30_000);
});

describe('a wrong password while the vault is busy or full', () => {
  it('is still reported as a wrong password (the attempt is recorded when it can be)', async () => {
    const { dir, vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.close();
    const locked = Vault.open(dir);
    cleanups.push(() => locked.close());
    locked.db.pragma('busy_timeout = 50');
    const holder = new Database(dbPath(dir));
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(locked.unlock('not the password at all')).rejects.toMatchObject({ code: 'WrongPassword' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await expect(locked.unlock('still not the password')).rejects.toMatchObject({ code: 'WrongPassword' });
    await locked.unlock(PASSWORD);
    // The second attempt, made once the vault was free, joined the log; the first could not.
    expect(locked.audit.list({ event: 'unlock_failed' })).toHaveLength(1);
  });
});

/** What watchWriteLock saw while its work ran: each attempt at the write lock (as its SQL), and the connections it saw at all. */
interface WriteLockWatch<T> {
  result: T;
  attempts: string[];
  connections: Set<Database.Database>;
}

const TAKES_WRITE_LOCK = /^\s*BEGIN\s+(?:IMMEDIATE|EXCLUSIVE)\b/i;
const WRITES = /\b(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b/i;
// Run at every open; not read-only to SQLite, but a vault already in WAL mode is left as it is, unlocked.
const SETS_WAL = /^\s*PRAGMA\s+journal_mode\s*=\s*WAL\s*$/i;

/**
 * Runs work (a command in this process) and records every attempt that any better-sqlite3
 * connection other than `holder` makes at SQLite's write lock, at the lowest level JavaScript can
 * see: each statement run (tx() and better-sqlite3's transactions run a "BEGIN IMMEDIATE"
 * statement; db.pragma() runs a statement too) and each db.exec(). An attempt is a BEGIN IMMEDIATE
 * or EXCLUSIVE, a statement SQLite itself says writes (a write takes the lock, in a transaction or
 * out of one), or an SQLITE_BUSY answer: a lock refused, whatever asked for it.
 */
async function watchWriteLock<T>(holder: Database.Database, work: () => Promise<T>): Promise<WriteLockWatch<T>> {
  const attempts: string[] = [];
  const connections = new Set<Database.Database>();
  const busy = (e: unknown, source: string) => {
    if (String((e as { code?: unknown } | null)?.code).startsWith('SQLITE_BUSY')) attempts.push(`SQLITE_BUSY: ${source}`);
  };
  // The statement class is the addon's, shared by every connection this process opens.
  type Run = (this: Database.Statement, ...params: unknown[]) => unknown;
  const statement = Object.getPrototypeOf(holder.prepare('SELECT 1')) as Record<'run' | 'get' | 'all' | 'iterate', Run>;
  const originals = { run: statement.run, get: statement.get, all: statement.all, iterate: statement.iterate };
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = originals[method];
    statement[method] = function (this: Database.Statement, ...params: unknown[]) {
      if (this.database === holder) return original.apply(this, params);
      connections.add(this.database);
      if (TAKES_WRITE_LOCK.test(this.source) || (!this.readonly && !SETS_WAL.test(this.source))) attempts.push(this.source);
      try {
        return original.apply(this, params);
      } catch (e) {
        busy(e, this.source);
        throw e;
      }
    };
  }
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (this: Database.Database, source: string) {
    if (this === holder) return exec.call(this, source);
    connections.add(this);
    if (TAKES_WRITE_LOCK.test(source) || WRITES.test(source)) attempts.push(source);
    try {
      return exec.call(this, source);
    } catch (e) {
      busy(e, source);
      throw e;
    }
  };
  try {
    return { result: await work(), attempts, connections };
  } finally {
    Object.assign(statement, originals);
    Database.prototype.exec = exec;
  }
}

describe('reading while another process holds the write lock', () => {
  it('a read command with a session takes no write lock: it lists while another connection holds it', async () => {
    const v = await cliVault('keyhold-sec-read-held-');
    cleanups.push(v.cleanup);
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789']);
    const session = (await v.ok(['unlock', '--raw'])).stdout.trim();
    const holder = new Database(dbPath(v.env.KEYHOLD_VAULT));
    holder.exec('BEGIN IMMEDIATE');
    let watched;
    try {
      // In this process (keyhold runs main()), so its connection's every statement is seen.
      watched = await watchWriteLock(holder, () =>
        keyhold(['profile', 'list', '--json'], { env: { KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: session } }),
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const { result: r, attempts, connections } = watched;
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ name: string }[]>().map((p) => p.name)).toEqual(['prod']);
    // The watch saw the command's connection, made by the same better-sqlite3 as the one hooked:
    // no attempt below is missing for want of watching.
    expect(connections.size).toBeGreaterThan(0);
    for (const db of connections) expect(db).toBeInstanceOf(Database);
    // Housekeeping that finds nothing due (expired sessions, trash) only looks; the listing is read.
    expect(attempts).toEqual([]);
  });

  it('the trash due for purging at unlock waits for a later unlock instead of failing this one', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { dir, vault, cleanup } = await newVault({ now: () => now });
    cleanups.push(cleanup);
    const { id } = vault.profiles.create(profile('old'));
    vault.profiles.remove(id);
    // Unlocked with the vault key itself, as a session does (a session of the test would expire).
    const vaultId = vault.vaultId;
    const key = vault.cells().exportKey();
    vault.close();
    now += TRASH_MS + 1;

    const reader = Vault.open(dir, { now: () => now });
    cleanups.push(() => reader.close());
    reader.db.pragma('busy_timeout = 50');
    const holder = new Database(dbPath(dir));
    holder.exec('BEGIN IMMEDIATE');
    try {
      reader.unlockWithKey(vaultId, Buffer.from(key));
      expect(reader.trash.list().map((t) => t.id)).toEqual([id]);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    reader.lock();
    reader.unlockWithKey(vaultId, Buffer.from(key));
    expect(reader.trash.list()).toEqual([]);
  });
});
