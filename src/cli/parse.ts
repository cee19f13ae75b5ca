import { KeyholdError } from '../shared/keyhold-error';
import { cleanField, readStdinSecret, sayErr } from './io';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The values of `--set-stdin` keys. One key takes all of standard input (a PEM key may span lines);
 * several take one line each, in the order the flags were given, and the line count must match.
 * An empty value is refused: a blank secret is never what was meant.
 */
function stdinValues(keys: readonly string[]): string[] {
  if (new Set(keys).size !== keys.length) throw new KeyholdError('BadInput', 'A key is given to --set-stdin twice.');
  const what = keys.length === 1 ? `The value of ${keys[0]}` : `The values of ${keys.join(', ')}`;
  const text = readStdinSecret(what);
  const values = keys.length === 1 ? [text] : text.split(/\r?\n/);
  if (values.length !== keys.length) {
    throw new KeyholdError(
      'BadInput',
      `${keys.length} --set-stdin keys read one line each from standard input, but it holds ${values.length} line(s). Nothing was changed.`,
    );
  }
  const empty = keys.filter((_, i) => values[i] === '');
  if (empty.length > 0) {
    throw new KeyholdError('BadInput', `The value of ${empty.join(', ')} read from standard input is empty. Nothing was changed.`, { field: empty[0] });
  }
  return values;
}

/**
 * `--set KEY=VALUE` pairs (split at the first "=") plus the `--set-stdin KEY` flags (one or
 * several). An empty value from standard input is refused; one given with --set is stored, with a note.
 */
export function authDataFrom(sets: string[] = [], stdinKey?: string | readonly string[]): Record<string, string> {
  // No prototype: every name is the person's own ("toString" included), and "__proto__" stays a
  // member, for the vault to refuse by name.
  const data = Object.create(null) as Record<string, string>;
  for (const pair of sets) {
    const eq = pair.indexOf('=');
    // The argument is not echoed: it may be a secret typed without its key.
    if (eq <= 0) throw new KeyholdError('BadInput', '--set takes KEY=VALUE; one --set argument has no key or no "=".');
    const key = pair.slice(0, eq);
    if (Object.hasOwn(data, key)) throw new KeyholdError('BadInput', `Key "${key}" is given twice.`);
    // `--set API_KEY=$API_KEY` with the variable unset stores a blank secret: said, as it may be meant.
    if (eq === pair.length - 1) sayErr(`keyhold: note: --set ${cleanField(key)}= stores an empty value (an unset shell variable?).\n`);
    data[key] = pair.slice(eq + 1);
  }
  const stdinKeys = stdinKey === undefined ? [] : typeof stdinKey === 'string' ? [stdinKey] : stdinKey;
  const twice = stdinKeys.find((key) => Object.hasOwn(data, key));
  if (twice !== undefined) throw new KeyholdError('BadInput', `Key "${twice}" is given twice.`);
  if (stdinKeys.length > 0) stdinValues(stdinKeys).forEach((value, i) => (data[stdinKeys[i]!] = value));
  return data;
}

/**
 * A whole number typed on the command line, from `min` to `max` (at most 2^53 - 1), or a BadInput
 * error with `problem`. Decimal digits only: JavaScript's Number() also reads " 7", "0x10" and
 * "1e3", and a number of 17 digits or more loses its last ones (which once reached SQLite as a
 * float and failed inside Keyhold).
 */
export function wholeNumber(text: string, min: number, max: number, problem: string): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min && n <= Math.min(max, Number.MAX_SAFE_INTEGER))) throw new KeyholdError('BadInput', problem);
  return n;
}

/** A number of seconds above 0, fractions allowed (`--timeout 0.5`); decimal notation only. */
export function parseSeconds(text: string, option: string): number {
  const n = /^\d{1,9}(?:\.\d{1,3})?$/.test(text) ? Number(text) : 0;
  if (!(n > 0)) throw new KeyholdError('BadInput', `${option} is a number of seconds above 0 (at most 3 decimals), not ${shown(text)}.`);
  return n;
}

/** What a person typed, quoted and cut short for a message. */
const shown = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

export const parseVersion = (text: string): number =>
  wholeNumber(text, 1, Number.MAX_SAFE_INTEGER, `VERSION must be a positive whole number, not ${shown(text)}.`);

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A YYYY-MM-DD date that is on the calendar, as midnight UTC. Date.parse takes any day from 1 to 31
 * in any month and rolls it over: "2026-02-30" became 2 March, stored as a date no one gave.
 */
function calendarDate(text: string, option: string): number {
  const at = Date.parse(text);
  if (!Number.isFinite(at) || new Date(at).toISOString().slice(0, 10) !== text) {
    throw new KeyholdError('BadInput', `${option}: ${text} is not a date.`);
  }
  return at;
}

/** `--expires YYYY-MM-DD|never` and `--rotate-days N|never`: undefined keeps, null clears. */
export function expiryFrom(opts: { expires?: string; rotateDays?: string }): { expiresAt?: number | null; rotateDays?: number | null } {
  if (opts.expires === undefined && opts.rotateDays === undefined) throw new KeyholdError('BadInput', 'Give --expires DATE and/or --rotate-days N.');
  const out: { expiresAt?: number | null; rotateDays?: number | null } = {};
  if (opts.expires !== undefined) {
    if (opts.expires === 'never') out.expiresAt = null;
    else if (/^\d{4}-\d{2}-\d{2}$/.test(opts.expires)) out.expiresAt = calendarDate(opts.expires, '--expires');
    else throw new KeyholdError('BadInput', `--expires takes a date as YYYY-MM-DD (or "never"), not ${shown(opts.expires)}.`);
  }
  if (opts.rotateDays !== undefined) {
    if (opts.rotateDays === 'never') out.rotateDays = null;
    // The range is the vault's rule, checked there.
    else out.rotateDays = wholeNumber(opts.rotateDays, 0, Number.MAX_SAFE_INTEGER, '--rotate-days takes a whole number of days (or "never").');
  }
  return out;
}

/**
 * A word as a POSIX shell reads it back unchanged: as it is when it holds only characters no shell
 * treats specially, else in single quotes (a quote inside written '\\''). For commands Keyhold
 * suggests with names that came from a file (a server name can hold "$(…)").
 */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
