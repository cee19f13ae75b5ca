import { KeyholdError } from '../../shared/errors';

/*
 * How deep a JSON or TOML config may nest, measured on its text before any parser sees it. The
 * parsers (jsonc-parser, toml-patch) and the walks over what they return go one call deeper per
 * level, and toml-patch's conversion to values costs the square of a dotted key's length: a
 * 200 KB `a.a.a…a = 1` took the process past its heap and killed it (a fatal error, not an
 * exception), 2,000 nested lists of strings took a scan 13 s, and a one-line JSON file nested 100
 * levels broke jsonc-parser's formatter in `mcp wrap`. No config nests so deep; YAML ones are
 * refused at the same depth (agents/yaml.ts).
 */

/** Levels of nesting a JSON or TOML config may have: a value inside this many arrays, objects or tables is past it. */
export const MAX_CONFIG_DEPTH = 100;

const [QUOTE, APOSTROPHE, BACKSLASH, SLASH, STAR, HASH, DOT, COMMA] = [0x22, 0x27, 0x5c, 0x2f, 0x2a, 0x23, 0x2e, 0x2c];
const [LF, CR, SPACE, TAB, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [0x0a, 0x0d, 0x20, 0x09, 0x5b, 0x5d, 0x7b, 0x7d];

/**
 * Where a TOML string that opens before `from` ends: its closing quote, or the line break that
 * ends it as toml-patch sees it. `escapes(c)` says which characters a backslash takes with it.
 * Never later than the parser's end, so no bracket of the file is taken for text.
 */
function tomlStringEnd(text: string, from: number, quote: number, escapes: (c: number) => boolean): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === quote || c === LF || c === CR) return i;
    if (c === BACKSLASH && escapes(text.charCodeAt(i + 1))) i++;
  }
  return text.length;
}

const tomlEscaped = (next: number): boolean => next === QUOTE || next === BACKSLASH;
const noneEscaped = (): boolean => false;

const lineEnd = (text: string, from: number): number => {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) return i;
  }
  return text.length;
};

/** Whether the character at `i` follows an odd run of backslashes, which takes it into a string. */
function escaped(text: string, i: number): boolean {
  let run = 0;
  while (text.charCodeAt(i - 1 - run) === BACKSLASH) run++;
  return run % 2 === 1;
}

/**
 * Whether a JSON (or JSONC) text nests past MAX_CONFIG_DEPTH: its arrays and objects open at
 * once, outside strings and comments, counted in one pass without recursion. Read as jsonc-parser
 * reads it: a string ends at its closing quote or at a line break, whichever comes first, and a
 * backslash takes any character with it. A ~/.claude.json is mostly strings, passed over with
 * indexOf: 17 MB in about 25 ms, a tenth of reading its values.
 */
export function jsonTooDeep(text: string, limit = MAX_CONFIG_DEPTH): boolean {
  const n = text.length;
  // The next line feed and carriage return, each found again only once passed.
  let [lf, cr] = [-2, -2];
  const lineBreak = (from: number): number => {
    if (lf !== -1 && lf < from) lf = text.indexOf('\n', from);
    if (cr !== -1 && cr < from) cr = text.indexOf('\r', from);
    return Math.min(lf === -1 ? n : lf, cr === -1 ? n : cr);
  };
  const stringEnd = (from: number): number => {
    for (;;) {
      const quote = text.indexOf('"', from);
      const end = Math.min(quote === -1 ? n : quote, lineBreak(from));
      if (end === n || !escaped(text, end)) return end;
      from = end + 1;
    }
  };
  let depth = 0;
  let at = 0;
  // From one string to the next: the characters between them, then the string.
  between: while (at < n) {
    const quote = text.indexOf('"', at);
    const next = quote === -1 ? n : quote;
    for (let i = at; i < next; i++) {
      const c = text.charCodeAt(i);
      if (c <= SPACE) continue;
      if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        if (++depth >= limit) return true;
      } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
        if (depth > 0) depth--;
      } else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
        at = lineBreak(i) + 1;
        continue between;
      } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
        const end = text.indexOf('*/', i + 2);
        at = end === -1 ? n : end + 2;
        continue between;
      }
    }
    at = next === n ? n : stringEnd(next + 1) + 1;
  }
  return false;
}

/**
 * Whether a TOML text nests past MAX_CONFIG_DEPTH, counted in one pass without recursion: the
 * segments of the `[table]` or `[[list of tables]]` header in force, and at each point the inline
 * arrays and tables open and the segments of the dotted keys before them and of the key being
 * read (`a.b.c = 1` is three levels). Strings and comments as toml-patch reads them; a dot in a
 * value (`1.5`) counts too, which only errs on the deep side.
 */
export function tomlTooDeep(text: string, limit = MAX_CONFIG_DEPTH): boolean {
  let table = 0; // levels of the header in force
  const open: number[] = []; // each open bracket: the levels it adds (itself and the key before it)
  let within = 0; // the sum of `open`
  let dots = 0; // dots of the key (or value) being read at this level
  let header = false; // a header is being read; `table` becomes its deepest point when it closes
  let peak = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      if (open.length === 0) dots = 0;
      lineStart = true;
      continue;
    }
    if (c === SPACE || c === TAB || c === CR) continue;
    const first = lineStart;
    lineStart = false;
    if (c === HASH) i = lineEnd(text, i) - 1;
    else if (c === QUOTE || c === APOSTROPHE) {
      const quote = String.fromCharCode(c).repeat(3);
      if (text.startsWith(quote, i)) {
        // A multi-line string ends at the first three quotes, and takes up to two more with it.
        const end = text.indexOf(quote, i + 3);
        if (end === -1) return false;
        let last = end + 2;
        while (last + 1 < text.length && last - end < 4 && text.charCodeAt(last + 1) === c) last++;
        i = last;
      } else {
        i = tomlStringEnd(text, i + 1, c, c === QUOTE ? tomlEscaped : noneEscaped);
      }
    } else if (c === DOT) dots++;
    else if (c === COMMA) dots = 0;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (first && open.length === 0 && c === OPEN_BRACKET) [header, table, peak] = [true, 0, 0];
      open.push(dots + 1);
      within += dots + 1;
      dots = 0;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && open.length > 0) {
      within -= open.pop()!;
      dots = 0;
      if (header && open.length === 0) [header, table] = [false, peak];
    }
    // The document is a table itself: `a = 1` is one level, as `{"a": 1}` is in JSON.
    if (header) peak = Math.max(peak, within + dots);
    if (1 + table + within + dots >= limit) return true;
  }
  return false;
}

/**
 * A backstop for the walks over a parsed config: a RangeError (the call stack overflowed) gets
 * `tooDeep()` instead. The texts are measured first (jsonTooDeep, tomlTooDeep), so none should
 * nest deep enough for it.
 */
export function boundedByStack<T>(read: () => T, tooDeep: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError) return tooDeep();
    throw e;
  }
}

/** The refusal for a file nested past MAX_CONFIG_DEPTH (or the stack): what it is, and that nothing was changed. */
export const nestedTooDeeply = (what: string): KeyholdError =>
  new KeyholdError('BadInput', `${what} nests its values more than ${MAX_CONFIG_DEPTH} levels deep, past what Keyhold reads as a config. Nothing was changed.`);
