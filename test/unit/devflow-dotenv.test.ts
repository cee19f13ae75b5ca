import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { parseDotenv, readDotenvText, serializeDotenv } from '../../src/core/devflow/dotenv';
import { KeyholdError } from '../../src/shared/errors';
import { refusal } from '../helpers/cleanup';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/env', name), 'utf8');

describe('parseDotenv on real-world files', () => {
  it('reads comments, export, spacing, empty values, inline comments and quotes', () => {
    expect(parseDotenv(fixture('app.env'))).toEqual({
      NODE_ENV: 'development',
      PORT: '3000',
      DATABASE_URL: 'postgres://app:s3cr3t@localhost:5432/app_dev?sslmode=disable',
      REDIS_URL: 'redis://localhost:6379/0',
      OPENAI_API_KEY: 'sk-proj-4f9KqLm2ZxT7bYw1',
      STRIPE_SECRET_KEY: 'sk_test_51HxYz#notacomment',
      SENDGRID_API_KEY: 'SG.abc123.def456#also-kept',
      // An unquoted `#` starts a comment even without a space before it.
      SLACK_WEBHOOK: 'https://hooks.slack.com/services/T000/B000/XXXX',
      SENTRY_DSN: '',
      FEATURE_FLAGS: '',
      EMPTY_SINGLE: '',
      INDENTED: 'yes',
      GREETING: 'Hello, world',
      PADDED: 'spaced out value',
      TEMPLATE: 'echo "it\'s"',
      DOLLAR: '$HOME/bin',
    });
  });

  it('reads multi-line and \\n-escaped private keys and JSON credentials', () => {
    expect(parseDotenv(fixture('keys.env'))).toEqual({
      JWT_PRIVATE_KEY:
        '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n' +
        'q0bE3vGmU8e+HtQm0Rk1y7n0e6bXo4M1z2o5Yx6pJ0r3tYwQk9Lx\n-----END PRIVATE KEY-----',
      JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1L7V\n-----END PUBLIC KEY-----\n',
      // Single quotes keep the JSON's own \n escapes as two characters.
      GOOGLE_CREDENTIALS:
        '{"type":"service_account","project_id":"demo-123","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n"}',
      SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----',
      AFTER_KEYS: 'still-read',
    });
  });

  it('reads a CRLF file, turning CRLF inside quotes into LF', () => {
    expect(fixture('windows.env')).toContain('\r\n');
    expect(parseDotenv(fixture('windows.env'))).toEqual({
      API_TOKEN: 'tok_live_abcdef',
      MULTI: 'line one\nline two',
      LAST: 'done',
    });
  });

  it('skips a BOM and lines it cannot read, accepts KEY: value, and lets the last duplicate win', () => {
    expect(parseDotenv(fixture('edge.env'))).toEqual({
      FIRST: 'after-bom',
      DEBUG: 'true',
      'NAME.WITH.DOTS': 'ok',
      'lower-case-key': 'fine',
      DUP: 'second',
    });
  });

  it('round-trips every fixture whose keys are environment names, but a value holding both kinds of quote', () => {
    for (const name of ['app.env', 'keys.env', 'windows.env']) {
      const { TEMPLATE, ...record } = parseDotenv(fixture(name));
      expect(parseDotenv(serializeDotenv(record))).toEqual(record);
      if (TEMPLATE !== undefined) expect(refusal(() => serializeDotenv({ TEMPLATE })).field).toBe('TEMPLATE');
    }
  });
});

describe('serializeDotenv', () => {
  it('writes plain values bare and others in the form that reads back', () => {
    expect(
      serializeDotenv({
        A: 'sk-live_123',
        B: '',
        C: 'has space',
        D: "it's",
        E: 'line1\nline2',
        F: 'a#b',
        G: '$HOME',
      }),
    ).toBe(['A=sk-live_123', 'B=', "C='has space'", `D="it's"`, "E='line1\nline2'", "F='a#b'", "G='$HOME'", ''].join('\n'));
  });

  it('writes line breaks as they are inside quotes, which dotenv and a shell both read literally', () => {
    const text = serializeDotenv({ PEM: '-----BEGIN-----\nAAA\n-----END-----\n', QUOTED: "it's\n2" });
    expect(text).toBe("PEM='-----BEGIN-----\nAAA\n-----END-----\n'\nQUOTED=\"it's\n2\"\n");
    expect(parse(text)).toEqual({ PEM: '-----BEGIN-----\nAAA\n-----END-----\n', QUOTED: "it's\n2" });
  });

  it('refuses a CR: dotenv carries one only as \\r in double quotes, which a shell reads as a backslash and an r', () => {
    for (const value of ['a\r\nb', 'x\ry']) {
      const error = refusal(() => serializeDotenv({ OK: 'fine', CRLF: value }));
      expect(error.field).toBe('CRLF');
      expect(error.message).toMatch(/carriage return/);
    }
  });

  it('refuses a NUL, which no environment variable and no shell can hold', () => {
    expect(refusal(() => serializeDotenv({ K: 'a\u0000b' })).field).toBe('K');
  });

  it('writes a backslash in double quotes only where neither reader treats it specially', () => {
    expect(serializeDotenv({ K: "it's C:\\tools\\x" })).toBe(`K="it's C:\\tools\\x"\n`);
    for (const value of ["it's \\n", "it's \\r", "it's \\\\", "it's \\\n", "it's \\"]) {
      expect(refusal(() => serializeDotenv({ K: value })).field).toBe('K');
    }
  });

  it('keeps a multi-line value with a literal \\n (JSON credentials) in single quotes', () => {
    const value = '{"key":"-----BEGIN-----\\nAAA\\n-----END-----"}\nsecond line';
    const text = serializeDotenv({ JSON_CREDS: value });
    expect(text).toBe(`JSON_CREDS='${value}'\n`);
    expect(parse(text).JSON_CREDS).toBe(value);
  });

  it('never writes backticks, which a shell sourcing the file runs as a command', () => {
    // What the backtick form did: dotenv reads it back, and `set -a; . ./.env` runs the command.
    expect(parse('TOKEN=`\'\' ""; touch PWNED`\n')).toEqual({ TOKEN: `'' ""; touch PWNED` });
    const error = refusal(() => serializeDotenv({ OK: 'fine', TOKEN: `'' ""; touch PWNED` }));
    expect(error.code).toBe('BadInput');
    expect(error.field).toBe('TOKEN');
    expect(error.message).toMatch(/TOKEN cannot be written to a \.env file: it holds a single quote, .*a double quote\. .*keyhold run.*keyhold inject/);
  });

  it('refuses, naming the key and why but not the value, what dotenv and a shell cannot both read back', () => {
    const cases: Record<string, [string, RegExp]> = {
      BOTH_QUOTES: [`it's "quoted"`, /a double quote/],
      QUOTES_AND_LINE_BREAK: [`it's "quoted"\nnext`, /a double quote/],
      ALL_QUOTES_BARE: [`a'b"c\`d`, /a double quote/],
      QUOTE_AND_DOLLAR: ["it's $HOME", /"\$", which a shell expands/],
      QUOTE_AND_BACKTICK: ["it's `id`", /a backtick, which a shell runs as a command/],
      QUOTE_AND_ESCAPE: ["it's a\\nb", /a backslash before n, r/],
      TRAILING_BACKSLASH: [' C:\\dir\\', /ends with a backslash/],
      CR_DOUBLE_QUOTE_AND_HASH: ['a"b#\rc', /carriage return/],
    };
    for (const [key, [value, why]] of Object.entries(cases)) {
      const error = refusal(() => serializeDotenv({ OK: 'fine', [key]: value }));
      expect(error.code).toBe('BadInput');
      expect(error.field).toBe(key);
      expect(error.message).toContain(key);
      expect(error.message).toMatch(why);
      expect(error.message).not.toContain(value);
    }
  });

  it('would corrupt a later line if a quoted value ended with a backslash, hence the refusal', () => {
    // What dotenv makes of the obvious quoting: the escaped closing quote runs into the next line.
    expect(parse("A='ab\\'\nB=\"' #\"\n")).not.toEqual({ A: 'ab\\', B: "' #" });
    expect(() => serializeDotenv({ A: 'ab\\ ', B: "' #" })).not.toThrow();
    expect(refusal(() => serializeDotenv({ A: ' ab\\', B: "' #" })).field).toBe('A');
  });

  it('would corrupt a later line if a value starting with a quote were written bare, hence quoting it', () => {
    expect(parse(`A='ab\nB="' #"\n`)).not.toEqual({ A: "'ab", B: "' #" });
    expect(serializeDotenv({ A: "'ab", B: "' #" })).toBe(`A="'ab"\nB="' #"\n`);
  });

  it('never writes a backslash bare, where a shell takes it as an escape (before the line end, a continuation)', () => {
    expect(serializeDotenv({ WIN_PATH: 'C:\\tools\\bin' })).toBe("WIN_PATH='C:\\tools\\bin'\n");
    expect(refusal(() => serializeDotenv({ WIN_PATH: 'C:\\tools\\' })).field).toBe('WIN_PATH');
  });

  it('refuses keys that are not environment names, and __proto__', () => {
    expect(refusal(() => serializeDotenv({ 'my-key': 'x' })).code).toBe('BadInput');
    expect(refusal(() => serializeDotenv({ '1ABC': 'x' })).code).toBe('BadInput');
    const reserved = refusal(() => serializeDotenv(JSON.parse('{"__proto__":"x"}') as Record<string, string>));
    expect(reserved.field).toBe('__proto__');
    expect(reserved.message).toMatch(/"__proto__" is reserved/);
  });

  it('refuses a value that is not well-formed Unicode', () => {
    expect(refusal(() => serializeDotenv({ K: 'a\uD800b' })).code).toBe('BadInput');
  });

  it('writes nothing for an empty record', () => {
    expect(serializeDotenv({})).toBe('');
  });
});

// Every character dotenv treats specially, plus whitespace JS trims and text that shifts by bytes.
const tricky = fc.constantFrom(
  'a',
  'Z',
  '0',
  'n',
  'r',
  ' ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  "'",
  '"',
  '`',
  '\\',
  '\\n',
  '\\r',
  '#',
  ' #',
  '$',
  '${X}',
  '=',
  ':',
  'export ',
  '😀',
  'e\u0301',
  '👩‍💻',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u0000',
);
const trickyValue = fc.oneof(
  fc.array(tricky, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => k !== '__proto__');

// Comment lines that catch a quoted match running past its own line: for each kind of quote, the
// next bare one sits at the end of a line, where dotenv would accept it as the closing quote.
const TRAP_TEXT = '#\'\n#"\n#`\n';

describe('parseDotenv and a variable named "__proto__"', () => {
  it('keeps it as an own member, where dotenv alone drops its value', () => {
    const text = 'A=1\n__proto__=hidden\nexport B="x __proto__ y"\n';
    expect(Object.keys(parse(text))).toEqual(['A', 'B']);
    const read = parseDotenv(text);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.entries(read)).toEqual([
      ['A', '1'],
      ['__proto__', 'hidden'],
      ['B', 'x __proto__ y'],
    ]);
  });

  it('does not take the name inside a quoted value, or a text already holding the stand-in, for a variable', () => {
    const text = 'K="line one\n__proto__=no"\nL=0_1 0__1 \\__proto__\n';
    expect(Object.entries(parseDotenv(text))).toEqual([
      ['K', 'line one\n__proto__=no'],
      ['L', '0_1 0__1 \\__proto__'],
    ]);
  });

  it('reads any text as dotenv reads it with another name in its place', () => {
    // The oracle: dotenv on the same text with a plain name where "__proto__" stands, renamed back.
    const piece = fc.constantFrom('__proto__', '=', ' ', '\n', '#', '"', "'", '`', '\\', 'export ', ':', 'x', '0_1', '_', '\\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const plain = 'QPROTOQ';
        const expected = Object.entries(parse(text.replaceAll('__proto__', plain))).map(([k, v]) => [
          k.replaceAll(plain, '__proto__'),
          v.replaceAll(plain, '__proto__'),
        ]);
        expect(Object.entries(parseDotenv(text))).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('serializeDotenv properties', () => {
  // What a shell sourcing the text reads is proved in test/security/dotenv-sourced-by-shell.test.ts.
  it('reads back exactly, or refuses only a value with a CR, a NUL, a single quote or a trailing backslash', () => {
    fc.assert(
      fc.property(fc.dictionary(keyArb, trickyValue, { maxKeys: 6 }), (record) => {
        let text: string;
        try {
          text = serializeDotenv(record);
        } catch (e) {
          expect(e).toBeInstanceOf(KeyholdError);
          expect(record[(e as KeyholdError).field!]!).toMatch(/[\r\0']|\\$/);
          return;
        }
        expect(parse(text)).toEqual(record);
        expect(parse(text + TRAP_TEXT)).toEqual(record);
      }),
      { numRuns: 4000 },
    );
  });

  it('never refuses a value without a single quote, a CR, a NUL or a trailing backslash', () => {
    const value = trickyValue.map((v) => v.replace(/['\r\0]/g, '')).filter((v) => !v.endsWith('\\'));
    fc.assert(
      fc.property(fc.dictionary(keyArb, value, { maxKeys: 6 }), (record) => {
        expect(parse(serializeDotenv(record))).toEqual(record);
      }),
      { numRuns: 2000 },
    );
  });

  it('never refuses a value without a double quote, $, backtick, backslash, CR or NUL, whatever its line breaks', () => {
    const value = trickyValue.map((v) => v.replace(/["$`\\\r\0]/g, ''));
    fc.assert(
      fc.property(fc.dictionary(keyArb, value, { maxKeys: 6 }), (record) => {
        expect(parse(serializeDotenv(record))).toEqual(record);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readDotenvText (what the window pastes, read as the CLI reads a file)', () => {
  it('reads comments, export, quotes, inline comments and multi-line values as dotenv does, and names the lines it passed over', () => {
    const text = [
      '# a comment',
      '',
      'export A=1',
      "B='single # kept'",
      'C="line\\nbreak"',
      'D=plain value # trailing',
      'E="first',
      'second"',
      'not a pair',
      'A=2',
    ].join('\n');
    const { entries, skipped } = readDotenvText(text);
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual(parse(text));
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toMatchObject({
      A: '2',
      B: 'single # kept',
      C: 'line\nbreak',
      D: 'plain value',
      E: 'first\nsecond',
    });
    expect(skipped).toEqual([9]);
  });

  it('finds nothing in text with no KEY=VALUE line', () => {
    expect(readDotenvText('just words\nmore words')).toEqual({ entries: [], skipped: [1, 2] });
  });
});
