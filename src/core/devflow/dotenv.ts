import { parse } from 'dotenv';
import { KeyholdError } from '../../shared/errors';
import { isReservedKey, RESERVED_KEY, RESERVED_KEY_MESSAGE } from '../../shared/text-rules';
import { assertEnvName } from './env-names';

/**
 * Reads a .env file exactly as the `dotenv` package does (lines it cannot read are skipped, as
 * there), except that a variable named "__proto__" is kept as an own member. dotenv assigns into a
 * plain object, where that name sets nothing and its value vanished without a word; kept, the vault
 * refuses it by name and a scan still finds its value.
 */
export function parseDotenv(text: string): Record<string, string> {
  if (!text.includes(RESERVED_KEY)) return parse(text);
  // dotenv reads the text with the name spelled as another run of word characters: one that is not
  // in the text and has no border (its first character appears nowhere else in it), so it occurs in
  // what dotenv returns exactly where the name stood. Keys, quotes, comments and line ends fall where
  // they did, and the name is put back in every key and value.
  let stand = '0_1';
  while (text.includes(stand)) stand = `${stand.slice(0, -1)}_1`;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parse(text.replaceAll(RESERVED_KEY, stand)))) {
    Object.defineProperty(out, key.replaceAll(stand, RESERVED_KEY), {
      value: value.replaceAll(stand, RESERVED_KEY),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

const KEY_LINE = /^(?:export\s+)?[\w.-]+\s*=/;
const QUOTES_AND_COMMENT = /^['"`]|['"`]\s*(?:#.*)?$/g;

/**
 * What a pasted .env text holds, read as `parseDotenv` reads a file (one reader for the CLI and
 * the window), and the 1-based lines it passed over: neither blank, a comment, a KEY= line nor
 * part of a value that spans lines.
 */
export function readDotenvText(text: string): { entries: { key: string; value: string }[]; skipped: number[] } {
  const entries = Object.entries(parseDotenv(text)).map(([key, value]) => ({ key, value }));
  const spanning = entries.filter((e) => e.value.includes('\n')).map((e) => e.value);
  const skipped = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .flatMap((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || KEY_LINE.test(line)) return [];
      const bare = line.replace(QUOTES_AND_COMMENT, '');
      return spanning.some((v) => v.includes(bare)) ? [] : [i + 1];
    });
  return { entries, skipped };
}

/*
 * How dotenv 17 reads a value (lib/main.js, `LINE` and `parse`), which decides how we write one:
 * - The file's CRLF and lone CR become LF before anything else, even inside quotes.
 * - Unquoted: everything up to `#` or the end of the line, then trimmed (JS whitespace, which
 *   includes NBSP, BOM, U+2028/2029). The quote-stripping step runs in multi-line mode, where
 *   U+2028/2029 also start a line, so an unquoted value with a quoted tail after one loses quotes.
 * - 'single' and `backtick`: taken literally, across lines. A backslash before the quote lets the
 *   match run past it, and stays in the value. The pattern is greedy: it runs on, across lines,
 *   up to the first quote with no backslash before it, then backs off to the last quote after which
 *   the line holds only blanks or a comment (its `$` also matches before U+2028/2029). So a quoted
 *   value may hold its quote only after a backslash, and may not end with a backslash: the closing
 *   quote would read as escaped and the match could end inside a later line.
 * - "double": as single quotes, then the two-character sequences \n and \r become LF and CR.
 *   There is no escape for a backslash, so a value holding a literal \n or \r cannot be written
 *   this way; in exchange it is the only form that can carry a CR.
 * A value no form carries exactly is refused rather than written differently; the text is also
 * parsed back before it is returned.
 */

type Quote = "'" | '"' | '`';

// Values that every .env reader (dotenv, dotenvx, docker compose, shells sourcing the file) takes
// literally without quotes: no whitespace, quotes, `#`, `$` expansion or backslash escapes.
const PLAIN = /^[A-Za-z0-9_\-.,:/@+=%]*$/;

// dotenv's quote-stripping step, which it runs on every value, unquoted ones included.
const STRIP_QUOTES = /^(['"`])([\s\S]*)\1$/gm;

const isQuote = (c: string | undefined): c is Quote => c === "'" || c === '"' || c === '`';

/** The first quote not preceded by a backslash, where dotenv's quoted pattern must stop; -1 if none. */
function bareQuoteIndex(body: string, quote: Quote, from = 0): number {
  for (let i = body.indexOf(quote, from); i !== -1; i = body.indexOf(quote, i + 1)) {
    if (body[i - 1] !== '\\') return i;
  }
  return -1;
}

const readDoubleQuoted = (body: string): string => body.replace(/\\n/g, '\n').replace(/\\r/g, '\r');

/** The text between the quotes, or null if this quote cannot carry the value. */
function quotedBody(value: string, quote: Quote): string | null {
  if (quote !== '"') return value.includes('\r') ? null : value;
  const body = value.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return readDoubleQuoted(body) === value ? body : null;
}

function quoted(value: string, quote: Quote): string | null {
  const body = quotedBody(value, quote);
  return body === null || body.endsWith('\\') || bareQuoteIndex(body, quote) !== -1 ? null : `${quote}${body}${quote}`;
}

/**
 * What dotenv reads from `text` written after `KEY=` without quoting of our own, or null if a
 * quoted pattern could claim it. A line that starts with a quote is still read as unquoted when
 * the quoted pattern fails: it is confined to the line by a bare quote inside, and no quote it
 * could close at is followed by the end of the line (which, for dotenv's `$` in multi-line mode,
 * U+2028 and U+2029 also are). The quotes are then stripped and, for ", \n and \r expanded.
 */
function readBare(text: string): string | null {
  if (/[#\r\n]/.test(text) || text !== text.trim()) return null;
  const first = text[0];
  if (isQuote(first)) {
    const bare = bareQuoteIndex(text, first, 1);
    if (bare === -1) return null;
    for (let i = text.indexOf(first, 1); i !== -1 && i <= bare; i = text.indexOf(first, i + 1)) {
      if (/^\s*(?:[\u2028\u2029]|$)/.test(text.slice(i + 1))) return null;
    }
  }
  const value = text.replace(STRIP_QUOTES, '$2');
  return first === '"' ? readDoubleQuoted(value) : value;
}

/** The first form dotenv reads back as exactly `value`, or null. */
function encodeValue(value: string): string | null {
  if (PLAIN.test(value)) return value;
  // Multi-line values (PEM keys) are conventionally written on one line in double quotes with \n.
  const order: readonly Quote[] = /[\r\n]/.test(value) ? ['"', "'", '`'] : ["'", '"', '`'];
  for (const quote of order) {
    const written = quoted(value, quote);
    if (written !== null) return written;
  }
  // The last resorts: the value bare, or wrapped in quotes of a kind it holds unescaped (the
  // quoted pattern then fails, and dotenv strips the outer quotes of the unquoted reading). This
  // carries e.g. a value holding all three kinds of quote and a line break.
  const bare = [value];
  for (const quote of order) {
    const body = quotedBody(value, quote);
    if (body !== null) bare.push(`${quote}${body}${quote}`);
  }
  return bare.find((text) => readBare(text) === value) ?? null;
}

function unrepresentable(key: string): KeyholdError {
  return new KeyholdError(
    'BadInput',
    `The value of ${key} cannot be written to a .env file so that it reads back unchanged: it needs quotes ` +
      '(a line break, "#", or spaces at an end), and its mix of quotes, backslashes and line breaks fits no ' +
      'form that dotenv reads back exactly.',
    { field: key },
  );
}

/**
 * Writes a record as .env text that `parseDotenv` reads back to exactly the same record. Keys must
 * be environment variable names; a value that no dotenv form carries exactly is refused by key.
 */
export function serializeDotenv(record: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    assertEnvName(key);
    if (isReservedKey(key)) throw new KeyholdError('BadInput', RESERVED_KEY_MESSAGE, { field: key });
    if (!value.isWellFormed()) {
      throw new KeyholdError('BadInput', `The value of ${key} is not valid Unicode text.`, { field: key });
    }
    const written = encodeValue(value);
    if (written === null) throw unrepresentable(key);
    lines.push(`${key}=${written}`);
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  // The rules above are a reading of dotenv's regular expressions; reading the text back is the proof.
  const back = parseDotenv(text);
  for (const [key, value] of Object.entries(record)) {
    if (back[key] !== value) throw unrepresentable(key);
  }
  if (Object.keys(back).length !== lines.length) {
    throw new KeyholdError('Internal', 'The .env text did not read back with the same keys.');
  }
  return text;
}
