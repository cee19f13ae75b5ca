import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILES } from './db';

const stat = (path: string) => {
  try {
    return statSync(path);
  } catch {
    return null;
  }
};
const mode = (path: string): number | null => {
  const s = stat(path);
  return s === null ? null : s.mode & 0o777;
};
const octal = (m: number) => m.toString(8).padStart(3, '0');

/**
 * What other users of this computer can do to the vault that they should not: read its files (and
 * so try passwords against them offline, at their own pace) or write to its folder (and so swap
 * the vault for an older copy), by its modes or because the folder or a file is theirs. Null when
 * nothing. POSIX only: on Windows a user's profile folder is private by its access lists, which
 * modes do not show.
 */
export function permissionProblem(dir: string, platform: NodeJS.Platform = process.platform, uid = process.getuid?.()): string | null {
  return modeProblem(dir, platform) ?? ownerProblem(dir, platform, uid);
}

/** The modes half of permissionProblem: fixed by taking the group's and others' rights away. */
export function modeProblem(dir: string, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'win32') return null;
  for (const path of DB_FILES.map((file) => join(dir, file))) {
    const m = mode(path);
    if (m !== null && (m & 0o077) !== 0) {
      return `Other users of this computer can open ${path} (mode ${octal(m)}), so they could try passwords against the vault offline.`;
    }
  }
  const m = mode(dir);
  if (m !== null && (m & 0o022) !== 0) {
    return `Other users of this computer can write to ${dir} (mode ${octal(m)}), so they could replace the vault with an older copy.`;
  }
  return null;
}

/**
 * The owners half: a folder or file another user owns (a path, or a link, into their home) is theirs
 * to read, replace or open up whatever its modes say now. The administrator (uid 0) can anyway.
 */
export function ownerProblem(dir: string, platform: NodeJS.Platform = process.platform, uid = process.getuid?.()): string | null {
  if (platform === 'win32' || uid === undefined) return null;
  for (const path of [dir, ...DB_FILES.map((file) => join(dir, file))]) {
    const owner = stat(path)?.uid;
    if (owner !== undefined && owner !== uid && owner !== 0) {
      return `${path} belongs to another user of this computer (uid ${owner}), who can read the vault or replace it with an older copy whatever its modes say. Keep the vault in a folder of your own.`;
    }
  }
  return null;
}
