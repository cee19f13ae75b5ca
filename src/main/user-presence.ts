import { systemPreferences } from 'electron';
import type { UserPresencePort } from '../core/api/backend';

/**
 * Touch ID before each quick unlock, on macOS where the Mac has it and a finger is enrolled
 * (`systemPreferences.canPromptTouchID`). Elsewhere Electron offers no such prompt and quick
 * unlock relies on the keychain alone. `promptTouchID` rejects when the person cancels or fails.
 */
export function createElectronUserPresence(platform: NodeJS.Platform = process.platform): UserPresencePort {
  return {
    available: () => platform === 'darwin' && typeof systemPreferences.canPromptTouchID === 'function' && systemPreferences.canPromptTouchID(),
    async confirm(reason) {
      await systemPreferences.promptTouchID(reason);
      return true;
    },
  };
}
