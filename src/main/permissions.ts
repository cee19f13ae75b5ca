import type { Session } from 'electron';

/** Keyhold needs no browser permission at all: camera, notifications, clipboard-read, HID… all denied. */
export function denyAllPermissions(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // Answering with no stream refuses the capture.
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // Exports are written by main through a save dialog; the page never downloads anything itself.
  ses.on('will-download', (event) => event.preventDefault());
}
