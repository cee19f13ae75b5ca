import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent, WebFrameMain } from 'electron';
import type { Router } from '../core/ipc/router';
import { callNames, channelFor, fail } from '../shared/ipc';
import type { Contract, Envelope } from '../shared/ipc';

/**
 * `scheme://host[:port]`. WHATWG URL gives `null` as the origin of a custom scheme such as
 * app://, so it is rebuilt from its parts; anything hostless (file:, data:, about:) has none.
 */
export function originOf(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.host === '' ? null : `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}

/** Only Keyhold's own top-level document may call in: not an iframe, not a page it was navigated to. */
export function isTrustedFrame(frame: WebFrameMain | null | undefined, allowedOrigins: readonly string[]): boolean {
  if (frame === null || frame === undefined || frame.parent !== null) return false;
  const origin = originOf(frame.url);
  return origin !== null && allowedOrigins.includes(origin);
}

export const UNTRUSTED_SENDER: Envelope<never> = fail({
  code: 'BadInput',
  message: 'This request did not come from the Keyhold window, so it was refused.',
});

export interface IpcRegistration {
  allowedOrigins: readonly string[];
  /** Each accepted call counts as the person doing something, for auto-lock. */
  onCall?: (name: string) => void;
  /** Asked before each call from the window; an envelope refuses it unheard (reveal-limit.ts). */
  limit?: { check(name: string): Envelope<never> | null };
}

/** One ipcMain.handle per contract call; returns a function that removes them all. */
export function registerIpcHandlers<C extends Contract>(router: Router<C>, registration: IpcRegistration): () => void {
  const names = callNames(router.contract);
  for (const name of names) {
    ipcMain.handle(channelFor(name), (event: IpcMainInvokeEvent, input: unknown) => {
      if (!isTrustedFrame(event.senderFrame, registration.allowedOrigins)) return UNTRUSTED_SENDER;
      const refused = registration.limit?.check(name) ?? null;
      if (refused !== null) return refused;
      registration.onCall?.(name);
      return router.dispatch(name, input);
    });
  }
  return () => {
    for (const name of names) ipcMain.removeHandler(channelFor(name));
  };
}
