import { authorizationParts } from './auth-header';
import { urlCredentialParts } from './url-password';

/*
 * The encoded forms a program commonly prints a secret in, so masking catches them as well as the
 * secret itself (GitHub Actions' runner masks the same families): base64 and base64url (as written
 * by Buffer, btoa, HTTP Basic auth), hex (lower and upper case), URL encoding (percent escapes
 * in either case, and the form encoding that writes a space as "+"), and the escapes of a quoted
 * string in JSON, Python and HTML. Base64 wrapped into lines (`base64` writes 76 columns) is not
 * among them: where the line breaks fall depends on what comes before the secret.
 *
 * Base64 inside a longer encoded text (say "Basic base64(user:secret)") depends on where the secret
 * starts within a 3-byte group, so each alignment gives its own form: the characters whose 6 bits
 * all come from the secret. The characters at either end, which mix in bytes before or after it,
 * are left out, so a form matches wherever the secret is in the encoded data.
 *
 * A form shorter than MIN_ENCODED_LENGTH characters is left out: it would match ordinary encoded
 * text by chance. Masking stays a guard against printing by accident, not a boundary: a program
 * can always print a secret in a form not listed here.
 */

export const MIN_ENCODED_LENGTH = 8;

function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // Character i holds bits [6i, 6i + 6); the secret holds bits [8 * shift, 8 * (shift + n)).
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    if (end > first) forms.push(encoded.slice(first, end));
  }
  return forms.flatMap((b64) => [b64, b64.replace(/\+/g, '-').replace(/\//g, '_')]);
}

const lowerEscapes = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());

function urlForms(secret: string): string[] {
  if (!secret.isWellFormed()) return [];
  const component = encodeURIComponent(secret);
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  return [component, encodeURI(secret), form].flatMap((f) => [f, lowerEscapes(f)]);
}

/**
 * A secret inside a quoted string of a program's output: JSON (JSON.stringify, and Python's
 * json.dumps, which writes every non-ASCII character as \uXXXX), Python's repr of its UTF-8 bytes
 * (b'p\xc3\xa4ss'), and HTML (a server's error page). A key that holds a line break, a quote or a
 * backslash (a PEM key, a service account's JSON) is never printed as itself inside JSON: Claude
 * Code hands `redact` its tool output as JSON, and output that was JSON already is escaped twice.
 */
function quotedForms(secret: string, bytes: Buffer): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const ascii = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const upper = ascii.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`);
  const py = (quote: string) =>
    [...bytes]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (c === '\\' || c === quote) return `\\${c}`;
        if (b >= 0x20 && b < 0x7f) return c;
        return { 9: '\\t', 10: '\\n', 13: '\\r' }[b] ?? `\\x${b.toString(16).padStart(2, '0')}`;
      })
      .join('');
  const html = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  // Escaped twice: JSON a tool printed, inside the JSON Claude Code hands a hook (`\\n` in a PEM key).
  const twice = JSON.stringify(json).slice(1, -1);
  return [json, twice, ascii, upper, py("'"), py('"'), html, html.replace(/'/g, '&#39;'), html.replace(/'/g, '&#x27;')];
}

/** The encoded forms of one secret, without the secret itself, each at least MIN_ENCODED_LENGTH long. */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const hex = bytes.toString('hex');
  const forms = new Set([...base64Forms(bytes), hex, hex.toUpperCase(), ...urlForms(secret), ...quotedForms(secret, bytes)]);
  forms.delete(secret);
  return [...forms].filter((f) => f.length >= MIN_ENCODED_LENGTH);
}

/**
 * The parts of a value that are secrets on their own, which a program may print without the rest:
 * of a URL with a credential in it (`DATABASE_URL=postgres://app:PW@db/shop`, `…?api_key=KEY`), the
 * password and the userinfo (`app:PW`, what an HTTP Basic header encodes) and each credential
 * parameter's value, as written and decoded (percent escapes; in a query "+" as a space too), by
 * url-password.ts, the scanner's own reading.
 * A driver's error names the password alone ("password authentication failed… PW"). And of an
 * Authorization value (`AUTH_HEADER=Bearer TOKEN`, as `mcp wrap` stores an mcp-remote header), the
 * credentials after the scheme, and Basic's decoded pair and password (auth-header.ts): a program
 * logs the token it sends without its scheme. Each part is concealed as a value is, its encoded
 * forms too, and only if it is as long as a value must be.
 */
export function secretParts(value: string): string[] {
  return [...urlCredentialParts(value), ...authorizationParts(value)].filter((part) => part !== value);
}
