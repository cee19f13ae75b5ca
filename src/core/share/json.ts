import { KeyholdError } from '../../shared/errors';

// The signature covers a canonical serialisation, so signer and verifier must agree on the bytes
// without agreeing on whitespace or member order. This is RFC 8785 (JCS) restricted to what a
// bundle can hold: strings, booleans, null, safe integers, arrays and objects. JCS writes strings
// and integers exactly as JSON.stringify does and differs from it only in member order, so the
// value is handed to the native serializer with its members in order: a 10,000-profile bundle is
// signed and verified in one go, and serializing it member by member in JavaScript took about
// eight times as long as JSON.stringify. Whatever is already in order is serialized as it is; only
// objects whose members are out of order, and those holding them, are copied.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(inOrder(value));
}

/** The value itself if its members are in canonical order all the way down, else a copy that is. */
function inOrder(value: unknown): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new KeyholdError('Internal', 'A bundle may hold only whole numbers.');
    return value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const ordered = inOrder(item);
      if (out !== null) out[i] = ordered;
      else if (ordered !== item) {
        out = value.slice(0, i);
        out[i] = ordered;
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return membersInOrder(record) ? withOrderedValues(record) : sortedCopy(record);
  }
  throw new KeyholdError('Internal', 'A bundle may hold only JSON values.');
}

/**
 * Whether a plain object's own members already come in canonical order. Default string comparison
 * is by UTF-16 code units, exactly JCS's member order. An inherited enumerable member (a changed
 * Object.prototype) or another prototype sends the object to sortedCopy, which reads own members only.
 */
function membersInOrder(record: Record<string, unknown>): boolean {
  if (Object.getPrototypeOf(record) !== Object.prototype) return false;
  let previous: string | null = null;
  for (const name in record) {
    if (!Object.hasOwn(record, name) || (previous !== null && !(previous < name))) return false;
    previous = name;
  }
  return true;
}

/** An object whose members are in order: itself if its values are too, else a copy with ordered values. */
function withOrderedValues(record: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const name in record) {
    const v = record[name];
    const ordered = v === undefined ? undefined : inOrder(v);
    if (out === null && ordered !== v) {
      // The members before this one are unchanged: copy them as they are.
      out = {};
      for (const before in record) {
        if (before === name) break;
        setMember(out, before, record[before]);
      }
    }
    if (out !== null) setMember(out, name, ordered);
  }
  return out ?? record;
}

// The member names sortedCopy saw last, and their order: a bundle's profiles mostly repeat the same
// names in the same order, and sorting them anew for each one took most of the copy's time.
let lastNames: string[] = [];
let lastOrder: string[] = [];

function sortedCopy(record: Record<string, unknown>): Record<string, unknown> {
  const names = Object.keys(record);
  let same = names.length === lastNames.length;
  for (let i = 0; same && i < names.length; i++) same = names[i] === lastNames[i];
  if (!same) {
    lastNames = names;
    lastOrder = [...names].sort();
  }
  const order = lastOrder;
  const out: Record<string, unknown> = {};
  for (const name of order) setMember(out, name, inOrder(record[name]));
  return out;
}

function setMember(out: Record<string, unknown>, name: string, value: unknown): void {
  // JSON.stringify leaves out undefined members; so does the copy.
  if (value === undefined) return;
  // An own "__proto__" member is data; plain assignment would set the copy's prototype instead.
  if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses bundle plaintext as I-JSON (RFC 7493): UTF-8 without a byte order mark, and no object
 * with two members of the same name. Duplicates matter because two readers that keep different
 * copies would see different contents under one valid signature.
 */
export function parseStrictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new KeyholdError('BundleInvalid', 'The bundle is not valid UTF-8 text.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyholdError('BundleInvalid', 'The bundle is not valid JSON.');
  }
  const problem = memberNameProblem(text, value);
  if (problem) throw new KeyholdError('BundleInvalid', problem);
  return value;
}

// Runs only on text JSON.parse accepted. JSON.parse keeps one member per name, so an object that
// repeats a name has fewer members once parsed than names in the text: comparing the two counts
// finds a repeat without keeping a set of names per object. In accepted JSON, a string followed by
// ":" is a member name and every member name is one, so the text needs no parsing, only its strings.
function memberNameProblem(text: string, value: unknown): string | null {
  const parsed = parsedMembers(value);
  if (parsed === null) return 'The bundle uses the reserved field name "__proto__".';
  let names = 0;
  for (let open = text.indexOf('"'); open !== -1;) {
    let next = closingQuote(text, open) + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++next);
    if (c === 0x3a) names++;
    open = text.indexOf('"', next);
  }
  return names === parsed ? null : 'The bundle repeats a field name inside one object.';
}

/**
 * How many members the parsed objects hold in all; null if one is named "__proto__" (JSON.parse
 * keeps it as data). A loop with its own stack: JSON.parse accepts nesting far deeper than the
 * call stack, and a hostile file must get a clear refusal from the schema, not a crash here.
 */
function parsedMembers(value: unknown): number | null {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object') continue;
    if (Array.isArray(next)) {
      for (const item of next) if (item !== null && typeof item === 'object') pending.push(item);
      continue;
    }
    const record = next as Record<string, unknown>;
    for (const name in record) {
      if (name === '__proto__') return null;
      count++;
      const inner = record[name];
      if (inner !== null && typeof inner === 'object') pending.push(inner);
    }
  }
  return count;
}

function closingQuote(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q + 1;
  }
}
