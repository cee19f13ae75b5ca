import { SecretMask, type MaskOptions } from './mask';

/*
 * `keyhold redact`: the vault's values concealed in any text, exactly (not by pattern), with the
 * same matcher and the same encoded forms `run` uses on a child's output: besides each value as it
 * is, its base64 and base64url (at each of the three byte alignments it can have inside a longer
 * encoded text), hex and URL-encoded forms (mask-forms.ts).
 */

export { encodedForms, MIN_ENCODED_LENGTH } from './mask-forms';

/**
 * A mask over the values and all their encoded forms, for a redacting stream. Its maskers write
 * their output over the chunks they are given unless `overwriteInput: false` is passed: the stream
 * hands each read over and never reads it again, and 100 MB of input need no second 100 MB.
 */
export function redactionMask(values: Iterable<string>, options: MaskOptions = {}): SecretMask {
  return new SecretMask(values, { overwriteInput: true, ...options, encodedForms: true });
}
