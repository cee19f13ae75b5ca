import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS, Bundle, UnsignedBundle, bundleJsonSchema, compiledSchemas, createBundle, parseBundleValue } from '../../src/core/share/bundle';
import { canonicalJson, parseStrictJson } from '../../src/core/share/json';
import { AuthData, AuthValue, LIMITS } from '../../src/shared/domain';
import { readBundle, serializeBundle } from '../../src/core/share/seal';
import { generateSigningKey, signBundle } from '../../src/core/share/signature';
import { expectKeyholdError, sampleContent } from '../fixtures/share/samples';

const committedSchema = JSON.parse(readFileSync('docs/bundle.schema.json', 'utf8')) as Record<string, unknown>;
// strictRequired flags the standard `not: { required }` idiom the schema uses for tokensIncluded.
const ajv = new Ajv2020({ strict: true, strictRequired: false, validateFormats: false, allErrors: true });
const validateWithSchema = ajv.compile(committedSchema);

const key = generateSigningKey();
const signed = (): Bundle => signBundle(createBundle(sampleContent()), key.privateKey);

describe('JSON Schema', () => {
  it('docs/bundle.schema.json is exactly what the zod schema generates', () => {
    const generated = `${JSON.stringify(bundleJsonSchema(), null, 2)}\n`;
    expect(readFileSync('docs/bundle.schema.json', 'utf8')).toBe(generated);
  });

  const base = signed();
  const { signer: _signer, signature: _signature, ...unsigned } = base;
  const noTokens = { ...unsigned, tokensIncluded: false, items: { profiles: [base.items.profiles[0]] } };
  const samples: Record<string, [unknown, boolean]> = {
    'a signed bundle': [base, true],
    'an unsigned bundle': [unsigned, true],
    'a bundle with no tokens and only profiles': [noTokens, true],
    'an empty profile list': [{ ...noTokens, items: { profiles: [] } }, true],
    'a fractional export time': [{ ...noTokens, exportedAt: '2025-01-31T09:30:00.123456Z' }, true],
    'a missing format': [{ ...noTokens, format: undefined }, false],
    'another format': [{ ...noTokens, format: 'other' }, false],
    'version 2': [{ ...noTokens, version: 2 }, false],
    'version "1" as a string': [{ ...noTokens, version: '1' }, false],
    'an unknown top-level member': [{ ...noTokens, extra: true }, false],
    'an unknown profile member': [{ ...noTokens, items: { profiles: [{ ...base.items.profiles[0], color: 'red' }] } }, false],
    'a signer without a signature': [{ ...unsigned, signer: base.signer }, false],
    'a signature without a signer': [{ ...unsigned, signature: base.signature }, false],
    'a token although tokensIncluded is false': [{ ...base, tokensIncluded: false }, false],
    'an unknown provider': [
      { ...noTokens, items: { profiles: [], byokKeys: [{ kind: 'k', provider: 'mistral', apiKey: 'sk-xxxxxxxxxxxxxxxxxxxxxxxx' }] } },
      false,
    ],
    'a non-string value': [{ ...noTokens, items: { profiles: [{ ...base.items.profiles[0], authData: { A: 1 } }] } }, false],
    'a 31-byte public key': [{ ...base, signer: { alg: 'ed25519', publicKey: Buffer.alloc(31).toString('base64') } }, false],
    'a non-canonical base64 public key': [{ ...base, signer: { alg: 'ed25519', publicKey: `${'A'.repeat(42)}B=` } }, false],
    'another signature algorithm': [{ ...base, signer: { alg: 'rsa', publicKey: base.signer!.publicKey } }, false],
    'a time with an offset': [{ ...noTokens, exportedAt: '2025-01-31T09:30:00+01:00' }, false],
    'a date without a time': [{ ...noTokens, exportedAt: '2025-01-31' }, false],
    'args that are not a list': [{ ...noTokens, items: { profiles: [], agents: [{ agentId: 'a', args: 'A' }] } }, false],
    'items that are not an object': [{ ...noTokens, items: [] }, false],
    'a token with an escape sequence': [{ ...base, items: { ...base.items, profiles: [{ ...base.items.profiles[0], authToken: 'tok\u001b[2J' }] } }, false],
    'a token with a space': [{ ...base, items: { ...base.items, profiles: [{ ...base.items.profiles[0], authToken: 'tok en' }] } }, false],
    'an API key with a C1 control': [
      { ...noTokens, items: { profiles: [], byokKeys: [{ kind: 'k', provider: 'anthropic', apiKey: `sk-ant-\u009b2J${'x'.repeat(30)}` }] } },
      false,
    ],
  };

  for (const [name, [value, valid]] of Object.entries(samples)) {
    it(`the schema and zod agree on ${name} (${valid ? 'valid' : 'invalid'})`, () => {
      const plain = JSON.parse(JSON.stringify(value)) as unknown;
      expect(Bundle.safeParse(plain).success).toBe(valid);
      expect(compiledSchemas().bundle.safeParse(plain).success).toBe(valid);
      expect(validateWithSchema(plain)).toBe(valid);
    });
  }

  // The spec lists these as rules beyond the schema; this pins that they are enforced in code.
  it.each([
    ['duplicate profiles', { profiles: [noTokens.items.profiles[0], noTokens.items.profiles[0]] }],
    ['duplicate BYOK kinds', { profiles: [], byokKeys: [base.items.byokKeys![0], base.items.byokKeys![0]] }],
    ['a profile name with a trailing space', { profiles: [{ ...noTokens.items.profiles[0], name: 'x ' }] }],
    ['a key name with a control character', { profiles: [{ ...noTokens.items.profiles[0], authData: { 'A\tB': 'v' } }] }],
    ['a kind containing "/"', { profiles: [], byokKeys: [{ ...base.items.byokKeys![0], kind: 'a/b' }] }],
  ])('zod refuses %s, which the schema alone accepts', (_name, items) => {
    const value = { ...noTokens, items };
    expect(validateWithSchema(value)).toBe(true);
    expect(Bundle.safeParse(value).success).toBe(false);
    expect(compiledSchemas().bundle.safeParse(value).success).toBe(false);
  });

  it('tells profiles apart whose agent id and name join to the same text', () => {
    const p = noTokens.items.profiles[0]!;
    const value = {
      ...noTokens,
      items: {
        profiles: [
          { ...p, agentId: 'a/b', name: 'c' },
          { ...p, agentId: 'a', name: 'b/c' },
        ],
      },
    };
    expect(Bundle.safeParse(value).success).toBe(true);
    expect(compiledSchemas().bundle.safeParse(value).success).toBe(true);
  });

  // Imports and exports run zod's compiled form of the schemas: it must accept exactly what the
  // schemas accept, with the same result, and refuse the rest with the same issues.
  it('the compiled schemas decide every bundle as the schemas do', () => {
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, at: (string | number)[]) => {
      paths.push(at);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    };
    walk(base, []);
    const odd = fc.constantFrom('', ' a', 'a ', 'a\u0000b', 'A\tB', '\ud800', 'x'.repeat(201), 'a/b', 'sk ant', 'ed25519', 'anthropic', '__proto__', 'extra');
    const value = fc.oneof(
      odd,
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(odd),
      fc.dictionary(odd, odd),
      fc.constant('DELETE'),
    );
    const edit = fc.tuple(fc.constantFrom(...paths), fc.option(odd, { nil: undefined }), value);
    const agree = (schema: typeof Bundle | typeof UnsignedBundle, fast: typeof Bundle | typeof UnsignedBundle, input: unknown) => {
      const slow = schema.safeParse(input);
      const quick = fast.safeParse(input);
      expect(quick.success).toBe(slow.success);
      if (slow.success) expect(quick.data).toEqual(slow.data);
      else expect(quick.error?.issues).toEqual(slow.error.issues);
      return slow.success;
    };
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 0, maxLength: 3 }), (edits) => {
        const input = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
        for (const [path, member, v] of edits) {
          // Set or delete the member at `path`, or (with `member`) add one inside it.
          const at = member === undefined ? path : [...path, member];
          if (at.length === 0) continue;
          let parent: unknown = input;
          for (const k of at.slice(0, -1)) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[k] : undefined;
          if (parent === null || typeof parent !== 'object') continue;
          const last = at[at.length - 1] as string | number;
          if (v === 'DELETE') delete (parent as Record<string | number, unknown>)[last];
          else Object.defineProperty(parent, last, { value: v, enumerable: true, writable: true, configurable: true });
        }
        if (agree(Bundle, compiledSchemas().bundle, input)) accepted++;
        const { signer: _signer, signature: _signature, ...rest } = input;
        agree(UnsignedBundle, compiledSchemas().unsigned, rest);
      }),
      { numRuns: 500 },
    );
    // Some edits keep the bundle valid (an edit to a string that is still a fine string), so both outcomes are compared.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('canonical JSON', () => {
  it('sorts members by UTF-16 code units, not code points, with no white space', () => {
    // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB33 although its code point is larger.
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"\u{1f600}":2,"\ufb33":1}');
  });

  it('escapes strings exactly as JSON.stringify does (lowercase \\u00xx, short forms, no other escapes)', () => {
    expect(canonicalJson({ s: '"\\\b\t\n\f\r\u0001\u001f\u007f/é' })).toBe('{"s":"\\"\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\u007f/é"}');
  });

  it('does not depend on member insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.boolean(), fc.integer())), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(record);
      }),
    );
  });

  it('refuses numbers that are not safe integers', async () => {
    await expectKeyholdError(() => canonicalJson({ n: 1.5 }), 'Internal');
  });

  it('sorts objects at every depth, inside arrays too, and refuses what JSON cannot hold', async () => {
    expect(canonicalJson({ z: [{ b: 1, a: [{ d: true, c: null }] }], a: 'x' })).toBe('{"a":"x","z":[{"a":[{"c":null,"d":true}],"b":1}]}');
    await expectKeyholdError(() => canonicalJson([undefined]), 'Internal');
    await expectKeyholdError(() => canonicalJson({ f: () => 1 }), 'Internal');
  });

  it("keeps a member named __proto__ as data rather than as the copy's prototype", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"y":1,"x":2}}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":2,"y":1},"b":1}');
  });

  // The serializer before it learnt to leave ordered values as they are: a sorted copy of everything.
  const copied = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('not a safe integer');
      if (value === undefined || typeof value === 'function') throw new Error('not JSON');
      return value;
    }
    if (Array.isArray(value)) return value.map(copied);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      Object.defineProperty(out, k, { value: copied(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const reference = (value: unknown): string | 'refused' => {
    try {
      return JSON.stringify(copied(value));
    } catch {
      return 'refused';
    }
  };
  const current = (value: unknown): string | 'refused' => {
    try {
      return canonicalJson(value);
    } catch {
      return 'refused';
    }
  };

  it('writes exactly what a sorted copy of the value gives, ordered or not, and leaves the value as it was', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const before = JSON.stringify(value);
        expect(current(value)).toBe(reference(value));
        // Already in order at every depth: the path that serializes the value as it is.
        const ordered = reference(value) === 'refused' ? value : (JSON.parse(reference(value)) as unknown);
        expect(current(ordered)).toBe(reference(ordered));
        expect(JSON.stringify(value)).toBe(before);
      }),
    );
  });

  it('orders what needs it at any depth, whatever is in order around it', () => {
    const value = {
      a: [
        { b: 1, c: { e: 1, d: 2 } },
        { x: undefined, y: 1 },
      ],
      b: { '10': 1, '9': 2 },
      c: 'ok',
    };
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson(value)).toBe('{"a":[{"b":1,"c":{"d":2,"e":1}},{"y":1}],"b":{"9":2,"10":1},"c":"ok"}');
    expect(value.a[0]?.c).toEqual({ e: 1, d: 2 });
    expect(Object.keys(value.a[0]?.c ?? {})).toEqual(['e', 'd']);
  });

  it('reads own members only: an inherited enumerable member is not serialized', () => {
    // A value the serializer would refuse, or copy into the output, if it read it.
    Object.defineProperty(Object.prototype, 'zz', { value: 1.5, enumerable: true, configurable: true, writable: true });
    try {
      expect(canonicalJson({ a: 1, b: { c: 2 } })).toBe('{"a":1,"b":{"c":2}}');
    } finally {
      delete (Object.prototype as Record<string, unknown>).zz;
    }
    const inherits = Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalJson(inherits)).toBe('{"a":2,"b":1}');
  });
});

describe('reading plaintext', () => {
  it('reads what it writes', () => {
    const bundle = signed();
    expect(readBundle(serializeBundle(bundle)).bundle).toEqual(bundle);
  });

  it('refuses a newer format version with a message naming both versions', async () => {
    await expectKeyholdError(() => parseBundleValue({ ...signed(), version: 7 }), 'BundleInvalid', /format version 7; this Keyhold reads version 1/);
    await expectKeyholdError(() => parseBundleValue({ ...signed(), version: '1' }), 'BundleInvalid', /no valid format version/);
  });

  it('refuses JSON that is not a Keyhold bundle', async () => {
    await expectKeyholdError(() => parseBundleValue([1, 2]), 'BundleInvalid', /does not hold a Keyhold bundle/);
    await expectKeyholdError(() => parseBundleValue({ format: 'other', version: 1 }), 'BundleInvalid', /does not hold a Keyhold bundle/);
  });

  it('names the invalid field without echoing its value', async () => {
    const bundle = signed();
    const bad = { ...bundle, items: { ...bundle.items, profiles: [{ ...bundle.items.profiles[0]!, name: '' }] } };
    const error = await expectKeyholdError(() => parseBundleValue(bad), 'BundleInvalid', /items\.profiles\.0\.name/);
    expect(error.field).toBe('items.profiles.0.name');
  });

  it('refuses duplicate member names, even in authData', async () => {
    await expectKeyholdError(() => parseStrictJson(Buffer.from('{"a":{"k":"1","k":"2"}}')), 'BundleInvalid', /repeats a field name/);
    expect(parseStrictJson(Buffer.from('[{"k":"1"},{"k":"2","m":{"k":"\\"k"}}]'))).toEqual([{ k: '1' }, { k: '2', m: { k: '"k' } }]);
  });

  it('refuses the member name __proto__, which JavaScript objects would silently drop', async () => {
    await expectKeyholdError(() => parseStrictJson(Buffer.from('{"a":{"__proto__":"x"}}')), 'BundleInvalid', /__proto__/);
  });

  // The check counts member names in the text against members once parsed; these pin what the count must get right.
  it.each([
    ['a name repeated through an escape', '{"a":1,"\\u0061":2}'],
    ['a repeat inside an object inside an array', '[{"k":1},{"k":2,"k":3}]'],
    ['a repeat with white space around the colons', '{ "a" : 1 ,\n "a"\t:\r\n 2 }'],
    ['a repeated name holding escaped quotes', '{"a\\"":1,"a\\"":2}'],
    ['a repeat next to a value that looks like a name', '{"x":"\\"k\\":","k":1,"k":2}'],
  ])('refuses %s', async (_name, text) => {
    await expectKeyholdError(() => parseStrictJson(Buffer.from(text)), 'BundleInvalid', /repeats a field name/);
  });

  it.each([
    ['one name in two objects', '{"a":{"b":1},"c":{"b":2}}', { a: { b: 1 }, c: { b: 2 } }],
    ['a value that looks like a name', '{"x":"\\"k\\":","k":1}', { x: '"k":', k: 1 }],
    ['white space before a colon', '{ "a" : [ "b" , { "c" :\n"d" } ] }', { a: ['b', { c: 'd' }] }],
  ])('accepts %s', (_name, text, value) => {
    expect(parseStrictJson(Buffer.from(text))).toEqual(value);
  });

  it('refuses a bundle nested deeper than the call stack with a clear error, not a crash', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => parseStrictJson(Buffer.from(deep))).not.toThrow();
    const bundle = { ...signed(), items: { profiles: [], agents: [{ agentId: 'a', args: ['DEEP'] }] } };
    const text = JSON.stringify(bundle).replace('["DEEP"]', `[${deep}]`);
    await expectKeyholdError(() => readBundle(Buffer.from(text)), 'BundleInvalid', /items\.agents\.0\.args\.0/);
  });

  it('refuses __proto__ written with an escape, or deep inside arrays', async () => {
    await expectKeyholdError(() => parseStrictJson(Buffer.from('{"__pro\\u0074o__":1}')), 'BundleInvalid', /__proto__/);
    await expectKeyholdError(() => parseStrictJson(Buffer.from('[{"a":[{"__proto__":1}]}]')), 'BundleInvalid', /__proto__/);
  });

  it('refuses a byte order mark, invalid UTF-8 and non-JSON', async () => {
    await expectKeyholdError(() => parseStrictJson(Buffer.from('\ufeff{}', 'utf8')), 'BundleInvalid', /not valid JSON/);
    await expectKeyholdError(() => parseStrictJson(Buffer.from([0x7b, 0xff, 0x7d])), 'BundleInvalid', /UTF-8/);
    await expectKeyholdError(() => parseStrictJson(Buffer.from('{"a":')), 'BundleInvalid', /not valid JSON/);
  });
});

describe('limits', () => {
  const profile = (i: number) => ({ agentId: 'a', name: `p${i}`, authData: {}, saveSession: false });

  it('accepts exactly the item limit and refuses one more as TooLarge', async () => {
    const profiles = Array.from({ length: BUNDLE_LIMITS.items }, (_, i) => profile(i));
    const full = createBundle({ tokensIncluded: false, items: { profiles } });
    expect(parseBundleValue(full).items.profiles).toHaveLength(BUNDLE_LIMITS.items);
    const over = {
      ...full,
      items: {
        profiles: profiles.slice(1),
        agents: [
          { agentId: 'a', args: [] },
          { agentId: 'b', args: [] },
        ],
      },
    };
    await expectKeyholdError(() => parseBundleValue(over), 'TooLarge', /more than 50,000 items/);
    await expectKeyholdError(() => createBundle({ tokensIncluded: false, items: over.items }), 'BadInput', /at most 50,000 items/);
  });

  it('refuses a value over 64 KiB and a profile over 1 MiB, naming the field', async () => {
    const big = { ...signed(), items: { profiles: [{ ...profile(0), authData: { A: 'x'.repeat(64 * 1024 + 1) } }] } };
    await expectKeyholdError(() => parseBundleValue(big), 'BundleInvalid', /items\.profiles\.0\.authData\.A: Value is larger than 64 KiB/);
    const authData = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`K${i}`, 'x'.repeat(64 * 1024)]));
    const heavy = { ...signed(), items: { profiles: [{ ...profile(0), authData }] } };
    await expectKeyholdError(() => parseBundleValue(heavy), 'BundleInvalid', /at most 1 MiB/);
  });

  // Sizes are measured without encoding when the length alone decides: these sit at the edges.
  it('refuses a value exactly when its UTF-8 form passes 64 KiB, whatever its characters', () => {
    for (const [ch, bytes] of [
      ['a', 1],
      ['é', 2],
      ['€', 3],
      ['😀', 4],
    ] as const) {
      const fits = ch.repeat(Math.floor(LIMITS.valueBytes / bytes));
      expect(AuthValue.safeParse(fits).success).toBe(true);
      expect(AuthValue.safeParse(fits + ch).success).toBe(false);
    }
  });

  it('refuses a profile exactly when the JSON of its values passes 1 MiB, escapes counted', () => {
    const record = (n: number, value: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, value]));
    const control = '\u0001'.repeat(64 * 1024); // 64 KiB of UTF-8, six times that as JSON
    const cases = [record(15, 'x'.repeat(64 * 1024)), record(16, 'x'.repeat(64 * 1024)), record(2, control), record(3, control)];
    for (const authData of cases) {
      expect(AuthData.safeParse(authData).success).toBe(Buffer.byteLength(JSON.stringify(authData)) <= LIMITS.profileBytes);
    }
    expect(cases.map((c) => AuthData.safeParse(c).success)).toEqual([true, false, true, false]);
  });

  it('reports a bad key name before the key count, naming the member', () => {
    const authData = { ...Object.fromEntries(Array.from({ length: LIMITS.keysPerProfile + 1 }, (_, i) => [`K${i}`, 'v'])), ' X': 'v' };
    const result = AuthData.safeParse(authData);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: [' X'], message: 'Key name may not start or end with spaces.' });
  });

  it('refuses plaintext over 64 MiB before parsing it', async () => {
    await expectKeyholdError(() => readBundle(new Uint8Array(BUNDLE_LIMITS.plaintextBytes + 1)), 'TooLarge', /64 MiB/);
  });

  it('refuses a bundle whose serialisation would exceed 64 MiB when exporting', async () => {
    const authData = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`K${i}`, 'x'.repeat(64 * 1024)]));
    const profiles = Array.from({ length: 70 }, (_, i) => ({ ...profile(i), authData }));
    const bundle = signBundle(createBundle({ tokensIncluded: false, items: { profiles } }), key.privateKey);
    await expectKeyholdError(() => serializeBundle(bundle), 'TooLarge', /64 MiB/);
  });
});
