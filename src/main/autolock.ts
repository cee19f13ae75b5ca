import { powerMonitor } from 'electron';
import type { BrowserWindow } from 'electron';
import { isPersonInput, type AutoLock, type PowerPort } from '../core/desktop';

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
 * Key presses, clicks, the wheel and focus in the window count as activity. IPC calls do not:
 * the window makes them on its own too (refreshing after every background sync event), and
 * counting them kept a vault nobody touched unlocked for as long as sync had work. Reading
 * without touching anything for the whole period locks the vault, which is the cautious way round.
 */
export function trackActivity(win: BrowserWindow, autoLock: AutoLock): void {
  win.webContents.on('before-input-event', () => autoLock.activity());
  win.webContents.on('input-event', (_event, input) => {
    if (isPersonInput(input.type)) autoLock.activity();
  });
  win.on('focus', () => autoLock.activity());
}
