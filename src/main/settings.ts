import Store from 'electron-store';
import type { Schema } from 'electron-store';
import { ipcMain } from 'electron';
import { KeyholdError } from '../shared/errors';
import { DEFAULT_SETTINGS, UserSettings } from '../shared/settings';
import type { WindowBounds } from './window';

// Preferences only. Nothing here may ever be a secret: the file is plain JSON in userData. The
// person's preferences are src/shared/settings.ts's UserSettings; the rest is the shell's own.
export type Settings = UserSettings & {
  windowBounds?: WindowBounds;
  lastVaultPath?: string;
};

/** The part of the stored settings the UI may read and change. */
export const userSettingsOf = (settings: Settings): UserSettings => UserSettings.parse(settings);

const integer = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;

export const SETTINGS_SCHEMA: Schema<Settings> = {
  autoLockMinutes: { ...integer(1, 24 * 60), default: DEFAULT_SETTINGS.autoLockMinutes },
  clipboardSeconds: { ...integer(5, 600), default: DEFAULT_SETTINGS.clipboardSeconds },
  theme: { type: 'string', enum: ['system', 'light', 'dark'], default: DEFAULT_SETTINGS.theme },
  windowBounds: {
    type: 'object',
    properties: {
      x: integer(-100_000, 100_000),
      y: integer(-100_000, 100_000),
      width: integer(200, 100_000),
      height: integer(200, 100_000),
    },
    required: ['x', 'y', 'width', 'height'],
    additionalProperties: false,
  },
  lastVaultPath: { type: 'string', minLength: 1, maxLength: 4096 },
  quickUnlock: { type: 'boolean', default: DEFAULT_SETTINGS.quickUnlock },
  keyMaxAgeDays: { ...integer(1, 3650), default: DEFAULT_SETTINGS.keyMaxAgeDays },
};

export interface SettingsStore {
  get(): Settings;
  update(patch: Partial<Settings>): Settings;
}

export function createSettingsStore(): SettingsStore {
  const store = new Store<Settings>({
    name: 'settings',
    schema: SETTINGS_SCHEMA,
    // A key outside the schema (say, a token someone tried to stash here) is rejected.
    rootSchema: { additionalProperties: false },
    // Preferences are not worth refusing to start over: a corrupt file falls back to defaults.
    clearInvalidConfig: true,
  });
  // electron-store answers this synchronous channel for renderer-side stores, which Keyhold does
  // not use; the page has no ipcRenderer, but nothing should listen that is not needed.
  ipcMain.removeAllListeners('electron-store-get-data');
  return {
    get: () => ({ ...store.store }),
    update(patch) {
      try {
        store.set({ ...store.store, ...patch });
      } catch {
        throw new KeyholdError('BadInput', 'That setting is out of range, so it was not saved.');
      }
      return { ...store.store };
    },
  };
}
