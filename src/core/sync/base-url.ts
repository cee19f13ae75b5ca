import { KeyholdError } from '../../shared/errors';

export interface BaseUrl {
  /** scheme://host[:port], what the socket pool connects to. */
  origin: string;
  /** A path prefix without a trailing slash ("" or "/kura"). */
  basePath: string;
  /** origin + basePath: the normalised form to store and show. */
  href: string;
}

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form) and localhost: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(h);
}

/**
 * Validates and normalises a connection's base URL. Plain http is allowed only to loopback,
 * where nothing can read it on the wire; credentials never travel in a URL; a query or fragment
 * would silently change every endpoint path, so both are refused rather than guessed around.
 */
export function parseBaseUrl(raw: string): BaseUrl {
  const text = raw.trim();
  // The URL parser drops tabs and line breaks and encodes spaces: what was typed is not what would
  // be used, so any of them inside the address is refused rather than guessed around.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text)) {
    throw new KeyholdError('BadInput', 'The server address may not contain spaces, line breaks or control characters.', { field: 'url' });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KeyholdError('BadInput', 'The server address is not a valid URL.', { field: 'url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KeyholdError('BadInput', 'The server address must start with https://.', { field: 'url' });
  }
  if (url.username !== '' || url.password !== '') {
    throw new KeyholdError('BadInput', 'The server address may not contain a user name or password.', { field: 'url' });
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    throw new KeyholdError('BadInput', 'The server address may not contain "?" or "#".', { field: 'url' });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new KeyholdError('RemoteInsecure', `Plain http:// is allowed only for this machine (localhost); use https:// for ${url.hostname}.`, { field: 'url' });
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, basePath, href: url.origin + basePath };
}
