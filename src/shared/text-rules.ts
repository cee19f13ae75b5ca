import { z } from 'zod';
import { INVISIBLE, LINE_REORDERING } from './text';

// The rules for text that comes from a person or a file: names, values, and the one member name
// JavaScript objects cannot hold. src/shared/domain.ts builds its schemas from these.

const encoder = new TextEncoder();

// UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair, two units, takes 4), so a
// string whose length alone keeps it within a limit is not encoded to measure it: bulk imports
// check tens of thousands of values, and encoding each was most of the time validation took.
export const fitsUtf8 = (s: string, maxBytes: number): boolean => s.length * 3 <= maxBytes || encoder.encode(s).length <= maxBytes;

// Strings that came from a person: well-formed Unicode (no lone surrogates, which would not
// survive a UTF-8 round trip), no NUL. One pass per string: validation runs on every bulk import.
export function textProblem(s: string, what: string, max: number | null): string | null {
  if (!s.isWellFormed()) return `${what} is not valid Unicode text.`;
  if (s.includes('\u0000')) return `${what} may not contain a NUL character.`;
  if (max !== null && s.length > max) return `${what} is longer than ${max} characters.`;
  return null;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// Characters that make a name read as another one, in the window as in a terminal: C1 controls,
// the bidi embeddings, overrides, isolates and marks (Trojan Source, CVE-2021-42574), line and
// paragraph separators, and the invisible ones (zero-width space, word joiner, byte order mark,
// soft hyphen). The joiners U+200C and U+200D stay allowed: scripts and emoji sequences need them.
const DECEPTIVE = new RegExp(`[\\u0080-\\u009f${INVISIBLE}${LINE_REORDERING}]`);
const codePoint = (c: string): string => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

export function labelProblem(s: string, what: string, max: number): string | null {
  const problem = textProblem(s, what, max);
  if (problem) return problem;
  const trimmed = s.trim();
  if (trimmed.length === 0) return `${what} may not be empty.`;
  if (s !== trimmed) return `${what} may not start or end with spaces.`;
  if (CONTROL.test(s)) return `${what} may not contain control characters.`;
  const deceptive = DECEPTIVE.exec(s);
  if (deceptive)
    return `${what} may not contain invisible or direction-changing characters (it holds ${codePoint(deceptive[0])}), which make a name read as another.`;
  return null;
}

/**
 * A credential that travels in a header or an environment variable (an API key, a Kura token):
 * 1 to `max` characters of valid Unicode, none of them white space or a control character. Built
 * from zod's own checks, so the bundle's JSON Schema carries the same limits.
 */
export const token = (what: string, max: number) =>
  z
    .string({ error: `${what} must be text.` })
    .min(1, { error: `${what} may not be empty.` })
    .max(max, { error: `${what} is longer than ${max} characters.` })
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\s\u0000-\u001f\u007f-\u009f]+$/, { error: `${what} may not contain spaces, line breaks or control characters.` })
    .refine((s) => s.isWellFormed(), { error: `${what} is not valid Unicode text.` });

export const checked = (what: string, problem: (s: string) => string | null) =>
  z.string({ error: `${what} must be text.` }).check((ctx) => {
    const message = problem(ctx.value);
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });

export const text = (what: string, max: number | null) => checked(what, (s) => textProblem(s, what, max));
/** A name people type and read back: trimmed, no control characters, at most `max` characters. */
export const label = (what: string, max: number) => checked(what, (s) => labelProblem(s, what, max));

// JSON, .env and config files keep a member named "__proto__" as data, but zod's object parsing
// (and plain assignment) leave it out: a credential of that name would vanish without a word.
export const RESERVED_KEY = '__proto__';
export const RESERVED_KEY_MESSAGE = 'Key name "__proto__" is reserved: JavaScript objects cannot hold a credential of that name.';
/** Whether a name is the one a credential may not have (files and programs that meet it choose another). */
export const isReservedKey = (name: string): boolean => name === RESERVED_KEY;

/**
 * The one credential name AuthData's parse cannot see (it leaves the member out), checked on the
 * raw object before parsing. Null when there is none.
 */
export function reservedKeyProblem(authData: unknown): string | null {
  return authData !== null && typeof authData === 'object' && Object.hasOwn(authData, RESERVED_KEY) ? RESERVED_KEY_MESSAGE : null;
}

/**
 * The same check at any depth of a raw value (an IPC payload, a parsed TOML file): null, or the
 * message. A loop with its own stack, so a deeply nested hostile value cannot overflow the call stack.
 */
export function reservedMemberProblem(value: unknown): string | null {
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object') continue;
    if (!Array.isArray(next) && Object.hasOwn(next, RESERVED_KEY)) return RESERVED_KEY_MESSAGE;
    for (const inner of Object.values(next)) if (inner !== null && typeof inner === 'object') pending.push(inner);
  }
  return null;
}
