import { KeyholdError } from '../../shared/errors';

/*
 * Secret references, in the spirit of `op://vault/item/field`:
 *
 *   reference   = "keyhold://" ( profile-ref / token-ref / byok-ref )
 *   profile-ref = "profile/" segment "/" segment "/" segment    ; agent id / profile name / key
 *   token-ref   = "token/" segment "/" segment                 ; agent id / profile name: its Kura auth token
 *   byok-ref    = "byok/" segment                              ; agent kind
 *   segment     = 1*( unreserved / pct-encoded )
 *   unreserved  = ALPHA / DIGIT / "-" / "." / "_" / "~"         ; RFC 3986
 *   pct-encoded = "%" HEXDIG HEXDIG                             ; bytes of UTF-8
 *
 * Any other character of an agent id, profile name, key or kind (including "/", space, "%" and
 * non-ASCII letters) is written as the percent-encoded bytes of its UTF-8 form; `formatReference`
 * does this. The scheme and the words "profile", "token" and "byok" are lowercase.
 *
 * In a template a reference ends at the first character outside the grammar, so it may be written
 * bare (`KEY=keyhold://byok/openai`) or, to set it against text that would otherwise continue it,
 * inside double braces, spaces allowed: `{{ keyhold://byok/openai }}`; the braces are replaced too.
 * Every "keyhold://" in a template must start a valid reference: a malformed one is an error
 * rather than text left in the output.
 */

export type KeyholdReference =
  { type: 'profile'; agentId: string; name: string; key: string } | { type: 'token'; agentId: string; name: string } | { type: 'byok'; kind: string };

export interface FoundReference {
  ref: KeyholdReference;
  /** The reference as written, without braces: safe to show, it holds no secret. */
  text: string;
  /** Where the replaced text (braces included, if any) starts and ends in the template. */
  start: number;
  end: number;
}

const SCHEME = 'keyhold://';
const REFERENCE = /\{\{[ \t]*(keyhold:\/\/[A-Za-z0-9\-._~%/]*)[ \t]*\}\}|keyhold:\/\/[A-Za-z0-9\-._~%/]*/g;
const SEGMENT = /^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

const MAX_SHOWN = 200;
const shown = (text: string): string => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);

function malformed(text: string, why: string): KeyholdError {
  return new KeyholdError('BadInput', `Malformed reference ${shown(text)}: ${why}`);
}

function decodeSegment(segment: string, text: string): string {
  if (!SEGMENT.test(segment)) {
    throw malformed(text, 'each part must be letters, digits, "-", ".", "_", "~" or %XX escapes.');
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    throw malformed(text, 'a %XX escape does not spell valid UTF-8.');
  }
}

/** Parses one reference, e.g. `keyhold://profile/agent-1/default/API_KEY` or `keyhold://byok/openai`. */
export function parseReference(text: string): KeyholdReference {
  if (!text.startsWith(SCHEME)) throw malformed(text, `it must start with ${SCHEME}.`);
  const [type, ...segments] = text.slice(SCHEME.length).split('/');
  if (type === 'profile' && segments.length === 3) {
    const [agentId, name, key] = segments.map((s) => decodeSegment(s, text)) as [string, string, string];
    return { type: 'profile', agentId, name, key };
  }
  if (type === 'token' && segments.length === 2) {
    const [agentId, name] = segments.map((s) => decodeSegment(s, text)) as [string, string];
    return { type: 'token', agentId, name };
  }
  if (type === 'byok' && segments.length === 1) {
    return { type: 'byok', kind: decodeSegment(segments[0]!, text) };
  }
  throw malformed(text, `expected ${SCHEME}profile/AGENT_ID/NAME/KEY, ${SCHEME}token/AGENT_ID/NAME or ${SCHEME}byok/KIND.`);
}

function encodeSegment(value: string): string {
  let out = '';
  for (const char of value) {
    if (UNRESERVED.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The canonical text of a reference; `parseReference` reads it back to the same reference. */
export function formatReference(ref: KeyholdReference): string {
  const parts = ref.type === 'profile' ? [ref.agentId, ref.name, ref.key] : ref.type === 'token' ? [ref.agentId, ref.name] : [ref.kind];
  if (parts.some((p) => p.length === 0)) {
    throw new KeyholdError('BadInput', 'A reference cannot name an empty agent id, profile name, key or kind.');
  }
  if (parts.some((p) => !p.isWellFormed())) {
    throw new KeyholdError('BadInput', 'A reference can only name valid Unicode text.');
  }
  return `${SCHEME}${ref.type}/${parts.map(encodeSegment).join('/')}`;
}

/** Every reference in the template, in order, duplicates included. */
export function findReferences(template: string): FoundReference[] {
  const found: FoundReference[] = [];
  for (const match of template.matchAll(REFERENCE)) {
    const text = match[1] ?? match[0];
    found.push({ ref: parseReference(text), text, start: match.index, end: match.index + match[0].length });
  }
  return found;
}

/**
 * Replaces every reference with its value, in one pass: a value that itself contains
 * "keyhold://" is written as it is, never resolved again.
 */
export function renderTemplate(template: string, resolve: (ref: KeyholdReference) => string | undefined): string {
  let out = '';
  let at = 0;
  for (const { ref, text, start, end } of findReferences(template)) {
    const value = resolve(ref);
    if (value === undefined) throw new KeyholdError('NotFound', `unknown reference ${shown(text)}`);
    out += template.slice(at, start) + value;
    at = end;
  }
  return out + template.slice(at);
}
