import { powerMonitor } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AutoLock, PowerPort } from '../core/desktop';

export function createElectronPower(): PowerPort {
  return {
    on(event, listener) {
      // Typed per event name; both names here take a listener with no arguments.
      const emitter: NodeJS.EventEmitter = powerMonitor;
      emitter.on(event, listener);
      return () => {
        emitter.removeListener(event, listener);
      };
    },
  };
}

/**
 * Key presses and focus in the window count as activity; so does every IPC call (wired in
 * app.ts). Main cannot see mouse moves, so reading without touching anything for the whole
 * period locks the vault, which is the cautious way round.
 */
export function trackActivity(win: BrowserWindow, autoLock: AutoLock): void {
  win.webContents.on('before-input-event', () => autoLock.activity());
  win.on('focus', () => autoLock.activity());
}
