import { shell } from 'electron';
import type { WebContents } from 'electron';

export interface NavigationPolicy {
  /** Origins (https only) that links may open in the person's browser; everything else is dropped. */
  externalOrigins: readonly string[];
}

export function isAllowedExternalUrl(raw: string, policy: NavigationPolicy): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && policy.externalOrigins.includes(url.origin);
}

function openOutside(raw: string, policy: NavigationPolicy): void {
  if (!isAllowedExternalUrl(raw, policy)) return;
  shell.openExternal(raw).catch(() => undefined);
}

/**
 * The page never navigates and never opens windows: it is one document loaded from app://.
 * Allow-listed https links go to the system browser instead.
 */
export function restrictNavigation(contents: WebContents, policy: NavigationPolicy): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    openOutside(event.url, policy);
  });
  // The main frame is handled by will-navigate above; this catches sub-frames.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url, policy);
    return { action: 'deny' };
  });
}
