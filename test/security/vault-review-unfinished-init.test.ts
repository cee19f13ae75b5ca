import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDatabase, DB_FILES, dbPath } from '../../src/core/vault/db';
import { MIGRATIONS } from '../../src/core/vault/migrations';
import { CLI, keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();

const env = (dir: string) => ({ KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_NEW_PASSWORD: `${PASSWORD} again` });

/** A place with a vault `init` began and did not finish, as a kill at each of its steps leaves it. */
function halfMade(step: 'file made' | 'schema half made' | 'schema made'): string {
  const t = tempDir('keyhold-unfinished-');
  cleanups.push(t.cleanup);
  const dir = join(t.dir, 'vault');
  if (step === 'file made') {
    createDatabase(dir).close();
    for (const file of DB_FILES) rmSync(join(dir, file), { force: true });
    writeFileSync(dbPath(dir), '', { mode: 0o600 });
  } else if (step === 'schema made') {
    createDatabase(dir).close();
  } else {
    createDatabase(dir).close();
    for (const file of DB_FILES) rmSync(join(dir, file), { force: true });
    const db = new Database(dbPath(dir));
    db.pragma('journal_mode = WAL');
    for (let v = 0; v < 3; v++) {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.close();
  }
  return dir;
}

/** The format version and the tables, or null for a file SQLite has not written yet. */
function schemaOf(dir: string): { version: number; tables: string[] } | null {
  if (statSync(dbPath(dir)).size === 0) return null;
  const db = new Database(dbPath(dir), { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return { version: db.pragma('user_version', { simple: true }) as number, tables };
  } finally {
    db.close();
  }
}

/** Every command says the vault was never finished and what to do, with exit 4, changing nothing. */
async function namedUnfinished(dir: string): Promise<void> {
  const before = schemaOf(dir);
  for (const args of [['profile', 'list'], ['doctor'], ['passwd'], ['init']]) {
    const r = await keyhold(args, { env: env(dir) });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
    expect(r.stderr).toContain(`The vault in ${dir} was never finished`);
    expect(r.stderr).toContain('Remove its files (vault.sqlite, vault.sqlite-wal, vault.sqlite-shm) and create the vault again.');
    expect(r.stderr).not.toMatch(/modified outside Keyhold|already exists|not a Keyhold vault/);
    expect(r.stderr).not.toContain(PASSWORD);
  }
  // Nothing was migrated or written (SQLite may move its write-ahead log into the file on close).
  expect(schemaOf(dir)).toEqual(before);
  // Doing what it says works.
  for (const file of DB_FILES) rmSync(join(dir, file), { force: true });
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: env(dir) })).code).toBe(0);
  expect((await keyhold(['profile', 'list'], { env: env(dir) })).code).toBe(0);
}

// Bad luck: `init` killed (Ctrl-C, a closed laptop, a full disk) while it derives the key, its slow
// part (seconds with --kdf strong), after the vault's file was made. Before: every command then said
// "The vault header was modified outside Keyhold or is damaged … Restore it from a backup" (exit 8),
// or of an empty file "is an SQLite database but not a Keyhold vault", and `init` said "A vault
// already exists": no way out but deleting files the messages did not name.
describe('a vault init began and never finished', () => {
  it.each(['file made', 'schema half made', 'schema made'] as const)('is named as unfinished, with what to do (killed once the %s)', async (step) => {
    await namedUnfinished(halfMade(step));
  });

  it('is named so after a real kill -9 of init while it derives the key', async () => {
    const t = tempDir('keyhold-unfinished-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    // The strong preset (256 MiB, 4 passes) is the floor-free real cost: the file is made first.
    const child = spawn(process.execPath, [CLI, 'init', '--kdf', 'strong'], {
      env: { PATH: process.env.PATH ?? '', HOME: t.dir, KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD },
      stdio: 'ignore',
    });
    const exited = once(child, 'exit');
    // Killed once the database's schema is there, before the header can be: the key derivation of
    // the strong preset takes far longer than this poll's step.
    const hasSchema = () => {
      if (!existsSync(dbPath(dir))) return false;
      try {
        const db = new Database(dbPath(dir), { readonly: true, fileMustExist: true });
        try {
          return (db.pragma('user_version', { simple: true }) as number) === MIGRATIONS.length;
        } finally {
          db.close();
        }
      } catch {
        return false;
      }
    };
    while (!hasSchema() && child.exitCode === null) await sleep(5);
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    await namedUnfinished(dir);
  }, 60_000);

  it('a vault whose header was removed but that holds items is still "modified outside Keyhold", never "remove it"', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-kept-0123456789' } });
    v.vault.close();
    const db = new Database(dbPath(v.dir));
    db.prepare('DELETE FROM vault_meta').run();
    db.close();
    const r = await keyhold(['profile', 'list'], { env: env(v.dir) });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/modified outside Keyhold/);
    expect(r.stderr).not.toMatch(/never finished|Remove its files/);
    const init = await keyhold(['init'], { env: env(v.dir) });
    expect(init.code).toBe(4);
    expect(init.stderr).toContain('A vault already exists');
  });
});
