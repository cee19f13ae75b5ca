import { parse as parseToml, stringify as stringifyToml } from '@decimalturn/toml-patch';
import { parse as parseJsonc } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_CONFIG_DEPTH, tomlTooDeep } from '../../src/core/devflow/nesting';

// The depth of a JSON or TOML config, measured on its text before a parser recurses into it
// (src/core/devflow/nesting.ts). A bracket the parser reads must never be taken for text (a hostile
// file would hide its nesting so), and one inside a string or comment must not count.

/** How many arrays, objects and tables hold the deepest value (the document's own table counts). */
const levels = (v: unknown): number =>
  v !== null && typeof v === 'object' && !(v instanceof Date) ? 1 + Math.max(0, ...Object.values(v as object).map(levels)) : 0;

/** The depth a measure gives: the least limit it stays within. */
const measured = (tooDeep: (text: string, limit: number) => boolean, text: string): number => {
  let limit = 1;
  while (tooDeep(text, limit)) limit++;
  return limit - 1;
};

const nest = (open: string, inner: string, close: string, n: number) => `${open.repeat(n)}${inner}${close.repeat(n)}`;

describe('jsonTooDeep', () => {
  it('counts arrays and objects open at once, as a value past the limit has them', () => {
    expect(jsonTooDeep(nest('[', '1', ']', MAX_CONFIG_DEPTH - 1))).toBe(false);
    expect(jsonTooDeep(nest('[', '1', ']', MAX_CONFIG_DEPTH))).toBe(true);
    expect(jsonTooDeep(nest('{"a":', '1', '}', MAX_CONFIG_DEPTH))).toBe(true);
    expect(jsonTooDeep(`[${'[1],'.repeat(100_000)}1]`)).toBe(false); // wide, not deep
    expect(jsonTooDeep('['.repeat(1_000_000))).toBe(true); // never closed
  });

  it('measures what jsonc-parser reads, whatever strings and comments hold', () => {
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ['[', ']', '{', '}', '"', '\\', '\\"', '//', '/*', '*/', '\n', 'a'];
    const text = () => Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const value = (depth: number): unknown => (depth === 0 ? text() : random() < 0.5 ? [value(depth - 1), text()] : { [text()]: value(depth - 1), b: text() });
    for (let i = 0; i < 300; i++) {
      const json = JSON.stringify(value(Math.floor(random() * 12)), null, i % 2 === 0 ? 2 : undefined);
      const commented = `// [[[ "\n/* ]]] { " */ ${json} /* }}} */`;
      expect(measured(jsonTooDeep, commented), commented).toBe(levels(parseJsonc(commented)));
    }
  });

  it('counts the brackets after a string ended by a line break, or by a quote after an escaped backslash', () => {
    // jsonc-parser ends a string at a line break and reads on: `"x` + a line break + 150 `[` nests 150 levels.
    expect(jsonTooDeep(`{"a": "x\n${nest('[', '', ']', 150)}}`)).toBe(true);
    expect(jsonTooDeep(`{"a": "x\r${nest('[', '', ']', 150)}}`)).toBe(true);
    expect(jsonTooDeep(`{"a": "x\\\\", "b": ${nest('[', '', ']', 150)}}`)).toBe(true);
    // An escaped quote or line break is the string's own.
    expect(jsonTooDeep(`{"a": "x\\" ${nest('[', '', ']', 150)}"}`)).toBe(false);
    expect(jsonTooDeep(`{"a": "x\\\n${nest('[', '', ']', 150)}"}`)).toBe(false);
    expect(jsonTooDeep(`{"a": 1 // ${'['.repeat(150)}\n}`)).toBe(false);
    expect(jsonTooDeep(`{"a": 1 /* ${'['.repeat(150)} */ }`)).toBe(false);
    expect(jsonTooDeep(`{"a": 1 /* ${'['.repeat(150)}`)).toBe(false);
  });
});

describe('tomlTooDeep', () => {
  it('counts inline arrays and tables, headers and the segments of dotted keys', () => {
    const max = MAX_CONFIG_DEPTH;
    for (const [text, deep] of [
      [`x = ${nest('[', '1', ']', max - 2)}\n`, false],
      [`x = ${nest('[', '1', ']', max - 1)}\n`, true],
      [`x = ${nest('{a = ', '1', '}', max - 1)}\n`, true],
      [`${'a.'.repeat(max - 1)}b = 1\n`, true],
      [`${'a.'.repeat(max - 3)}b = 1\n`, false],
      [`[${'a.'.repeat(max - 2)}b]\nc = 1\n`, true],
      [`[[${'a.'.repeat(max - 3)}b]]\nc = 1\n`, true],
      [`[${'a.'.repeat(60)}b]\n[${'c.'.repeat(60)}d]\ne = 1\n`, false], // one header replaces the other
      [`x = [${'1.5, '.repeat(10_000)}1]\n`, false], // a value's dots are not levels one after another
    ] as const) {
      expect(tomlTooDeep(text), text.slice(0, 80)).toBe(deep);
    }
  });

  it('measures at least what toml-patch reads, whatever strings and comments hold', () => {
    let seed = 2;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ['[', ']', '{', '}', '"', "'", '\\', '#', '.', ',', '"""', "'''", '\n', 'a'];
    const text = () => Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const value = (depth: number): unknown =>
      depth === 0 ? text() : random() < 0.4 ? [value(depth - 1), text()] : { [text() || 'k']: value(depth - 1), [`b.${text()}`]: text() };
    for (let i = 0; i < 300; i++) {
      const toml = stringifyToml({ root: value(Math.floor(random() * 10)), [text() || 'k']: { c: value(3) } });
      const depth = measured(tomlTooDeep, toml);
      const read = levels(parseToml(toml));
      expect(depth, toml).toBeGreaterThanOrEqual(read);
      expect(depth, toml).toBeLessThanOrEqual(read + 1);
    }
  });

  it('counts the brackets after a string as toml-patch ends it', () => {
    const deep = nest('[', '1', ']', 150);
    expect(tomlTooDeep(`x = "a\\\\"\ny = ${deep}\n`)).toBe(true);
    expect(tomlTooDeep(`x = 'a\\'\ny = ${deep}\n`)).toBe(true); // no escapes in a literal string
    expect(tomlTooDeep(`x = """a""""\ny = ${deep}\n`)).toBe(true); // a multi-line string takes up to two quotes more
    expect(tomlTooDeep(`x = '''a\\'''\ny = ${deep}\n`)).toBe(true);
    expect(tomlTooDeep(`x = """a\\"""\ny = ${deep}\n`)).toBe(true); // no escape before three quotes
    // Brackets in strings and comments are no levels.
    expect(tomlTooDeep(`x = "${'['.repeat(150)}" # ${'{'.repeat(150)}\n`)).toBe(false);
    expect(tomlTooDeep(`x = """\n${'['.repeat(150)}\n"""\ny = '${'['.repeat(150)}'\n`)).toBe(false);
    expect(tomlTooDeep(`"${'a.'.repeat(150)}" = 1\n`)).toBe(false);
  });
});
