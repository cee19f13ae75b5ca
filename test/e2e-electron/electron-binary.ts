import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The path of the installed Electron binary, or null where only the npm package is present. */
export function electronBinary(): string | null {
  try {
    // The electron package exports the binary's path and throws if the download never happened.
    const path: unknown = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export const NO_ELECTRON =
  'e2e-electron: SKIPPED, no Electron binary is installed (node_modules/electron has no dist). ' +
  'Install it (npm ci without ELECTRON_SKIP_BINARY_DOWNLOAD) and run `npm run build` first.';
