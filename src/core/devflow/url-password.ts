/** Schemes of references to a secret kept elsewhere: Keyhold's own, 1Password's, Vault's, the clouds' secret managers. */
export const REFERENCE_SCHEMES: readonly string[] = ['keyhold', 'op', 'vault', 'env', 'secret', 'sm', 'gcp', 'aws', 'azure'];

/*
 * Passwords in the userinfo of a URL, any scheme: `postgres://user:PASSWORD@host/db`,
 * `redis://:PASSWORD@host:6379`, `amqps://u:PASSWORD@h` (what detect-secrets' BasicAuthDetector
 * looks for; gitleaks has no such rule), and credentials in its query: `mongodb://h/db?password=X`,
 * `jdbc:postgresql://h/db?user=u&password=X`, `https://api.example.com/v1?api_key=X`, or in its
 * fragment written as the same `name=value&…` pairs: OAuth's implicit flow and magic links
 * (`https://app.example/cb#access_token=X&token_type=bearer`, `#id_token=X`, `#key=X`). A fragment
 * that is not such pairs (`#section-2`) holds none. The name a URL is set under says nothing
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
/** The longest query or fragment parameter name, as written, compared with CREDENTIAL_PARAMS. */
const MAX_PARAM_NAME = 32;

/**
 * Query and fragment parameters whose value is a credential, compared in lower case: libpq's,
 * MongoDB's, JDBC's, APIs' keys (Google's `?key=`), and OAuth's tokens (RFC 6749's implicit-flow
 * `access_token` and `refresh_token`, OpenID Connect's `id_token`).
 */
const CREDENTIAL_PARAMS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'sslpassword',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'key',
]);

export interface UrlPassword {
  /** Offsets of the whole URL: from its scheme to the first character that cannot be in one. */
  start: number;
  end: number;
  /** The password of its userinfo as written, percent escapes and all; null when only its query or fragment holds a credential. */
  password: string | null;
  /**
   * Each credential it holds, as written and decoded, a secret on its own: the password and the
   * whole userinfo (`user:password`, what an HTTP Basic header encodes), and the value of each
   * credential parameter of its query and fragment; also those of a URL written inside it.
   */
  parts: string[];
  /** What may be shown of the URL: its scheme and host, any userinfo concealed (`postgres://…@db:5432`). */
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
 * (`<password>`, `[password]`, `{api_key}`, "password", "changeme", `YOUR_API_KEY`, a parameter's
 * own name as its value, a flag's "true"), or a mask (`***`, `xxx`, `…`).
 */
const FILLED_IN = /\$[A-Za-z_{(]|\{\{|^%[A-Za-z_][A-Za-z0-9_]*%$/;
const BRACKETED = /^<.*>$|^\[.*\]$|^\{.*\}$/;
// `YOUR_API_KEY`, `your-token`, `yourpassword`: what documentation writes for the reader's own.
const YOURS = /^your[-_]?[a-z_-]*$/i;
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
  'true',
  'false',
  'null',
  'none',
  'undefined',
  ...CREDENTIAL_PARAMS,
]);

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Whether a credential as written (a URL's password or parameter, an HTTP header's value) stands for
 * one rather than is one: the one test of references, placeholders and masks, as written and decoded.
 */
export function isPlaceholderCredential(raw: string): boolean {
  return [raw, decoded(raw)].some(
    (p) =>
      p === '' || FILLED_IN.test(p) || REFERENCE_INSIDE.test(p) || BRACKETED.test(p) || MASK.test(p) || YOURS.test(p) || PLACEHOLDER_WORDS.has(p.toLowerCase()),
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

/** The first of `chars` in [from, to), or `to`. Bounded, unlike indexOf, so no candidate reads past its window. */
function indexOfAny(text: string, chars: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (chars.includes(text[i]!)) return i;
  return to;
}

function lastIndexOfIn(text: string, char: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (text[i] === char) return i;
  return -1;
}

interface Authority {
  /** Where the host ends: a query and a fragment are looked for from here. */
  end: number;
  /** The host (with its port), or null when the URL parser finds none. */
  host: string | null;
  /** Whether a userinfo stands before the host, with a password or not. */
  hasUserinfo: boolean;
  /** The userinfo and its password as written, when the password is one (not a placeholder). */
  secret: { userinfo: string; password: string } | null;
}

function userinfoSecret(userinfo: string, password: string): Authority['secret'] {
  return isPlaceholderCredential(password) ? null : { userinfo, password };
}

/**
 * The authority in [from, to) as the WHATWG parser reads it, when it has a userinfo; undefined when
 * it has none or the parser refuses it, and the looser reading may try.
 */
function parsedAuthority(scheme: string, text: string, from: number, to: number): Authority | undefined {
  const end = indexOfAny(text, ENDS_AUTHORITY, from, to);
  const at = lastIndexOfIn(text, '@', from, end);
  if (at === -1) return undefined;
  let url: URL;
  try {
    url = new URL(`${scheme}://${text.slice(from, at + 1)}${firstHost(text.slice(at + 1, end))}`);
  } catch {
    return undefined;
  }
  const host = url.hostname === '' ? null : url.host;
  // `user@host` and `user:@host`: a name and no password.
  if (url.password === '' || host === null) return { end, host, hasUserinfo: true, secret: null };
  const password = text.slice(indexOfAny(text, ':', from, at) + 1, at);
  return { end, host, hasUserinfo: true, secret: userinfoSecret(text.slice(from, at), password) };
}

/** The authority of a password holding "/", "?" or "#", which the parser reads as the start of a path. */
function looseAuthority(scheme: string, text: string, from: number, to: number): Authority | null {
  const colon = indexOfAny(text, `:@${ENDS_AUTHORITY}`, from, to);
  if (text[colon] !== ':' || colon === to) return null;
  // `host:8080/@name` is a port and a path, not a password.
  if (/^[0-9]*$/.test(text.slice(colon + 1, indexOfAny(text, ENDS_AUTHORITY, colon + 1, to)))) return null;
  let at = colon;
  for (let tries = 0; tries < MAX_AT_TRIES; tries++) {
    at = indexOfAny(text, '@', at + 1, to);
    if (at === to) return null;
    const end = indexOfAny(text, `@${ENDS_AUTHORITY}`, at + 1, to);
    const host = hostOf(scheme, firstHost(text.slice(at + 1, end)));
    if (host === null) continue;
    return { end, host, hasUserinfo: true, secret: userinfoSecret(text.slice(from, at), text.slice(colon + 1, at)) };
  }
  return null;
}

/** The authority in [from, to) of a URL whose query or fragment alone holds a credential: only its host is wanted, for the hint. */
function plainAuthority(scheme: string, text: string, from: number, to: number): Authority {
  const end = indexOfAny(text, ENDS_AUTHORITY, from, to);
  const at = lastIndexOfIn(text, '@', from, end);
  return { end, host: hostOf(scheme, firstHost(text.slice(at === -1 ? from : at + 1, end))), hasUserinfo: at !== -1, secret: null };
}

/**
 * The values of the credential parameters (`name=value`, separated by "&") in [from, end). When
 * `end` is where another URL's "://" starts (`cut`), the last value runs into that URL
 * (`?token=keyhold://…`): it is left to be judged as that URL.
 */
function paramCredentials(text: string, from: number, end: number, cut: boolean): string[] {
  const values: string[] = [];
  for (let param = from; param < end;) {
    const amp = indexOfAny(text, '&', param, end);
    const eq = indexOfAny(text, '=', param, amp);
    if (eq < amp && !(cut && amp === end) && eq - param <= MAX_PARAM_NAME && CREDENTIAL_PARAMS.has(formDecoded(text.slice(param, eq)).toLowerCase())) {
      const value = text.slice(eq + 1, amp);
      if (!isPlaceholderCredential(value) && !isPlaceholderCredential(formDecoded(value))) values.push(value);
    }
    param = amp + 1;
  }
  return values;
}

/**
 * The values of the credential parameters of the query and of the fragment of the URL whose path
 * starts at or after `from`, up to `to`: the query from the first "?" to the first "#", the
 * fragment from that "#" on (a "?" in it is the fragment's), each read as `name=value` pairs; of a
 * fragment that is a route (`#/path?…`, `#!/path?…`), the pairs after its own "?".
 */
function queryCredentials(text: string, from: number, to: number, cut: boolean): string[] {
  const first = indexOfAny(text, '?#', from, to);
  if (first === to) return [];
  const hash = text[first] === '#' ? first : indexOfAny(text, '#', first + 1, to);
  const query = text[first] === '?' ? paramCredentials(text, first + 1, hash, cut && hash === to) : [];
  if (hash === to) return query;
  // A single-page app's hash route carries its own query: `#/callback?access_token=X`, `#!/cb?token=X`.
  const path = text.startsWith('!/', hash + 1) ? hash + 2 : hash + 1;
  const route = path < to && text[path] === '/' ? indexOfAny(text, '?', path + 1, to) : to;
  return [...query, ...paramCredentials(text, route === to ? hash + 1 : route + 1, to, cut)];
}

/** A query's value as URLSearchParams reads it: "+" is a space. */
const formDecoded = (raw: string): string => decoded(raw.replace(/\+/g, ' '));

interface Credentials {
  password: string | null;
  parts: string[];
  hint: string;
}

/**
 * The credentials of the URL `scheme://…` whose authority starts at `from`: `to` bounds the
 * userinfo and host, `urlEnd` the query and fragment (`cut`: another URL's "://" starts there).
 * Null when it holds none.
 */
function credentialsOf(scheme: string, text: string, from: number, to: number, urlEnd: number, cut: boolean): Credentials | null {
  const parsed = parsedAuthority(scheme, text, from, to);
  const withUserinfo = parsed === undefined ? looseAuthority(scheme, text, from, to) : parsed;
  const params = queryCredentials(text, withUserinfo?.end ?? indexOfAny(text, ENDS_AUTHORITY, from, to), urlEnd, cut);
  if ((withUserinfo === null || withUserinfo.secret === null) && params.length === 0) return null;
  // Read only now: most URLs hold no credential, and the parser is the costly part.
  const authority = withUserinfo ?? plainAuthority(scheme, text, from, to);
  const { secret, host } = authority;
  if (host === null) return null;
  const parts = params.flatMap((v) => [v, decoded(v), formDecoded(v)]);
  if (secret !== null) {
    parts.unshift(secret.userinfo, decoded(secret.userinfo));
    // A password that is its user name (postgres:postgres, a local default) is no secret on its own:
    // concealing it alone would mask the user name, and the word, wherever output says them.
    const user = secret.userinfo.endsWith(`:${secret.password}`) ? secret.userinfo.slice(0, -secret.password.length - 1) : null;
    if (user === null || decoded(user) !== decoded(secret.password)) parts.unshift(secret.password, decoded(secret.password));
  }
  const shown = host.length > MAX_HINT_HOST ? `${host.slice(0, MAX_HINT_HOST)}…` : host;
  return {
    password: secret?.password ?? null,
    parts,
    hint: `${scheme.toLowerCase()}://${authority.hasUserinfo ? '…@' : ''}${shown}`,
  };
}

/**
 * Every URL in `text` with a password in its userinfo or a credential parameter in its query or fragment that
 * is not a placeholder or reference. A URL written inside another (`?next=https://…`) adds its
 * credentials to the one around it, which is reported whole.
 */
export function findUrlPasswords(text: string, context: UrlContext): UrlPassword[] {
  const ends = context === 'text' ? ENDS_IN_TEXT : ENDS_IN_VALUE;
  const found: UrlPassword[] = [];
  const partsOf: Set<string>[] = [];
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
    // Neither the userinfo nor the query or fragment of one URL reads past the next "://", so no two windows overlap.
    const urlEnd = Math.min(stretchEnd, next === -1 ? Infinity : next);
    const url = credentialsOf(scheme, text, from, Math.min(urlEnd, from + MAX_AUTHORITY), urlEnd, urlEnd === next);
    if (url === null) continue;
    if (found.at(-1)?.end === stretchEnd) {
      for (const part of url.parts) partsOf.at(-1)!.add(part);
    } else {
      found.push({ start, end: stretchEnd, password: url.password, parts: [], hint: url.hint });
      partsOf.push(new Set(url.parts));
    }
  }
  return found.map((url, i) => ({ ...url, parts: [...partsOf[i]!] }));
}

/**
 * Of each URL with a credential in a value, the credentials as written and decoded (`parts`): each
 * is concealed on its own besides the value, as a program may print it without the rest.
 */
export function urlCredentialParts(value: string): string[] {
  return [...new Set(findUrlPasswords(value, 'value').flatMap((u) => u.parts))];
}
