import { BrowserWindow } from 'electron';
import type { WindowBounds } from '../shared/settings';

export interface MainWindowOptions {
  preloadPath: string;
  bounds?: WindowBounds;
  /** A packaged app: no developer tools (the default menu's Toggle Developer Tools does nothing). */
  packaged?: boolean;
}

// The options are one literal on purpose: Electronegativity reads them from the call site, and
// test/unit/main-window.test.ts asserts this exact set. Every value that has a safe default is
// still spelled out so a change of default in a future Electron cannot loosen it silently.
export function createMainWindow({ preloadPath, bounds, packaged = true }: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    ...(bounds ?? { width: 1100, height: 720 }),
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Keyhold',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      // Middle-click would otherwise open links in new windows behind the window-open handler's back.
      disableBlinkFeatures: 'Auxclick',
      // Someone at an unlocked, packaged app gets no console to run code in the page with.
      devTools: !packaged,
    },
  });
  // WebRTC may use no UDP but through the page's proxy, which leads nowhere (permissions.ts).
  win.webContents.setWebRTCIPHandlingPolicy('disable_non_proxied_udp');
  win.once('ready-to-show', () => win.show());
  return win;
}

/**
 * The page cancels its unload while a form holds unsaved edits; the window then asks the person
 * (`confirmDiscard`, a native question) and closes only if they agree to discard them.
 */
export function askBeforeDiscarding(win: BrowserWindow, confirmDiscard: () => boolean): void {
  win.webContents.on('will-prevent-unload', (event) => {
    if (confirmDiscard()) event.preventDefault();
  });
}
