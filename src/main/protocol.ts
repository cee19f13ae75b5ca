import { protocol } from 'electron';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'keyhold';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

// React sets inline styles through the CSSOM, which CSP does not govern, and Vite emits CSS as
// files, so neither scripts nor styles need 'unsafe-inline'.
const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
];

export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.join('; ');

/** The same policy for index.html's meta tag, where browsers ignore (and warn about) frame-ancestors. */
export const META_CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.filter((d) => !d.startsWith('frame-ancestors')).join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Must run before the app is ready: `app:` behaves like https (secure, standard, fetch-able). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

function respond(status: number, body: BodyInit | null, contentType = 'text/plain; charset=utf-8'): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': contentType } });
}

const inside = (root: string, target: string): boolean => {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/** Serves files of `rootDir` (out/renderer) and nothing else, whatever the URL says. */
export function createAppRequestHandler(rootDir: string): (request: Request) => Promise<Response> {
  const root = resolve(rootDir);
  let realRoot: Promise<string> | undefined;

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, 'Method not allowed');
    let url: URL;
    let pathname: string;
    try {
      url = new URL(request.url);
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return respond(400, 'Bad request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return respond(404, 'Not found');
    // Decoding can reintroduce what URL parsing normalised away: %2e%2e%2f, %5c, %00.
    if (pathname.includes('\0') || pathname.includes('\\')) return respond(404, 'Not found');

    const target = resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (!inside(root, target)) return respond(404, 'Not found');
    try {
      realRoot ??= realpath(root);
      const real = await realpath(target);
      // A symlink inside the renderer folder may not lead out of it either.
      if (!inside(await realRoot, real) || !(await stat(real)).isFile()) return respond(404, 'Not found');
      const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
      return respond(200, request.method === 'HEAD' ? null : await readFile(real), type);
    } catch {
      return respond(404, 'Not found');
    }
  };
}

export function serveAppProtocol(rootDir: string): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(rootDir));
}
