import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { SkippedFile } from '../../shared/contract';
import { formatOf } from './locations';
import type { FileFormat } from './detect';

/** Folders never worth reading for keys: dependencies, VCS internals, build caches. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.cache',
  '.npm',
  '.pnpm-store',
  '.yarn',
  'dist',
  'build',
  'target',
  '.next',
  '.terraform',
]);

/** Files larger than this, found in a tree, are not configs a person wrote by hand. */
export const MAX_FILE_BYTES = 1024 * 1024;
/**
 * The agent tools' own configs and files named to scan are read up to this size: Claude Code keeps
 * every project's history in ~/.claude.json beside their MCP servers, which makes it several MiB.
 */
export const MAX_CONFIG_BYTES = 256 * 1024 * 1024;

export interface WalkedFile {
  path: string;
  format: FileFormat;
}

interface Layer {
  base: string;
  rules: Ignore;
}

const toPosix = (p: string): string => (sep === '/' ? p : p.split(sep).join('/'));

function readIgnoreFile(dir: string): Ignore | null {
  const text = readCandidate(join(dir, '.gitignore'));
  return text === null ? null : ignore().add(text);
}

/** Whether a .gitignore on the way down ignores the folder at `path`. */
function ignoredFolder(layers: readonly Layer[], path: string): boolean {
  for (const { base, rules } of layers) {
    const rel = toPosix(relative(base, path));
    if (rel !== '' && rules.ignores(`${rel}/`)) return true;
  }
  return false;
}

/**
 * Why scan did not read a file it meant to read: one that can hold keys by its name (or one named,
 * or a well-known place that exists) and that it could not read. Files ignored by design (in
 * node_modules, .git, gitignored, or with a name that holds no keys) are not skipped: they were
 * never meant to be read. Its message is built from the file's type, size and error code, never
 * from its content.
 */
export type { SkippedFile };
export type Skip = Omit<SkippedFile, 'path'>;

const MIB = 1024 * 1024;
// Rounded up: a file 1 byte over 1 MiB does not read as "1.0 MiB, larger than 1 MiB".
const sizeText = (bytes: number): string => (bytes < MIB ? `${Math.ceil(bytes / 1024)} KiB` : `${Math.ceil((bytes / MIB) * 10) / 10} MiB`);

const ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a loop of symbolic links',
  EIO: 'an input/output error',
  ENAMETOOLONG: 'its name is too long',
};
export const errorText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return ERRORS[code] ?? (code === '' ? 'an error' : `error ${code}`);
};

function notAFile(stat: Stats | Dirent): Skip {
  const what = stat.isFIFO()
    ? 'a named pipe'
    : stat.isSocket()
      ? 'a socket'
      : stat.isCharacterDevice() || stat.isBlockDevice()
        ? 'a device'
        : stat.isDirectory()
          ? 'a folder'
          : 'not a regular file';
  return { reason: 'not-a-file', message: `${what}, not a file` };
}

function tooLarge(size: number, maxBytes: number): Skip {
  const limit = `${sizeText(maxBytes)}`;
  return {
    reason: 'too-large',
    message:
      maxBytes < MAX_CONFIG_BYTES
        ? `${sizeText(size)}: larger than the ${limit} read of a file found in a folder (a file named to scan is read up to ${sizeText(MAX_CONFIG_BYTES)})`
        : `${sizeText(size)}: larger than the ${limit} scan reads`,
  };
}

const utf16le = new TextDecoder('utf-16le', { fatal: true });

/**
 * UTF-16 text that says so with its byte order mark, as Windows PowerShell 5's `>` and `Out-File`
 * write (`echo "OPENAI_API_KEY=…" > .env`): read exactly, or a reason when it is not valid UTF-16
 * (an odd length, a lone surrogate); null when the bytes have no such mark.
 */
function utf16Text(body: Buffer): { text: string } | Skip | null {
  const little = body[0] === 0xff && body[1] === 0xfe;
  if (body.length < 2 || !(little || (body[0] === 0xfe && body[1] === 0xff))) return null;
  const invalid: Skip = { reason: 'not-utf8', message: 'not valid UTF-16 text, though it starts as UTF-16: save it as UTF-8 to have it read' };
  if (body.length % 2 !== 0) return invalid;
  try {
    // The decoder drops the mark; a big-endian file is swapped in a copy first.
    const text = utf16le.decode(little ? body : Buffer.from(body).swap16());
    return text.includes('\u0000') ? { reason: 'binary', message: 'binary (it holds a NUL character)' } : { text };
  } catch {
    return invalid;
  }
}

/** A file's text: UTF-8, or UTF-16 with its mark; a NUL is binary (as git judges); Latin-1 and the like are not read. */
function textOf(body: Buffer): { text: string } | Skip {
  const utf16 = utf16Text(body);
  if (utf16 !== null) return utf16;
  if (body.includes(0)) return { reason: 'binary', message: 'binary (it holds a NUL byte)' };
  // Read with replacement characters, a value would be imported other than it is; and which
  // 8-bit code page a file is in, its bytes do not say.
  if (!isUtf8(body)) return { reason: 'not-utf8', message: 'not UTF-8 text: save it as UTF-8 to have it read' };
  return { text: body.toString('utf8') };
}

/** A name's bytes as text: each byte that is not part of valid UTF-8 as `\\xNN`. */
function escapedName(bytes: Buffer): string {
  let text = '';
  let i = 0;
  while (i < bytes.length) {
    let n = 1;
    while (n <= 4 && i + n <= bytes.length && !isUtf8(bytes.subarray(i, i + n))) n++;
    if (n > 4 || i + n > bytes.length) {
      text += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      text += bytes.subarray(i, i + n).toString('utf8');
      i += n;
    }
  }
  return text;
}

/**
 * The names in a listing that are not UTF-8 (Linux allows any bytes but a slash and NUL), each with
 * its bytes shown escaped. Read as text, such a name has U+FFFD where its bytes were, a path that
 * does not exist: the file would be left unread without a word, the folder reported as gone.
 */
function undecodableNames(dir: string, entries: readonly Dirent[]): Map<string, string[]> {
  // Two such names can read the same (`a\xfe`, `a\xff`): each is named.
  const found = new Map<string, string[]>();
  if (!entries.some((e) => e.name.includes('\uFFFD'))) return found;
  let raw: Buffer[];
  try {
    raw = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return found;
  }
  for (const bytes of raw) {
    if (!isUtf8(bytes)) found.set(bytes.toString('utf8'), [...(found.get(bytes.toString('utf8')) ?? []), escapedName(bytes)]);
  }
  return found;
}

/**
 * The files under `root` that can hold keys (judged by name, see `formatOf`), gitignored ones
 * included, skipping the folders every `.gitignore` on the way down ignores and dependency folders,
 * never following symbolic links.
 * What it passes over that it would have read (a link or a pipe with such a name, a folder it
 * cannot list) goes to `passed`.
 */
export function* walkTree(root: string, passed: (path: string, skip: Skip) => void = () => {}): Generator<WalkedFile> {
  const stack: { dir: string; layers: Layer[] }[] = [{ dir: root, layers: [] }];
  while (stack.length > 0) {
    const { dir, layers: parent } = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      // Gone since its parent was listed (a build's temporary folder, a process's in /proc): nothing
      // is there to read, as for a file gone before it is read.
      const code = (e as NodeJS.ErrnoException).code;
      if (dir !== root && code === 'ENOENT') continue;
      passed(dir, { reason: 'unreadable', message: `a folder that cannot be listed: ${errorText(e)}` });
      continue;
    }
    const own = entries.some((e) => e.name === '.gitignore' && e.isFile()) ? readIgnoreFile(dir) : null;
    const layers = own ? [...parent, { base: dir, rules: own }] : parent;
    const subdirs: string[] = [];
    const undecodable = undecodableNames(dir, entries);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const names = undecodable.get(entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || ignoredFolder(layers, path)) continue;
        if (names === undefined) subdirs.push(path);
        for (const name of names ?? []) {
          passed(join(dir, name), { reason: 'unreadable', message: 'a folder whose name is not UTF-8, which scan cannot open: rename it to have it searched' });
        }
        continue;
      }
      const format = formatOf(path);
      // A .gitignore prunes folders (build output, caches), never a file that can hold keys by its
      // name: `.env` is in most .gitignore files precisely because it holds them.
      if (format === null) continue;
      if (names !== undefined) {
        for (const name of names)
          passed(join(dir, name), { reason: 'unreadable', message: 'a name that is not UTF-8, which scan cannot open: rename it to have it read' });
        continue;
      }
      if (entry.isFile()) yield { path, format };
      else if (entry.isSymbolicLink()) {
        passed(path, { reason: 'symlink', message: "a symbolic link: a folder's links are not followed (the file it leads to is read when named)" });
      } else passed(path, notAFile(entry));
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ dir: subdirs[i]!, layers });
  }
}

/**
 * A regular file's bytes if there are at most `maxBytes` of them; else its stat when it is not a
 * regular file (a folder, a pipe, a device), or its size when it is larger. Opened without
 * blocking: a named pipe where a config is expected (~/.claude.json) would otherwise hold the
 * reader until something wrote to it. Throws what opening or reading it throws (ENOENT…). Scan and
 * mcp wrap both read through it.
 */
export function readRegularFile(path: string, maxBytes: number): { bytes: Buffer } | { notFile: Stats } | { tooLarge: number } {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { notFile: stat };
    if (stat.size > maxBytes) return { tooLarge: stat.size };
    const size = stat.size;
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, null);
      if (n === 0) break;
      read += n;
    }
    return { bytes: bytes.subarray(0, read) };
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's text if it is text (textOf) of at most `maxBytes`; else why it was not read; null when
 * nothing is there (a well-known place most people do not have).
 */
export function readScanned(path: string, maxBytes = MAX_FILE_BYTES): { text: string } | Skip | null {
  try {
    const read = readRegularFile(path, maxBytes);
    if ('notFile' in read) return notAFile(read.notFile);
    if ('tooLarge' in read) return tooLarge(read.tooLarge, maxBytes);
    return textOf(read.bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Opening a socket fails with ENXIO: it is said as what it is, as a pipe or a device is.
    const stat = code === 'ENXIO' ? statOrNull(path) : null;
    if (stat !== null && !stat.isFile()) return notAFile(stat);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return { reason: 'unreadable', message: `cannot be read: ${errorText(e)}` };
    return isLink(path) ? { reason: 'unreadable', message: 'a symbolic link to a file that does not exist' } : null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Whether `path` itself is a symbolic link (false when nothing is there). */
export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A file's text as `readScanned` reads it, or null whatever kept it from being read. */
export function readCandidate(path: string, maxBytes = MAX_FILE_BYTES): string | null {
  const read = readScanned(path, maxBytes);
  return read !== null && 'text' in read ? read.text : null;
}
