import { parse } from 'dotenv';
import { KeyholdError } from '../../shared/errors';
import { isReservedKey, RESERVED_KEY, RESERVED_KEY_MESSAGE } from '../../shared/text-rules';
import { assertEnvName, assertEnvValue } from './env-names';

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
 * A .env file has two kinds of reader, and what export-env writes must mean the same to both:
 * - dotenv 17 (lib/main.js, `LINE` and `parse`), which the promise "reads back exactly" is about:
 *   the file's CRLF and lone CR become LF before anything else, even inside quotes. Unquoted: up to
 *   `#` or the end of the line, trimmed. 'single' and "double": taken literally, across lines, up to
 *   the first quote of the kind without a backslash before it (a backslash before the quote lets
 *   the match run on, past the line); in "double", the two-character sequences \n and \r then
 *   become LF and CR.
 * - A POSIX shell, since `set -a; . ./.env` is the common way to load one. Unquoted, `$`, backticks,
 *   quotes, backslashes, blanks, `#`, `~`, `;`, `&`, `|`, `<`, `>`, `(` and globs all mean something.
 *   In 'single' quotes everything up to the next ' is literal, line breaks included. In "double",
 *   `$` expands, a backtick runs a command, and a backslash before `$`, a backtick, `"`, `\` or a
 *   line break is an escape; before anything else it is literal. A shell cannot hold a NUL.
 * So a value is written in the first of these forms that both read as exactly the value:
 * - bare, when it holds only characters literal everywhere (PLAIN);
 * - 'single', when it holds no ' and no CR and does not end with a backslash;
 * - "double", when it holds no ", $, backtick or CR, and each backslash is followed by a character
 *   neither reader treats specially after one (not n, r, \ or a line break, and not the end);
 * and otherwise refused by key, with why: no form the shell reads literally carries it exactly for
 * dotenv (notably a CR, which dotenv carries only as \r in double quotes, a shell's backslash-r).
 * One home for the rule: every .env writer goes through serializeDotenv. The text is also parsed
 * back before it is returned.
 */

// Characters that dotenv, dotenvx, docker compose and a POSIX shell all take literally unquoted
// (`=` only after the first, which is ours; `~` is not here, a shell expands it after `=` and `:`).
const PLAIN = /^[A-Za-z0-9_\-.,:/@+=%]*$/;

function singleQuoted(value: string): string | null {
  return value.includes("'") || value.includes('\r') || value.endsWith('\\') ? null : `'${value}'`;
}

// A backslash both readers keep as it is inside double quotes: followed by a character that is not
// n or r (dotenv), nor $, `, ", \ or a line break (the shell), and not the closing quote.
const DOUBLE_UNSAFE = /["$`\r]|\\(?:[nr\\\n]|$)/;

function doubleQuoted(value: string): string | null {
  return DOUBLE_UNSAFE.test(value) ? null : `"${value}"`;
}

/** The form dotenv and a POSIX shell both read as exactly `value`, or null. */
function encodeValue(value: string): string | null {
  if (PLAIN.test(value)) return value;
  return singleQuoted(value) ?? doubleQuoted(value);
}

/** Why no form carries `value` (one needing quotes, that neither quoting can hold), without showing it. */
function whyNoForm(value: string): string {
  if (value.includes('\r')) {
    return 'it holds a carriage return, which dotenv reads only as \\r inside double quotes, where a shell reads a backslash and an "r"';
  }
  if (!value.includes("'")) {
    return 'it ends with a backslash, which dotenv would read as escaping a closing single quote, and a shell as escaping a closing double quote';
  }
  const clash = value.includes('"')
    ? 'a double quote'
    : value.includes('$')
      ? 'a "$", which a shell expands inside double quotes'
      : value.includes('`')
        ? 'a backtick, which a shell runs as a command inside double quotes'
        : 'a backslash before n, r, another backslash, a line break or the end, which dotenv and a shell read differently inside double quotes';
  return `it holds a single quote, so only double quotes could hold it, and also ${clash}`;
}

function unrepresentable(key: string, why: string): KeyholdError {
  return new KeyholdError(
    'BadInput',
    `The value of ${key} cannot be written to a .env file: ${why}. A .env file is also loaded by shells ` +
      `(set -a; . ./.env), and no quoting that dotenv reads back exactly keeps a shell from reading this value ` +
      `differently or running part of it. Nothing was written. Pass it to the program with "keyhold run", ` +
      `or write it into a file of its own format with "keyhold inject".`,
    { field: key },
  );
}

/**
 * Writes a record as .env text that `parseDotenv` reads back to exactly the same record, and that a
 * POSIX shell sourcing it (`set -a; . ./.env`) reads as the same values without running anything.
 * Keys must be environment variable names; a value no form carries for both is refused by key.
 */
export function serializeDotenv(record: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    assertEnvName(key);
    if (isReservedKey(key)) throw new KeyholdError('BadInput', RESERVED_KEY_MESSAGE, { field: key });
    if (!value.isWellFormed()) {
      throw new KeyholdError('BadInput', `The value of ${key} is not valid Unicode text.`, { field: key });
    }
    assertEnvValue(key, value);
    const written = encodeValue(value);
    if (written === null) throw unrepresentable(key, whyNoForm(value));
    lines.push(`${key}=${written}`);
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  // The rules above are a reading of dotenv's regular expressions; reading the text back is the proof.
  const back = parseDotenv(text);
  for (const [key, value] of Object.entries(record)) {
    if (back[key] !== value) throw new KeyholdError('Internal', `The .env text did not read back the value of ${key}.`, { field: key });
  }
  if (Object.keys(back).length !== lines.length) {
    throw new KeyholdError('Internal', 'The .env text did not read back with the same keys.');
  }
  return text;
}
