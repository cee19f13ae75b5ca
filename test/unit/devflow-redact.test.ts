import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodedForms, redactionMask } from '../../src/core/devflow/redact';
import { lookalike, randomChars } from '../helpers/lookalike';

const M = '<concealed by keyhold>';

/** Feeds the input in pieces cut at the given points, as a stream would deliver it. */
function streamed(values: string[], input: Buffer, cuts: number[]): string {
  const masker = redactionMask(values).createMasker();
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < input.length)].sort((a, b) => a - b)) {
    // A redacting masker writes over the chunks it is given: hand it copies.
    out.push(masker.write(Buffer.from(input.subarray(at, cut))));
    at = cut;
  }
  out.push(masker.write(Buffer.from(input.subarray(at))), masker.end());
  return Buffer.concat(out).toString('utf8');
}

describe('redact', () => {
  it('conceals a value, its base64 (standard and URL-safe), hex and URL-encoded forms', () => {
    const value = `${randomChars(20)}/+ é?&`;
    const mask = redactionMask([value]);
    const b64 = Buffer.from(value).toString('base64');
    for (const form of [
      value,
      b64,
      b64.replace(/\+/g, '-').replace(/\//g, '_'),
      Buffer.from(value).toString('hex'),
      Buffer.from(value).toString('hex').toUpperCase(),
      encodeURIComponent(value),
    ]) {
      expect(mask.maskText(`a ${form} b`), form).toBe(`a ${M} b`);
    }
  });

  it('conceals a value base64-encoded inside a longer text at every alignment', () => {
    const value = lookalike.github();
    for (const prefix of ['', 'x', 'xy', 'xyz']) {
      const encoded = Buffer.from(`${prefix}token=${value};end`).toString('base64');
      const out = redactionMask([value]).maskText(encoded);
      expect(out, prefix).toContain(M);
      // What is left around the mask cannot spell the middle of the value.
      expect(Buffer.from(out.replace(M, ''), 'base64').toString('latin1')).not.toContain(value.slice(4, 30));
    }
  });

  it('conceals values split across any chunk boundaries', () => {
    const values = [lookalike.anthropic(), lookalike.aws()];
    const text = `start ${values[0]} mid ${Buffer.from(values[1]!).toString('hex')} end\n`;
    const input = Buffer.from(text);
    const expected = `start ${M} mid ${M} end\n`;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: input.length }), { maxLength: 12 }), (cuts) => {
        expect(streamed(values, input, cuts)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves text without a value unchanged, and keeps short encoded fragments out of the set', () => {
    const mask = redactionMask(['abcd']);
    expect(mask.maskText('hello world, YWJj')).toBe('hello world, YWJj');
    expect(encodedForms('abcd').every((f) => f === 'abcd' || f.length >= 8)).toBe(true);
  });

  it('conceals every encoded form split across a boundary between large chunks', () => {
    const value = `${lookalike.stripe()}/+é?&`;
    const bytes = Buffer.from(value);
    const forms = [
      value,
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      encodeURIComponent(value),
    ];
    const masker = () => redactionMask([value]).createMasker();
    const head = 'x'.repeat(70_000);
    for (const form of forms) {
      const input = Buffer.from(`${head} ${form} ${head}`);
      for (const cut of [head.length + 1, head.length + 2, head.length + 1 + Math.floor(form.length / 2), head.length + form.length]) {
        const m = masker();
        const out = Buffer.concat([m.write(Buffer.from(input.subarray(0, cut))), m.write(Buffer.from(input.subarray(cut))), m.end()]).toString();
        expect(out, `${form} cut at ${cut - head.length}`).toBe(`${head} ${M} ${head}`);
      }
    }
  });

  it('passes text through unchanged when the vault holds no value', () => {
    const mask = redactionMask([]);
    expect(mask.isEmpty).toBe(true);
    const input = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, ...Buffer.from(' plain text é\n')]);
    expect(mask.maskBytes(input).equals(input)).toBe(true);
  });
});
