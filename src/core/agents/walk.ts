import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
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

function ignored(layers: readonly Layer[], path: string, isDir: boolean): boolean {
  for (const { base, rules } of layers) {
    const rel = toPosix(relative(base, path));
    if (rel !== '' && rules.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/**
 * The files under `root` that can hold keys (judged by name, see `formatOf`), honouring every
 * `.gitignore` on the way down, never following symbolic links, and skipping dependency folders.
 * Unreadable folders are passed over.
 */
export function* walkTree(root: string): Generator<WalkedFile> {
  const stack: { dir: string; layers: Layer[] }[] = [{ dir: root, layers: [] }];
  while (stack.length > 0) {
    const { dir, layers: parent } = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    const own = entries.some((e) => e.name === '.gitignore' && e.isFile()) ? readIgnoreFile(dir) : null;
    const layers = own ? [...parent, { base: dir, rules: own }] : parent;
    const subdirs: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !ignored(layers, path, true)) subdirs.push(path);
      } else if (entry.isFile()) {
        const format = formatOf(path);
        if (format !== null && !ignored(layers, path, false)) yield { path, format };
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ dir: subdirs[i]!, layers });
  }
}

/**
 * A file's text if it is UTF-8-ish text of at most `maxBytes`; null for a binary (a NUL byte, as git
 * judges), a larger file, anything but a regular file, or one that cannot be read. Opened without blocking: a
 * named pipe where a config is expected (~/.claude.json) would otherwise hold the scan until
 * something wrote to it.
 */
export function readCandidate(path: string, maxBytes = MAX_FILE_BYTES): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return null;
    const size = stat.size;
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, null);
      if (n === 0) break;
      read += n;
    }
    const body = bytes.subarray(0, read);
    if (body.includes(0)) return null;
    return body.toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
