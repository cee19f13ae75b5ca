import { KeyholdError } from '../../shared/errors';

// The signature covers a canonical serialisation, so signer and verifier must agree on the bytes
// without agreeing on whitespace or member order. This is RFC 8785 (JCS) restricted to what a
// bundle can hold: strings, booleans, null, safe integers, arrays and objects.
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new KeyholdError('Internal', 'A bundle may hold only whole numbers.');
    return String(value);
  }
  // Loops and concatenation rather than map/filter/join: a 10,000-profile bundle is signed and
  // verified in one go, and the intermediate arrays dominated the time.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is exactly JCS's member order.
    const keys = Object.keys(record).sort();
    let out = '{';
    let first = true;
    for (const k of keys) {
      const v = record[k];
      if (v === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
      first = false;
    }
    return `${out}}`;
  }
  throw new KeyholdError('Internal', 'A bundle may hold only JSON values.');
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
  const problem = memberNameProblem(text);
  if (problem) throw new KeyholdError('BundleInvalid', problem);
  return value;
}

// Runs only on text JSON.parse accepted, so it needs to track nesting and strings, not grammar.
function memberNameProblem(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = closingQuote(text, i);
      const top = stack.at(-1);
      if (expectName && top) {
        // Only a name with an escape needs decoding to compare it.
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (name === '__proto__') return 'The bundle uses the reserved field name "__proto__".';
        if (top.has(name)) return 'The bundle repeats a field name inside one object.';
        top.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b) {
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectName = stack.at(-1) != null;
    }
  }
  return null;
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
