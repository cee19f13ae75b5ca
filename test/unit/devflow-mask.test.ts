import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { DEFAULT_MASK, SecretMask } from '../../src/core/devflow/mask';

const M = '***';

/** The specification, written the slow obvious way: conceal the union of all occurrences, merging overlaps. */
function reference(input: Buffer, secrets: readonly string[], mask: string, minLength = 4): Buffer {
  const ranges: [number, number][] = [];
  for (const secret of new Set(secrets)) {
    if (secret.length === 0 || [...secret].length < minLength) continue;
    const bytes = Buffer.from(secret, 'utf8');
    for (let at = input.indexOf(bytes); at !== -1; at = input.indexOf(bytes, at + 1)) ranges.push([at, at + bytes.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of ranges) {
    const last = merged[merged.length - 1];
    if (last && s < last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (const [s, e] of merged) {
    parts.push(input.subarray(at, s), Buffer.from(mask, 'utf8'));
    at = e;
  }
  parts.push(input.subarray(at));
  return Buffer.concat(parts);
}

function splitAt(input: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(input.subarray(at, p));
    at = p;
  }
  chunks.push(input.subarray(at));
  return chunks;
}

function streamed(mask: SecretMask, chunks: Buffer[]): Buffer {
  const masker = mask.createMasker();
  return Buffer.concat([...chunks.map((c) => masker.write(c)), masker.end()]);
}

// No character of the mask "***" appears in the secrets, so a secret in the output can only be a leak.
const unit = fc.constantFrom('a', 'b', 'c', 'x', '\n', ' ', 'é', '😀', '\u0301', '日');
// A small alphabet and secrets cut from one another make prefixes, suffixes and overlaps common.
const tight = fc.constantFrom('a', 'b', '😀');
const secretsArb = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.string({ unit, minLength: 1, maxLength: 8 }), fc.string({ unit: tight, minLength: 3, maxLength: 8 })), {
      minLength: 1,
      maxLength,
    })
    .chain((base) =>
      fc
        .array(fc.tuple(fc.nat(base.length - 1), fc.nat(8), fc.nat(8)), { maxLength: 3 })
        .map((cuts) => [...base, ...cuts.map(([i, from, to]) => [...base[i]!].slice(Math.min(from, to), Math.max(from, to)).join(''))]),
    );
const inputArb = (secrets: string[]) =>
  fc.array(fc.oneof(fc.constantFrom(...secrets), fc.string({ unit, maxLength: 4 })), { maxLength: 30 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));

describe('SecretMask', () => {
  it('replaces every occurrence with the mask', () => {
    const mask = new SecretMask(['sk-live-123'], { mask: M });
    expect(mask.maskText('a sk-live-123 b sk-live-123')).toBe('a *** b ***');
  });

  it('uses the documented default mask', () => {
    expect(new SecretMask(['hunter22']).maskText('pw=hunter22')).toBe(`pw=${DEFAULT_MASK}`);
  });

  it('ignores empty secrets and those shorter than four characters', () => {
    const mask = new SecretMask(['', 'yes', '1', 'dev'], { mask: M });
    expect(mask.isEmpty).toBe(true);
    expect(mask.maskText('yes 1 dev')).toBe('yes 1 dev');
    // Four characters of any width count, even when one is multi-byte.
    expect(new SecretMask(['é12x'], { mask: M }).maskText('é12x')).toBe('***');
  });

  it('honours a custom minimum length', () => {
    expect(new SecretMask(['ab'], { mask: M, minLength: 2 }).maskText('xaby')).toBe('x***y');
  });

  it('lets the longest secret win when one is a prefix of another', () => {
    const mask = new SecretMask(['abcd', 'abcdefgh'], { mask: M });
    expect(mask.maskText('abcdefgh abcdxyz')).toBe('*** ***xyz');
  });

  it('conceals overlapping occurrences as one mask, leaking no part of either', () => {
    const mask = new SecretMask(['abcdef', 'defghi'], { mask: M });
    expect(mask.maskText('>abcdefghi<')).toBe('>***<');
    expect(new SecretMask(['aaaa'], { mask: M }).maskText('aaaaaaa.aaaaaaaa')).toBe('***.***');
  });

  it('keeps touching occurrences as separate masks', () => {
    expect(new SecretMask(['abcd'], { mask: M }).maskText('abcdabcd')).toBe('******');
  });

  it('finds a secret inside another one even when the outer one does not complete', () => {
    const mask = new SecretMask(['xxabcdyy', 'abcd'], { mask: M });
    expect(mask.maskText('xxabcdyz')).toBe('xx***yz');
  });

  it('masks multi-byte UTF-8 secrets split inside a character', () => {
    const secret = 'κλειδί-😀-秘密';
    const mask = new SecretMask([secret], { mask: M });
    const bytes = Buffer.from(`before ${secret} after`, 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(streamed(mask, chunks).toString('utf8')).toBe('before *** after');
  });

  it('releases at once every byte that cannot start a secret', () => {
    const masker = new SecretMask(['abcd'], { mask: M }).createMasker();
    expect(masker.write(Buffer.from('Password: ')).toString()).toBe('Password: ');
    expect(masker.write(Buffer.from('xab')).toString()).toBe('x');
    expect(masker.write(Buffer.from('x')).toString()).toBe('abx');
    expect(masker.write(Buffer.from('abc')).toString()).toBe('');
    expect(masker.write(Buffer.from('d!')).toString()).toBe('***!');
    expect(masker.write(Buffer.from('ab')).toString()).toBe('');
    expect(masker.end().toString()).toBe('ab');
  });

  it('writes a mask as soon as it is certain, and swallows a later overlapping occurrence', () => {
    const masker = new SecretMask(['aaaa'], { mask: M }).createMasker();
    expect(masker.write(Buffer.from('aaaa')).toString()).toBe('');
    expect(masker.write(Buffer.from('a')).toString()).toBe('***');
    expect(masker.write(Buffer.from('aaaaaaa')).toString()).toBe('');
    expect(masker.write(Buffer.from('b')).toString()).toBe('b');
    expect(masker.end().toString()).toBe('');
  });

  it('keeps memory bounded on an endless run of overlapping occurrences', () => {
    const masker = new SecretMask(['abab'], { mask: M }).createMasker();
    const out: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) out.push(masker.write(Buffer.from('ab')));
    out.push(masker.end());
    expect(Buffer.concat(out).toString()).toBe('***');
    expect((masker as unknown as { held: Buffer }).held.length).toBeLessThanOrEqual(4);
  });

  it('works as a Transform stream', async () => {
    const stream = new SecretMask(['topsecret'], { mask: M }).createStream();
    const source = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => stream.on('end', resolve));
    source.pipe(stream);
    for (const part of ['x top', 'sec', 'ret y top', 'se']) source.write(part);
    source.end();
    await done;
    expect(Buffer.concat(chunks).toString()).toBe('x *** y topse');
  });

  it('matches the one-shot specification for random secrets and chunkings, and never lets a secret through', () => {
    fc.assert(
      fc.property(
        secretsArb(5).chain((secrets) => fc.tuple(fc.constant(secrets), inputArb(secrets), fc.array(fc.nat(), { maxLength: 12 }))),
        ([secrets, input, cuts]) => {
          const mask = new SecretMask(secrets, { mask: M });
          const out = streamed(mask, splitAt(input, cuts));
          expect(out.equals(reference(input, secrets, M))).toBe(true);
          for (const secret of secrets) {
            if ([...secret].length >= 4) expect(out.includes(Buffer.from(secret, 'utf8'))).toBe(false);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives the same output one byte at a time as in one chunk', () => {
    fc.assert(
      fc.property(
        secretsArb(4).chain((s) => fc.tuple(fc.constant(s), inputArb(s))),
        ([secrets, input]) => {
          const mask = new SecretMask(secrets, { mask: M });
          const bytewise = streamed(
            mask,
            [...input].map((b) => Buffer.from([b])),
          );
          expect(bytewise.equals(mask.maskBytes(input))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// The scan skips over text no secret can start in when every pattern is long (ordinary secrets), and
// reads large chunks without copying them: these cover that path as the short secrets above do not.
describe('SecretMask on long secrets and large chunks', () => {
  /** Cuts `input` into chunks of the given sizes (repeated), as a stream with large reads would deliver it. */
  function chunked(input: Buffer, sizes: number[]): Buffer[] {
    const chunks: Buffer[] = [];
    for (let at = 0, k = 0; at < input.length; k++) {
      const size = Math.max(1, sizes[k % sizes.length]!);
      chunks.push(input.subarray(at, at + size));
      at += size;
    }
    return chunks;
  }

  // Long secrets over a small alphabet, many sharing prefixes and overlapping each other.
  const longSecret = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é'), minLength: 8, maxLength: 40 });
  const filler = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', ' ', '\n', 'é', '😀'), maxLength: 60 });

  // Secrets, a text made of them and filler, and the sizes of the chunks it arrives in.
  const secretsInText = fc
    .array(longSecret, { minLength: 1, maxLength: 12 })
    .chain((secrets) =>
      fc.tuple(
        fc.constant(secrets),
        fc.array(fc.oneof(fc.constantFrom(...secrets), filler), { maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }),
      ),
    );

  it('matches the one-shot specification for long secrets, overlaps and any chunk sizes', () => {
    fc.assert(
      fc.property(secretsInText, ([secrets, parts, sizes]) => {
        const input = Buffer.from(parts.join(''), 'utf8');
        const mask = new SecretMask(secrets, { mask: M, encodedForms: false });
        const out = streamed(mask, chunked(input, sizes));
        expect(out.equals(reference(input, secrets, M))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same output when it may write over its input chunks, for masks shorter or longer than the secrets', () => {
    fc.assert(
      fc.property(secretsInText, fc.constantFrom('*', '***', '<concealed by keyhold and much longer than any secret>'), ([secrets, parts, sizes], maskText) => {
        const input = Buffer.from(parts.join(''), 'utf8');
        const mask = new SecretMask(secrets, { mask: maskText, encodedForms: false, overwriteInput: true });
        // Each chunk is handed over: a copy the masker may write over.
        const out = streamed(
          mask,
          chunked(input, sizes).map((c) => Buffer.from(c)),
        );
        expect(out.equals(reference(input, secrets, maskText))).toBe(true);
        expect(mask.maskBytes(input).equals(out)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves its input chunks alone unless told it may write over them', () => {
    const secret = 'a-secret-value-0123456789';
    const chunk = Buffer.from(`x ${secret} y `.repeat(1000));
    const before = Buffer.from(chunk);
    const masker = new SecretMask([secret], { mask: M }).createMasker();
    const out = Buffer.concat([masker.write(chunk), masker.end()]);
    expect(chunk.equals(before)).toBe(true);
    expect(out.toString()).toBe(`x ${M} y `.repeat(1000));
    const mask = new SecretMask([secret], { mask: M, overwriteInput: true });
    expect(mask.maskBytes(chunk).toString()).toBe(`x ${M} y `.repeat(1000));
    expect(chunk.equals(before)).toBe(true);
  });

  it('conceals a secret split across a boundary between two large chunks, at every offset', () => {
    const secret = `sk_live_${'k7'.repeat(20)}`;
    const mask = new SecretMask([secret], { mask: M });
    const head = Buffer.from('é'.repeat(40_000), 'utf8');
    const input = Buffer.concat([head, Buffer.from(`${secret}😀 tail`, 'utf8')]);
    for (let cut = head.length - 2; cut <= head.length + secret.length + 2; cut++) {
      const out = streamed(mask, [input.subarray(0, cut), input.subarray(cut)]).toString('utf8');
      expect(out, `cut at ${cut - head.length}`).toBe(`${'é'.repeat(40_000)}${M}😀 tail`);
    }
  });

  it('lets the longest secret win and merges overlaps among long secrets', () => {
    const mask = new SecretMask(['token-0123456789', 'token-0123456789-extended', '456789-extended-more'], { mask: M });
    expect(mask.maskText('<token-0123456789-extended-more>')).toBe(`<${M}>`);
    expect(mask.maskText('<token-0123456789-extension>')).toBe(`<${M}-extension>`);
    expect(mask.maskText('token-0123456789token-0123456789')).toBe(`${M}${M}`);
  });

  it('conceals multi-byte UTF-8 secrets among multi-byte text', () => {
    const secret = 'κλειδί-秘密-😀-0123456789';
    const mask = new SecretMask([secret], { mask: M });
    const input = Buffer.from(`日本語${secret}κλειδί-秘密😀${secret}é`, 'utf8');
    const expected = `日本語${M}κλειδί-秘密😀${M}é`;
    for (const sizes of [[1], [3], [7, 1], [input.length]]) expect(streamed(mask, chunked(input, sizes)).toString('utf8')).toBe(expected);
  });

  it('writes random bytes (invalid UTF-8 included) without a secret byte for byte, with or without secrets', () => {
    const secrets = Array.from({ length: 200 }, (_, i) => `secret-value-${i}-${'q'.repeat(i % 30)}`);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }), (bytes, sizes) => {
        const input = Buffer.from(bytes);
        fc.pre(!secrets.some((s) => input.includes(s)));
        for (const mask of [new SecretMask(secrets), new SecretMask([]), new SecretMask(['', 'abc'])]) {
          expect(streamed(mask, chunked(input, sizes)).equals(input)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('masks nothing with no secrets, and copies the bytes it returns', () => {
    const mask = new SecretMask([]);
    expect(mask.isEmpty).toBe(true);
    const chunk = Buffer.from('nothing to hide\n');
    const masker = mask.createMasker();
    const out = masker.write(chunk);
    chunk.fill(0);
    expect(out.toString()).toBe('nothing to hide\n');
    expect(masker.end().length).toBe(0);
  });

  it('finds a secret at every offset of a large chunk (the scan runs two windows, one per half)', () => {
    const secret = 'Kx9-secret-value-0123456789abcdef';
    const mask = new SecretMask([secret], { mask: M });
    const filler = 'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(120).slice(0, 6000);
    for (let at = 0; at + secret.length <= filler.length; at++) {
      const input = `${filler.slice(0, at)}${secret}${filler.slice(at + secret.length)}`;
      const out = mask.maskText(input);
      if (out !== `${filler.slice(0, at)}${M}${filler.slice(at + secret.length)}`) expect.fail(`missed the secret at ${at}`);
    }
  });

  it('finds every planted secret among a thousand in a large stream', () => {
    const secrets = Array.from({ length: 1000 }, (_, i) => `tok_${i.toString(36).padStart(4, '0')}_${'Zx9'.repeat(6)}`);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++)
      lines.push(i % 7 === 0 ? `line ${i} auth=${secrets[(i * 31) % 1000]} ok` : `line ${i} path=/api/v1/items/${i} tok_ user=u${i % 97}`);
    const input = Buffer.from(lines.join('\n'), 'utf8');
    const mask = new SecretMask(secrets, { mask: M });
    const out = streamed(mask, chunked(input, [1 << 16, 1000, 1 << 20])).toString('utf8');
    expect(out).toBe(lines.map((l) => l.replace(/tok_\w{4}_(Zx9){6}/, M)).join('\n'));
  });
});
