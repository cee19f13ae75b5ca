/*
 * The credentials of an HTTP `Authorization` header's value (RFC 9110 section 11.6.2): a scheme,
 * spaces, then the credentials. One reading for the scanner (agents/headers.ts judges a header's
 * credential by it) and for `run`'s masking (mask-forms.ts conceals the credential on its own,
 * since a program may print the token without its scheme).
 */

/** The schemes people write credentials after; one written alone (`"Authorization": "Bearer"`) holds none. */
const AUTH_SCHEMES = new Set(['bearer', 'basic', 'digest', 'token', 'negotiate', 'ntlm']);
// RFC 9110's credentials: auth-scheme 1*SP ( token68 / #auth-param ).
const SCHEME_AND_REST = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S[\s\S]*)$/;
// RFC 6750's credentials: "Bearer" (any case) 1*SP b64token, token68's alphabet.
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i;
// RFC 7617's: "Basic" 1*SP token68, the base64 of user-id ":" password.
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i;

/** What follows the scheme of `Scheme credentials`, trimmed; null when the value has no blank after a scheme-shaped word. */
export function schemeCredentials(value: string): string | null {
  const m = SCHEME_AND_REST.exec(value);
  return m ? m[2]!.trim() : null;
}

/** Whether the value is an authentication scheme's name alone, with no credentials. */
export const isSchemeOnly = (value: string): boolean => AUTH_SCHEMES.has(value.trim().toLowerCase());

/** The token of `Bearer TOKEN`, or undefined. */
export const bearerToken = (value: string): string | undefined => BEARER.exec(value)?.[1];

/**
 * The parts of an Authorization value that are secrets on their own: the credentials after a known
 * scheme (`Bearer TOKEN`, `token TOKEN`), and for `Basic` the decoded `user:password` and the
 * password. Nothing for a value that does not start with a known scheme ("hello world").
 */
export function authorizationParts(value: string): string[] {
  const m = SCHEME_AND_REST.exec(value);
  if (!m || !AUTH_SCHEMES.has(m[1]!.toLowerCase())) return [];
  const credentials = m[2]!.trim();
  const basic = BASIC.exec(value.trim())?.[1];
  if (basic === undefined) return [credentials];
  const decoded = Buffer.from(basic, 'base64');
  const userinfo = decoded.toString('utf8');
  // Only what decodes to text with a user and a password is Basic's pair; else the token stands alone.
  const colon = userinfo.indexOf(':');
  if (colon < 0 || !Buffer.from(userinfo, 'utf8').equals(decoded) || /[\p{Cc}]/u.test(userinfo)) return [credentials];
  return [credentials, userinfo, userinfo.slice(colon + 1)];
}
