import { SecretMask, type MaskOptions } from './mask';

/*
 * `keyhold redact`: the vault's values concealed in any text, exactly (not by pattern), with the
 * same matcher `run` uses on a child's output. Besides each value as it is, the forms a program
 * commonly prints it in are concealed too: base64 (standard and URL-safe, at each of the three
 * byte alignments it can have inside a longer encoded stream), hex, and URL encoding.
 */

/** Encoded fragments shorter than this are not concealed: they would match ordinary text. */
export const MIN_ENCODED_LENGTH = 8;

const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 text that stands for `bytes` wherever they sit in a longer base64 stream: for each
 * alignment, the characters that depend on the value's bytes alone.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms = [bytes.toString('base64')];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const head = [0, 2, 3][shift]!;
    const tail = (shift + bytes.length) % 3 === 0 ? 0 : 1;
    forms.push(encoded.slice(head, encoded.length - tail));
  }
  return forms.flatMap((f) => [f, urlSafe(f)]);
}

/** Every form of `value` to conceal, the value itself first. */
export function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>([value]);
  const add = (form: string) => {
    if (form.length >= MIN_ENCODED_LENGTH) forms.add(form);
  };
  for (const form of base64Forms(bytes)) add(form);
  const hex = bytes.toString('hex');
  add(hex);
  add(hex.toUpperCase());
  add(encodeURIComponent(value));
  add(encodeURIComponent(value).replace(/%20/g, '+'));
  return [...forms];
}

/** A mask over the values and all their encoded forms, for a redacting stream. */
export function redactionMask(values: Iterable<string>, options: MaskOptions = {}): SecretMask {
  const all: string[] = [];
  for (const value of values) all.push(...encodedForms(value));
  return new SecretMask(all, options);
}
