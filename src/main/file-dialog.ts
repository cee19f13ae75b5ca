import { BrowserWindow, dialog } from 'electron';
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { FileDialogPort } from '../core/api/backend';

const parent = (): BrowserWindow | null => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0] ?? null;

// The window asks for a file and the person picks one in the operating system's own dialog, so a
// compromised page can never name a path for main to read or overwrite.
export function createElectronFileDialog(): FileDialogPort {
  return {
    async saveFile({ title, defaultName, filters }) {
      const options: SaveDialogOptions = { title, defaultPath: defaultName, filters, properties: ['createDirectory', 'showOverwriteConfirmation'] };
      const win = parent();
      const result = await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    async openFile({ title, filters }) {
      const options: OpenDialogOptions = { title, filters, properties: ['openFile'] };
      const win = parent();
      const result = await (win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
  };
}
