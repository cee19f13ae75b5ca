import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyholdError } from '../../shared/errors';
import { DB_FILES } from '../vault/db';

const errnoOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

function fileError(e: unknown, path: string): unknown {
  const reason: Record<string, string> = {
    ENOENT: 'its folder does not exist',
    ENOTDIR: 'part of the path is not a folder',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    ENAMETOOLONG: 'its name is too long for the file system',
  };
  const why = reason[errnoOf(e) ?? ''];
  return why === undefined ? e : new KeyholdError('BadInput', `Cannot write ${path}: ${why}.`, { cause: e });
}

function exists(path: string): KeyholdError {
  return new KeyholdError('Conflict', `${path} already exists.`, { field: 'replaceFile' });
}

/** A folder where a file was to be written. */
export const folderError = (path: string, field: string): KeyholdError =>
  new KeyholdError('BadInput', `${path} is a folder: name the file to write, inside it or elsewhere.`, { field });

/**
 * Makes a new name durable: the file's bytes were flushed, but its entry in the folder reaches the
 * disk only when the folder does, so a crash just after could leave no file at all. Windows and
 * some file systems cannot open or flush a folder; there the name is as durable as they make it.
 */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // See above: nothing more can be done there.
  } finally {
    await handle?.close();
  }
}

/** See syncFolder: the same, for the synchronous writer below. */
function syncFolderSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // As in syncFolder.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What a link leads to, following it; null if nothing (a dangling link, a loop). */
function linkTarget(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Whether the link at `path` stands for a device, pipe or socket, or for a process's open file
 * (`/dev/stdout` is a link to /proc/self/fd/1 on Linux, which leads to a regular file when the output
 * is redirected to one): a name for some output, not a file of the person's to replace.
 */
function linkToNonFile(path: string): boolean {
  const target = linkTarget(path);
  if (target !== null && !target.isFile() && !target.isDirectory()) return true;
  // A link to /proc/…/fd/N (/dev/stdout), or one of those links itself, named through /dev/fd.
  const inProc = (where: () => string): boolean => {
    try {
      return where().startsWith('/proc/');
    } catch {
      return false;
    }
  };
  return inProc(() => readlinkSync(path)) || inProc(() => realpathSync(dirname(path)));
}

/**
 * What no write of secrets replaces, --force or not: a device, pipe or socket, or a link to one or to
 * a process's open file (as root, `-o /dev/stdout --force` replaced the device node on macOS, and the
 * link /dev/stdout on Linux, with a file of secrets), and a vault's own database files (replacing one
 * with a .env left the vault unreadable).
 */
function refuseToReplace(path: string, there: Stats): void {
  if (!there.isFile() && !there.isSymbolicLink()) {
    throw new KeyholdError(
      'BadInput',
      `${path} is not a file (a device, a pipe or a socket): Keyhold writes only to a file of its own. Leave out the file to write to standard output.`,
      { field: 'notReplaceable' },
    );
  }
  if (there.isSymbolicLink() && linkToNonFile(path)) {
    throw new KeyholdError(
      'BadInput',
      `${path} is a link to a device, a pipe, a socket or a program's output, not to a file: Keyhold writes only to a file of its own. Leave out the file to write to standard output.`,
      { field: 'notReplaceable' },
    );
  }
  if (VAULT_FILES.has(basename(path)) && there.isFile()) {
    throw new KeyholdError('BadInput', `${path} is a Keyhold vault's file; Keyhold never writes over one. Name another file.`, { field: 'notReplaceable' });
  }
}
const VAULT_FILES = new Set(DB_FILES);

/**
 * Refuses, with its reason, a name that no write of secrets replaces: a folder, or what
 * refuseToReplace refuses. For a command to say so before it asks for a password, rather than only
 * that the name is taken (and to use --force, which would not help); the write checks again.
 */
export function assertReplaceable(path: string): void {
  if (path === '') {
    throw new KeyholdError('BadInput', 'The file to write has an empty name: name the file, or leave it out to write to standard output.', {
      field: 'notReplaceable',
    });
  }
  if (/[\\/]$/.test(path) && !linkTarget(path)?.isDirectory()) {
    // Else "its folder does not exist", of a folder that may well exist.
    throw new KeyholdError('BadInput', `${path} ends with "${path.slice(-1)}", so it names a folder, and there is none: name the file to write.`, {
      field: 'notReplaceable',
    });
  }
  let there: Stats;
  try {
    there = lstatSync(path);
  } catch {
    return;
  }
  if (there.isDirectory()) throw folderError(path, 'notReplaceable');
  refuseToReplace(path, there);
}

/** At most this many bytes of a file's name go into its temporary name (see tempBeside). */
const TEMP_NAME_BYTES = 64;

/**
 * A temporary name beside `path`, never one another writer or an earlier crash could have left. It
 * holds the start of the file's name only: a file system takes names of 255 bytes, and the whole name
 * plus the 42 added would refuse a file whose own name is long but legal.
 */
function tempBeside(path: string): string {
  return join(dirname(path), `${tempStart(path)}${randomUUID()}.tmp`);
}

/** How every temporary name of `path` starts: a dot, at most TEMP_NAME_BYTES of its name, a dot. */
function tempStart(path: string): string {
  let start = '';
  for (const char of basename(path)) {
    if (Buffer.byteLength(start + char) > TEMP_NAME_BYTES) break;
    start += char;
  }
  return `.${start}.`;
}

/** What follows tempStart in a temporary name: the UUID and `.tmp`. */
const TEMP_END = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;
/** How long a temporary file is left alone: a younger one may be another writer's, in flight. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/**
 * Removes what a write of `path` stopped mid-way (kill -9, a power cut) left beside it: a file of
 * tempBeside's shape, this user's, unchanged for STALE_TEMP_MS. It holds a copy of the secrets that
 * nothing else would ever remove, and that `git add -A` would take along. Best effort: a name that
 * cannot be read or removed is left as it is.
 */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const start = tempStart(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith(start) || !TEMP_END.test(name.slice(start.length))) continue;
    try {
      const left = lstatSync(join(dir, name));
      if (left.isFile() && (uid === undefined || left.uid === uid) && Date.now() - left.mtimeMs >= STALE_TEMP_MS) unlinkSync(join(dir, name));
    } catch {
      // Gone meanwhile, or not this user's to remove.
    }
  }
}

/**
 * The file at `path` as it is now, not through a link: its bytes, null if there is none, or
 * 'other' if something else stands there (a link, a folder, a pipe: never waited on).
 */
function currentBytes(path: string): Buffer | null | 'other' {
  let fd: number;
  try {
    // Windows has neither flag: there a link is read through (and compared like a file).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'EISDIR') return 'other';
    throw e;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : 'other';
  } finally {
    closeSync(fd);
  }
}

/** Refuses to replace a file that no longer holds what the caller read from it (see writeFileExclusive0600's `unchanged`). */
function refuseIfChanged(path: string, read: Uint8Array | null): void {
  const now = currentBytes(path);
  const same = read === null ? now === null : now !== null && now !== 'other' && now.equals(read);
  if (!same) {
    throw new KeyholdError('Conflict', `${path} changed while Keyhold was writing it (another program wrote to it), so Keyhold left it as it is now.`, {
      field: 'fileChanged',
    });
  }
}

export interface WriteOptions {
  /** Replace a file already there (or a link itself) instead of refusing. */
  force?: boolean;
  /**
   * With `force`, for a file rewritten in place (a person's config): its bytes as the caller read
   * them, or null if there was no file. The file is replaced only if it still holds exactly those
   * bytes (its content, not its time stamp, which an editor may keep and a coarse clock may not
   * move); otherwise nothing is changed and a Conflict (field `fileChanged`) is thrown, so an edit
   * another program made since the read is not lost.
   */
  unchanged?: Uint8Array | null;
  /**
   * The permission bits the file ends with, set once its bytes are flushed and before it takes the
   * name (so never wider while it is being written): for a person's file rewritten in place, the
   * bits it had, so a read-only or shared config stays so. Without it, 0600.
   */
  mode?: number;
}

/**
 * Writes a file that holds secrets: readable by its owner only from the first byte, and never seen
 * half-written. The data goes to a temporary file created 0600 in the same folder, is flushed to
 * disk, and then takes the final name: by hard link, which fails if the name is taken (so no
 * check-then-write race), or, with `force`, by rename, which replaces a file or a symlink itself
 * rather than writing through it. The folder is flushed last, so the name survives a crash too.
 */
export async function writeFileExclusive0600(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  // A folder is never replaced, with force or without; saying it "already exists" would mislead.
  assertReplaceable(path);
  const temp = tempBeside(path);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
      if (options.mode !== undefined) await handle.chmod(options.mode & 0o777);
    } finally {
      await handle.close();
    }
    if (options.force) {
      // The check and the rename run back to back, synchronously: no other work of this process
      // (no other promise, no I/O callback) runs between them. What remains: a write another
      // program makes between the two system calls (microseconds), and a program that opened the
      // file before the rename and writes to it after (it writes to the file replaced, which no
      // name leads to any more). Closing those needs a lock every writer honours (editors and agent
      // tools take none) or a rename that happens only if the file is unchanged (no OS has one).
      if (options.unchanged !== undefined) refuseIfChanged(path, options.unchanged);
      renameSync(temp, path);
      renamed = true;
    } else {
      try {
        await link(temp, path);
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'EEXIST') throw exists(path);
        // Some file systems (FAT, some network mounts) have no hard links: fall back to a check.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
        const taken = await lstat(path).then(
          () => true,
          () => false,
        );
        if (taken) throw exists(path);
        await rename(temp, path);
        renamed = true;
      }
    }
  } catch (e) {
    throw fileError(e, path);
  } finally {
    // After a hard link the temporary name is a second name of the same file, to be dropped.
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  // Reached only once the file has its name, and after the temporary name is gone.
  await syncFolder(dirname(path));
  removeStaleTemps(path);
}

/**
 * writeFileExclusive0600 with `force`, synchronously: for a writer whose file must be in place, or
 * gone, before it returns, so that a removal right after cannot race a write still in flight (the
 * quick-unlock key). The same steps: 0600 from the first byte, flushed, renamed over, folder flushed.
 */
export function replaceFile0600Sync(path: string, data: string | Uint8Array): void {
  const temp = tempBeside(path);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw fileError(e, path);
  }
  syncFolderSync(dirname(path));
  removeStaleTemps(path);
}
