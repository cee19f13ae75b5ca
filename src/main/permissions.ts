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

/**
 * The window has no business on the network: main makes every request (sync, checks) itself. Its
 * content security policy blocks fetch, images and the like, but not WebRTC, whose TURN requests
 * can carry data to any host. So the page's session goes through a proxy that leads nowhere (its
 * own app:// files and, when developing, the local dev server are not proxied), and WebRTC may
 * use no UDP but through it; the page also drops WebRTC's constructors (src/renderer/no-webrtc.ts).
 */
export const DEAD_PROXY = 'http://0.0.0.0:1';

export async function cutPageOffTheNetwork(ses: Session): Promise<void> {
  await ses.setProxy({ mode: 'fixed_servers', proxyRules: DEAD_PROXY, proxyBypassRules: '<local>' });
}
