import { closeSync, lstatSync, openSync } from 'node:fs';
import { KeyholdError } from '../shared/errors';
import { decodeUtf8, readAllFd, readStdinBytes } from './io';

/*
 * Files named on the command line. A module of its own so that the
 * commands that need them (profile, agents, run) do not load one another, nor the dependencies of
 * `run` (the TOML parser of keyhold.toml), to read a file.
 */

function readFile(path: string, what: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAllFd(fd, what);
  } finally {
    closeSync(fd);
  }
}

/** Reads a UTF-8 text file named on the command line ("-" is standard input), with errors for a person. */
export function readTextFile(path: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = path === '-' ? readStdinBytes(what) : readFile(path, `${what} ${path}`);
  } catch (e) {
    if (e instanceof KeyholdError) throw e;
    const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a folder', EACCES: 'permission denied', EPERM: 'permission denied' };
    const why = reasons[(e as NodeJS.ErrnoException).code ?? ''] ?? 'it cannot be read';
    throw new KeyholdError('BadInput', `Cannot read ${what} ${path}: ${why}.`, { cause: e });
  }
  return decodeUtf8(bytes, `${what} ${path}`);
}

/**
 * Refuses early, before the password is asked, what a write of secrets to `path` would refuse: a
 * folder, pipe, device or link to one, or a vault's file, --force or not; and without --force, a file
 * that exists (the write itself re-checks atomically). Loads the writer, which only commands that
 * write a file need.
 */
export async function checkOutputFile(path: string, force: boolean | undefined): Promise<void> {
  const { assertReplaceable } = await import('../core/devflow/write-file');
  // A folder, a pipe or a device is named as such, not as a file that --force would replace.
  assertReplaceable(path);
  if (force) return;
  let taken = true;
  try {
    lstatSync(path);
  } catch {
    taken = false;
  }
  if (taken) throw new KeyholdError('Conflict', `${path} already exists. Use --force to replace it.`);
}
