import { BrowserWindow, dialog } from 'electron';
import type { MessageBoxOptions } from 'electron';
import type { ConfirmPort } from '../core/api/backend';

const parent = (): BrowserWindow | null => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null;

// The operating system's own message box, modal to the window: a compromised page can neither
// answer it nor cover it. Cancel is the default and what Escape or closing the box chooses.
export function createElectronConfirm(): ConfirmPort {
  return {
    async confirm({ title, message, detail, yes }) {
      const options: MessageBoxOptions = { type: 'warning', title, message, detail, buttons: ['Cancel', yes], defaultId: 0, cancelId: 0, noLink: true };
      const win = parent();
      const result = await (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
      return result.response === 1;
    },
  };
}
