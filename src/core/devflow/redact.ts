import { SecretMask, type MaskOptions } from './mask';

/*
 * `keyhold redact`: the vault's values concealed in any text, exactly (not by pattern), with the
 * same matcher and the same encoded forms `run` uses on a child's output: besides each value as it
 * is, its base64 and base64url (at each of the three byte alignments it can have inside a longer
 * encoded text), hex and URL-encoded forms (mask-forms.ts).
 */

export { encodedForms, MIN_ENCODED_LENGTH } from './mask-forms';

/**
 * The whole value in base64 and base64url, padded or not: what a program prints when the value is
 * all it encodes. The forms of mask-forms.ts leave out the last character there, as it mixes the
 * value's last bits with padding; `redact` conceals it too.
 */
function wholeBase64(value: string): string[] {
  const padded = Buffer.from(value, 'utf8').toString('base64');
  if (!padded.endsWith('=')) return [];
  const bare = padded.replace(/=+$/, '');
  const url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');
  return [padded, bare, url(padded), url(bare)];
}

/**
 * A mask over the values and all their encoded forms, for a redacting stream. Its maskers write
 * their output over the chunks they are given unless `overwriteInput: false` is passed: the stream
 * hands each read over and never reads it again, and 100 MB of input need no second 100 MB.
 */
export function redactionMask(values: Iterable<string>, options: MaskOptions = {}): SecretMask {
  return new SecretMask(values, { overwriteInput: true, ...options, encodedForms: true, moreForms: wholeBase64 });
}
