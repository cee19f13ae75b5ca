import Database from 'better-sqlite3';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, rmdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KeyholdError } from '../../shared/errors';
import { FORMAT_VERSION, formatVersion, migrate } from './migrations';
import { nativeBinding } from './native';

export const DB_FILE = 'vault.sqlite';
/** The vault's files in its folder: the database, and the write-ahead log and its index SQLite keeps beside it. */
export const DB_FILES: readonly string[] = ['', '-wal', '-shm'].map((suffix) => DB_FILE + suffix);

export const dbPath = (dir: string): string => join(dir, DB_FILE);

/** better-sqlite3's options plus the addon build for this runtime (see ./native.ts). */
function withBinding(options: Database.Options): Database.Options {
  const binding = nativeBinding();
  // better-sqlite3 takes a path or a loaded addon; its type declarations only know the path.
  return binding === undefined ? options : { ...options, nativeBinding: binding as string };
}

const BUSY_TIMEOUT_MS = 5000;

function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('secure_delete = ON');
}

/**
 * What SQLite's (and the file system's) failures to store mean to a person: a full disk, a
 * read-only file or folder, a disk that reports errors, or another process holding the write lock
 * past the wait. The transaction they ended was rolled back, so nothing was saved; anything else
 * is not a storage failure (null).
 */
export function storageError(e: unknown, dir: string): KeyholdError | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const unwritable = (why: string) => new KeyholdError('VaultUnwritable', why, { cause: e });
  const ioError = code.startsWith('SQLITE_IOERR') || code === 'EIO';
  if (fullDisk(code, dir)) return unwritable('The disk holding the vault is full, so nothing was saved. Free some space and try again.');
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || ['EROFS', 'EACCES', 'EPERM'].includes(code)) {
    return unwritable('The vault cannot be written (its file or folder is read-only, or was moved), so nothing was saved.');
  }
  if (ioError) {
    return unwritable('The disk reported an error while the vault was written, so nothing was saved. Check the disk, then try again.');
  }
  if (code.startsWith('SQLITE_BUSY')) {
    return new KeyholdError(
      'VaultBusy',
      `Another Keyhold window or command kept the vault busy for more than ${BUSY_TIMEOUT_MS / 1000} seconds, so nothing was saved. Try again when it is done.`,
      { cause: e },
    );
  }
  return null;
}

/** Whether an error code is a full disk's. */
function fullDisk(code: string, dir: string): boolean {
  // SQLite reports a full disk as a failed write (SQLITE_IOERR_WRITE, _SHMSIZE…) as often as SQLITE_FULL.
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || ((code.startsWith('SQLITE_IOERR') || code === 'EIO') && diskFull(dir));
}

/** Whether the file system holding `dir` has (almost) no room left; false when it cannot be told. */
function diskFull(dir: string): boolean {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/** Whether an error is `storageError`'s: the vault could not store a write now (busy or full), and nothing else went wrong. */
export const isStorageRefusal = (e: unknown): e is KeyholdError => e instanceof KeyholdError && (e.code === 'VaultBusy' || e.code === 'VaultUnwritable');

/**
 * Runs housekeeping that may wait for a later turn (deleting what is due, saving derived data):
 * when the vault is busy or full it gives `skipped` instead of failing the command it runs in.
 */
export function housekeeping<T>(fn: () => T, skipped: T): T {
  try {
    return fn();
  } catch (e) {
    if (isStorageRefusal(e)) return skipped;
    throw e;
  }
}

/** Runs fn, turning SQLite's failures to store into errors a person can act on. */
function storing<T>(db: Database.Database, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storageError(e, dirname(db.name)) ?? e;
  }
}

const exists = (dir: string) => new KeyholdError('VaultExists', `A vault already exists in ${dir}.`);

const notAFolder = (dir: string) =>
  new KeyholdError(
    'NotAVault',
    `No vault can be made in ${dir}: it is not a folder (a file, a device or a broken link, or a path through a file). Name a folder; one that does not exist yet is made.`,
  );

/**
 * A vault whose creation stopped before its key was stored (`init` killed while it derived the
 * key, the slow part, or the disk failed): it holds nothing. Told apart from a vault whose header
 * was removed, which holds items and stays "tampered".
 */
const unfinished = (dir: string) =>
  new KeyholdError(
    'NotAVault',
    `The vault in ${dir} was never finished: its creation was interrupted (or is still under way in another Keyhold process) before its key was stored, so it holds nothing. Remove its files (${DB_FILES.join(', ')}) and create the vault again.`,
  );

/** Whether a database holds no vault header and nothing else: a vault's schema, or none yet, and no rows. */
function holdsNothing(db: Database.Database): boolean {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'").pluck().all() as string[];
  // Another program's database is not a vault at all (NotAVault's own words say so).
  if (tables.length > 0 && !tables.includes('vault_meta')) return false;
  return tables.every((table) => db.prepare(`SELECT 1 FROM "${table.replaceAll('"', '""')}" LIMIT 1`).get() === undefined);
}

/** Whether the vault file is empty, with no write-ahead log holding its first pages: made, then killed before SQLite wrote to it. */
function emptyFile(dir: string): boolean {
  const size = (file: string) => statSync(join(dir, file), { throwIfNoEntry: false })?.size ?? 0;
  return size(DB_FILE) === 0 && size(`${DB_FILE}-wal`) === 0;
}

/** Whether the vault in `dir` was begun and never finished (see unfinished); false when it cannot be told. */
function isUnfinished(dir: string): boolean {
  if (emptyFile(dir)) return true;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath(dir), withBinding({ readonly: true, fileMustExist: true }));
    return holdsNothing(db);
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/** Refuses a path that is there and is not a folder (following links), or leads through a file. */
function refuseNotAFolder(dir: string): void {
  let isFolder: boolean;
  try {
    // A link to nothing is not a folder to make either: mkdir would say it exists.
    isFolder = statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? !lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink();
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === 'ENOTDIR') throw notAFolder(dir);
    throw e;
  }
  if (!isFolder) throw notAFolder(dir);
}

/**
 * Refuses a place that holds a vault, or that cannot hold one: `init` and the window ask this
 * before they ask for a password. A vault begun and never finished is named as such, with what to
 * do. (Creating a vault asks again, and there any file of that name is "a vault already exists":
 * it may be another `init`'s, still under way.)
 */
export function refuseExistingVault(dir: string): void {
  refuseNotAFolder(dir);
  if (existsSync(dbPath(dir))) throw isUnfinished(dir) ? unfinished(dir) : exists(dir);
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty, or gone: either way not this process's to remove.
  }
}

/** A database file this process created for a new vault, as it knows it again, and whether it made the folder too. */
interface Made {
  dev: number;
  ino: number;
  newDir: boolean;
}
const madeHere = new WeakMap<Database.Database, Made>();

/**
 * Whether the database name in `dir` still leads to the file this process made. Asked while that
 * file is held open (by the database or by the descriptor it was created with), so its inode cannot
 * have gone to another file: a person may have removed a half-made vault and run `init` again.
 */
function stillOurs(dir: string, made: Made): boolean {
  const now = statSync(dbPath(dir), { throwIfNoEntry: false });
  return now !== undefined && now.dev === made.dev && now.ino === made.ino;
}

/**
 * Removes the files of a vault this process made and failed to finish. The database's own name goes
 * last: while it stands, no other `init` can make a vault here (the file is created exclusively), so
 * the -wal and -shm removed before it are this vault's; removed first, it let another `init` take
 * the name and lose its WAL to the removals after. Then the folder, if this process made it and it
 * is empty.
 */
function removeMade(dir: string, made: Made, ours: boolean): void {
  if (ours) {
    for (const file of DB_FILES.filter((f) => f !== DB_FILE)) rmSync(join(dir, file), { force: true });
    rmSync(dbPath(dir), { force: true });
  }
  if (made.newDir) removeIfEmpty(dir);
}

/** Closes a new vault's database that failed to be set up, and removes what createDatabase made for it (see removeMade). */
export function discardNewVault(db: Database.Database): void {
  const dir = dirname(db.name);
  const made = madeHere.get(db);
  const ours = made !== undefined && stillOurs(dir, made);
  db.close();
  if (made) removeMade(dir, made, ours);
}

/**
 * Creates an empty vault database (file mode 0600, directory 0700) and applies all migrations. If
 * that fails (a full disk, a read-only folder) nothing is left behind: an empty file would make the
 * next `init` say a vault already exists. A failure after it returns is cleaned up by discardNewVault.
 */
export function createDatabase(dir: string): Database.Database {
  let newDir = false;
  let fd: number | undefined;
  let made: Made | undefined;
  let db: Database.Database | undefined;
  try {
    for (let attempt = 1; fd === undefined; attempt++) {
      refuseNotAFolder(dir);
      try {
        newDir = mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined || newDir;
      } catch (e) {
        // A broken link, or a file on the way: not "a vault already exists".
        const code = (e as { code?: unknown } | null)?.code;
        throw code === 'EEXIST' || code === 'ENOTDIR' ? notAFolder(dir) : e;
      }
      if (existsSync(dbPath(dir))) throw exists(dir);
      try {
        // Created here, exclusively, so it is 0600 from its first byte; SQLite gives -wal and -shm the same mode.
        fd = openSync(dbPath(dir), 'wx', 0o600);
      } catch (e) {
        // Another process's failed `init` removes the folder it made once it is empty, as it is
        // between the two steps above: then it is made again.
        if ((e as { code?: unknown } | null)?.code !== 'ENOENT' || attempt === 3) throw e;
      }
    }
    const { dev, ino } = fstatSync(fd);
    made = { dev, ino, newDir };
    db = new Database(dbPath(dir), withBinding({ fileMustExist: true }));
    configure(db);
    migrate(db);
    madeHere.set(db, made);
    return db;
  } catch (e) {
    // Judged before the cleanup, while the folder is there to ask how full its disk is.
    const error = (e as { code?: unknown } | null)?.code === 'EEXIST' ? exists(dir) : (storageError(e, existsSync(dir) ? dir : dirname(dir)) ?? e);
    db?.close();
    if (made) removeMade(dir, made, stillOurs(dir, made));
    else if (newDir) removeIfEmpty(dir);
    throw error;
  } finally {
    // Held open until here so that stillOurs can trust the file's inode number.
    if (fd !== undefined) closeSync(fd);
  }
}

const CORRUPT = (dir: string) =>
  new KeyholdError('VaultCorrupt', `The vault in ${dir} is damaged (the database failed its integrity check). Restore it from a backup.`);

/** Opens an existing vault database, refusing non-vaults, damaged files and newer formats. */
export function openDatabase(dir: string, options: { readonly?: boolean } = {}): Database.Database {
  const file = dbPath(dir);
  if (!existsSync(dir)) throw new KeyholdError('VaultNotFound', `No vault found: ${dir} does not exist.`, { field: 'noVault' });
  // No hint to create one: no vault can be made there either.
  if (!statSync(dir).isDirectory()) throw new KeyholdError('VaultNotFound', `No vault found: ${dir} is not a folder.`);
  if (!existsSync(file)) {
    throw new KeyholdError('VaultNotFound', `No vault found in ${dir}.`, { field: 'noVault' });
  }
  if (emptyFile(dir)) throw unfinished(dir);
  try {
    return openChecked(dir, options, false);
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (e instanceof KeyholdError || typeof code !== 'string' || !fullDisk(code, dir)) throw storageError(e, dir) ?? e;
    // SQLite's shared memory for the write-ahead log (vault.sqlite-shm) is made anew when the first
    // connection opens the vault, and on a full disk it cannot be: without this, a full disk would
    // keep a person from even reading their secrets. In exclusive locking mode SQLite keeps that
    // index in this process's memory instead; the price is that other Keyhold processes wait
    // (VaultBusy) while this one has the vault open, and every write still fails as a full disk.
    try {
      return openChecked(dir, options, true);
    } catch (again) {
      throw storageError(again, dir) ?? again;
    }
  }
}

function openChecked(dir: string, options: { readonly?: boolean }, exclusive: boolean): Database.Database {
  const file = dbPath(dir);
  let db: Database.Database;
  try {
    db = new Database(file, withBinding({ fileMustExist: true, readonly: options.readonly ?? false }));
  } catch {
    throw CORRUPT(dir);
  }
  try {
    // Before the first read: SQLite decides on its shared memory then.
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
    configure(db);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw CORRUPT(dir);
    // Before migrating, which would write to it.
    if (holdsNothing(db)) throw unfinished(dir);
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'vault_meta'").get();
    if (!hasMeta) {
      throw new KeyholdError('NotAVault', `${file} is an SQLite database but not a Keyhold vault.`);
    }
    const version = formatVersion(db);
    if (version > FORMAT_VERSION) {
      throw new KeyholdError(
        'VaultTooNew',
        `This vault uses format ${version}, made by a newer Keyhold; this Keyhold reads up to format ${FORMAT_VERSION}. Update Keyhold to open it.`,
      );
    }
    if (!options.readonly) migrate(db);
    return db;
  } catch (e) {
    db.close();
    if (e instanceof KeyholdError) throw e;
    const code = (e as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB') {
      throw new KeyholdError('NotAVault', `${file} is not a Keyhold vault (not an SQLite database).`);
    }
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_IOERR_SHORT_READ') throw CORRUPT(dir);
    // Failures to store are judged by openDatabase, which may try again.
    throw e;
  }
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Prepares each SQL text once per connection: preparing costs more than running for small statements. */
export function sql(db: Database.Database, text: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = db.prepare(text)));
  return stmt;
}

/**
 * PRAGMA data_version: it moves when another connection (another process) commits, never for this
 * connection's own writes, so a cache can tell whether someone else changed the file.
 */
export function dataVersion(db: Database.Database): number {
  // Inside one of tx()'s or readTx()'s transactions the connection reads one state of the file
  // (its first read, this pragma included, fixes it), so the value cannot move: it is read once
  // per transaction.
  const serial = openTransaction(db);
  const seen = dataVersionSeen.get(db);
  if (serial !== undefined && seen?.serial === serial) return seen.value;
  // Its own prepared statement, never the shared sql() cache: pluck() changes the statement it is
  // called on, and db.pragma() cannot run while another statement is being iterated.
  let stmt = dataVersionStatements.get(db);
  if (!stmt) dataVersionStatements.set(db, (stmt = db.prepare('PRAGMA data_version').pluck()));
  const value = stmt.get() as number;
  if (serial !== undefined) dataVersionSeen.set(db, { serial, value });
  return value;
}
const dataVersionSeen = new WeakMap<Database.Database, { serial: number; value: number }>();
const dataVersionStatements = new WeakMap<Database.Database, Database.Statement>();

/** The transaction tx() or readTx() has open on each connection, numbered so no two are ever the same. */
const openSerials = new WeakMap<Database.Database, number>();
let lastSerial = 0;

/**
 * Which of tx()'s or readTx()'s transactions is open on db (a number no other has had), or
 * undefined outside one: lets work that happens many times in one transaction do what it must do
 * once per transaction once.
 */
export function openTransaction(db: Database.Database): number | undefined {
  return db.inTransaction ? openSerials.get(db) : undefined;
}

type Runner = Database.Transaction<(fn: () => unknown) => unknown>;
const runners = new WeakMap<Database.Database, Runner>();

/** The connection's one transaction function, made on first use (see tx). */
function runner(db: Database.Database): Runner {
  let r = runners.get(db);
  if (!r) runners.set(db, (r = db.transaction((f: () => unknown) => f())));
  return r;
}

/**
 * Runs fn in an IMMEDIATE transaction, or inside the one already open: an error anywhere aborts
 * the whole outer transaction (no caller recovers from an inner failure), so nested savepoints
 * would only cost time. One transaction function per connection, reused: better-sqlite3 builds
 * a new wrapper for every db.transaction() call.
 */
export function tx<T>(db: Database.Database, fn: () => T): T {
  return db.inTransaction ? fn() : storing(db, () => numbered(db, () => runner(db).immediate(fn) as T));
}

/**
 * Runs fn in a read (DEFERRED) transaction, or inside the one already open: every read in it sees
 * the same state of the file, whatever other processes commit meanwhile, and no write lock is
 * taken, so other processes can go on writing. For reads that must agree with each other (an
 * export's listing, cells and key).
 */
export function readTx<T>(db: Database.Database, fn: () => T): T {
  return db.inTransaction ? fn() : storing(db, () => numbered(db, () => runner(db).deferred(fn) as T));
}

function numbered<T>(db: Database.Database, run: () => T): T {
  openSerials.set(db, ++lastSerial);
  try {
    return run();
  } finally {
    openSerials.delete(db);
  }
}
