import Store from 'electron-store';
import type { Schema } from 'electron-store';
import { ipcMain } from 'electron';
import { KeyholdError } from '../shared/errors';
import { storedSettingsJsonSchema, UserSettings, type StoredSettings } from '../shared/settings';

// Preferences only. Nothing here may ever be a secret: the file is plain JSON in userData. The
// person's preferences are src/shared/settings.ts's UserSettings; the rest is the shell's own.
export type Settings = StoredSettings;

/** The part of the stored settings the UI may read and change. */
export const userSettingsOf = (settings: Settings): UserSettings => UserSettings.parse(settings);

export const SETTINGS_SCHEMA = storedSettingsJsonSchema() as Schema<Settings>;

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
