import { REFERENCE_SCHEMES } from './rules';

/*
 * Passwords in the userinfo of a URL, any scheme: `postgres://user:PASSWORD@host/db`,
 * `redis://:PASSWORD@host:6379`, `amqps://u:PASSWORD@h` (what detect-secrets' BasicAuthDetector
 * looks for; gitleaks has no such rule). The name a URL is set under says nothing
 * (`DATABASE_URL`), so the URL's shape is the whole test.
 *
 * The WHATWG URL parser judges each candidate: the authority runs to the first "/", "?" or "#",
 * its last "@" ends the userinfo, and the first ":" in that splits user from password, as every
 * client does. It rejects forms people still write and clients still accept: a password with an
 * unescaped "/", "?" or "#" (`postgres://u:pa/ss@h`), and a list of hosts (`mongodb://u:p@h1,h2`).
 * For those the userinfo ends at the first "@" that a host follows, and a list is judged by its
 * first host.
 *
 * One pass over the text with indexOf, and each candidate looks at a bounded stretch of it, so a
 * line of 100 KB of "@", ":" or "://" costs a linear scan (no backtracking regular expression).
 */

/** The longest scheme looked for before "://". */
const MAX_SCHEME = 32;
/** How far past "://" the userinfo and host are looked for: no real one is longer. */
const MAX_AUTHORITY = 1024;
/** How many "@" after a password with "/", "?" or "#" in it are tried as the end of the userinfo. */
const MAX_AT_TRIES = 8;
/** How much of the host the hint shows. */
const MAX_HINT_HOST = 64;

export interface UrlPassword {
  /** Offsets of the whole URL: from its scheme to the first character that cannot be in one. */
  start: number;
  end: number;
  /** The password as written, percent escapes and all. */
  password: string;
  /** What may be shown of the URL: its scheme and host, the userinfo concealed (`postgres://…@db:5432`). */
  hint: string;
}

/**
 * `text` is free text (a YAML or INI file: a quote or an angle bracket ends a URL) or a whole value
 * (a JSON, TOML or .env value: only white space and control characters end one).
 */
export type UrlContext = 'text' | 'value';

const SCHEME = /[A-Za-z][A-Za-z0-9+.-]*$/;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
// eslint-disable-next-line no-control-regex
const ENDS_IN_VALUE = /[\s\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const ENDS_IN_TEXT = /[\s\u0000-\u001f\u007f"'`<>]/;
const ENDS_AUTHORITY = '/?#\\';
const REFERENCE_SCHEME = new RegExp(`^(?:${REFERENCE_SCHEMES.join('|')})$`, 'i');
const REFERENCE_INSIDE = new RegExp(`(?:${REFERENCE_SCHEMES.join('|')}):\\/\\/`, 'i');

/*
 * Passwords that stand for one rather than are one: a variable or template filled in later
 * (`${DB_PASSWORD}`, `$DB_PASSWORD`, `$(…)`, `{{ … }}`, Windows' `%DB_PASSWORD%`), a reference to a
 * secret kept elsewhere (Keyhold's `keyhold://…`, 1Password's `op://…`), a placeholder
 * (`<password>`, `[password]`, "password", "changeme"), or a mask (`***`, `xxx`, `…`).
 */
const FILLED_IN = /\$[A-Za-z_{(]|\{\{|^%[A-Za-z_][A-Za-z0-9_]*%$/;
const BRACKETED = /^<.*>$|^\[.*\]$/;
const MASK = /^(?:[*•…]+|[xX]+|\.+|-+|_+|#+|\?+)$/;
const PLACEHOLDER_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'pw',
  'secret',
  'changeme',
  'change_me',
  'change-me',
  'changeit',
  'example',
  'placeholder',
  'redacted',
  'hidden',
  'masked',
  'mypassword',
  'yourpassword',
  'your_password',
  'your-password',
]);

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function isPlaceholderPassword(raw: string): boolean {
  return [raw, decoded(raw)].some(
    (p) => p === '' || FILLED_IN.test(p) || REFERENCE_INSIDE.test(p) || BRACKETED.test(p) || MASK.test(p) || PLACEHOLDER_WORDS.has(p.toLowerCase()),
  );
}

/** The host of `scheme://authority`, or null if the URL parser refuses it or it has none. */
function hostOf(scheme: string, authority: string): string | null {
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}`);
  } catch {
    return null;
  }
  return url.hostname === '' ? null : url.host;
}

/** The first host of a list (`h1:5432,h2:5432`): each client splits it itself. */
const firstHost = (hosts: string): string => hosts.split(',', 1)[0]!;

interface Userinfo {
  password: string;
  host: string;
}

/** The first of `chars` in [from, to), or `to`. Bounded, unlike indexOf, so no candidate reads past its window. */
function indexOfAny(text: string, chars: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (chars.includes(text[i]!)) return i;
  return to;
}

function lastIndexOfIn(text: string, char: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (text[i] === char) return i;
  return -1;
}

/**
 * The userinfo as the WHATWG parser reads the authority in [from, to): null when it holds no
 * password (or a placeholder), undefined when the parser refuses it and the looser reading may try.
 */
function parsedUserinfo(scheme: string, text: string, from: number, to: number): Userinfo | null | undefined {
  const authorityEnd = indexOfAny(text, ENDS_AUTHORITY, from, to);
  const at = lastIndexOfIn(text, '@', from, authorityEnd);
  if (at === -1) return undefined;
  let url: URL;
  try {
    url = new URL(`${scheme}://${text.slice(from, at + 1)}${firstHost(text.slice(at + 1, authorityEnd))}`);
  } catch {
    return undefined;
  }
  // `user@host` and `user:@host`: a name and no password.
  if (url.password === '' || url.hostname === '') return null;
  const password = text.slice(indexOfAny(text, ':', from, at) + 1, at);
  return isPlaceholderPassword(password) ? null : { password, host: url.host };
}

/** The userinfo of a password holding "/", "?" or "#", which the parser reads as the start of a path. */
function looseUserinfo(scheme: string, text: string, from: number, to: number): Userinfo | null {
  const colon = indexOfAny(text, `:@${ENDS_AUTHORITY}`, from, to);
  if (text[colon] !== ':' || colon === to) return null;
  // `host:8080/@name` is a port and a path, not a password.
  if (/^[0-9]*$/.test(text.slice(colon + 1, indexOfAny(text, ENDS_AUTHORITY, colon + 1, to)))) return null;
  let at = colon;
  for (let tries = 0; tries < MAX_AT_TRIES; tries++) {
    at = indexOfAny(text, '@', at + 1, to);
    if (at === to) return null;
    const host = hostOf(scheme, firstHost(text.slice(at + 1, indexOfAny(text, `@${ENDS_AUTHORITY}`, at + 1, to))));
    if (host === null) continue;
    const password = text.slice(colon + 1, at);
    return isPlaceholderPassword(password) ? null : { password, host };
  }
  return null;
}

/** Every URL in `text` with a password in its userinfo that is not a placeholder or reference. */
export function findUrlPasswords(text: string, context: UrlContext): UrlPassword[] {
  const ends = context === 'text' ? ENDS_IN_TEXT : ENDS_IN_VALUE;
  const found: UrlPassword[] = [];
  // Where the stretch of URL characters holding the current "://" ends: found once per stretch.
  let stretchEnd = -1;
  let next = text.indexOf('://');
  while (next !== -1) {
    const sep = next;
    const from = sep + 3;
    next = text.indexOf('://', from);
    const scheme = SCHEME.exec(text.slice(Math.max(0, sep - MAX_SCHEME), sep))?.[0];
    if (scheme === undefined || REFERENCE_SCHEME.test(scheme)) continue;
    const start = sep - scheme.length;
    // A scheme longer than MAX_SCHEME, or one glued to what comes before it.
    if (start > 0 && SCHEME_CHAR.test(text[start - 1]!)) continue;
    if (stretchEnd < from) {
      stretchEnd = from;
      while (stretchEnd < text.length && !ends.test(text[stretchEnd]!)) stretchEnd++;
    }
    // The userinfo never holds "://": a later one starts another URL, so the windows do not overlap.
    const to = Math.min(stretchEnd, from + MAX_AUTHORITY, next === -1 ? Infinity : next);
    const parsed = parsedUserinfo(scheme, text, from, to);
    const userinfo = parsed === undefined ? looseUserinfo(scheme, text, from, to) : parsed;
    if (userinfo === null) continue;
    const host = userinfo.host.length > MAX_HINT_HOST ? `${userinfo.host.slice(0, MAX_HINT_HOST)}…` : userinfo.host;
    found.push({ start, end: stretchEnd, password: userinfo.password, hint: `${scheme.toLowerCase()}://…@${host}` });
    if (next !== -1 && next < stretchEnd) next = text.indexOf('://', stretchEnd);
  }
  return found;
}

/** The password of each URL in a value, as written and decoded: what a preview conceals besides the value. */
export function urlPasswordForms(value: string): string[] {
  return findUrlPasswords(value, 'value').flatMap((u) => [u.password, decoded(u.password)]);
}
