import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILES } from './db';

const mode = (path: string): number | null => {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null;
  }
};
const octal = (m: number) => m.toString(8).padStart(3, '0');

/**
 * What other users of this computer can do to the vault that they should not: read its files (and
 * so try passwords against them offline, at their own pace) or write to its folder (and so swap
 * the vault for an older copy). Null when nothing. POSIX modes only: on Windows a user's profile
 * folder is private by its access lists, which modes do not show.
 */
export function permissionProblem(dir: string, platform: NodeJS.Platform = process.platform): string | null {
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
