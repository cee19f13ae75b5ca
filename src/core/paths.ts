import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Keyhold';

/**
 * The per-OS application data directory, the same one Electron's app.getPath('userData') gives the
 * desktop app, so the CLI and the app find the same vault without configuration.
 */
export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_NAME);
}

/** Where the vault lives: an explicit directory, else KEYHOLD_VAULT, else the app data directory. */
export function vaultDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit || env.KEYHOLD_VAULT || join(appDataDir(env), 'vault');
}
