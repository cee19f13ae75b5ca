import { clipboard } from 'electron';
import type { ClipboardPort } from '../core/desktop';

// Clipboard managers honour hints such as org.nspasteboard.ConcealedType (macOS),
// ExcludeClipboardContentFromMonitorProcessing (Windows) and x-kde-passwordManagerHint (KDE), but
// a hint only works when written in the same clipboard transaction as the text. Electron 41 has
// no such call: clipboard.write() takes no custom formats and every writeBuffer() replaces the
// whole clipboard (electron/electron#2130, #41462), so writing a hint would erase the secret.
// The guard's timed clear is the protection until Electron's W3C-style clipboard.write() lands.
export function createElectronClipboard(): ClipboardPort {
  return {
    writeText(text) {
      if (text === '') clipboard.clear();
      else clipboard.writeText(text);
    },
    readText: () => clipboard.readText(),
  };
}
