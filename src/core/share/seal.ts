import { KeyholdError } from '../../shared/errors';
import { decrypt, encryptToRecipients, encryptWithPassphrase } from './age';
import type { DecryptKeys } from './age';
import { BUNDLE_LIMITS, createBundle, parseBundleValue } from './bundle';
import type { Bundle, BundleContent } from './bundle';
import { parseStrictJson } from './json';
import { signBundle, verifyBundle } from './signature';
import type { BundleSigner } from './signature';

/** Who can open an export: teammates' age recipients, or whoever knows a passphrase. Never both. */
export type EncryptionTarget = { recipients: readonly string[] } | { passphrase: string };

export interface SealOptions {
  armor?: boolean;
  /** Passphrase targets only; see `encryptWithPassphrase`. */
  scryptWorkFactor?: number;
}

export interface OpenOptions extends DecryptKeys {
  allowUnsigned?: boolean;
}

export interface OpenedBundle {
  bundle: Bundle;
  /** Null only for an unsigned bundle opened with `allowUnsigned`. */
  signer: BundleSigner | null;
}

/** The plaintext Keyhold writes: indented so `age -d` output is readable, since readers ignore layout. */
export function serializeBundle(bundle: Bundle): Uint8Array {
  const bytes = Buffer.from(`${JSON.stringify(bundle, null, 2)}\n`, 'utf8');
  if (bytes.length > BUNDLE_LIMITS.plaintextBytes) {
    throw new KeyholdError('TooLarge', `A bundle may be at most ${BUNDLE_LIMITS.plaintextBytes / 1024 / 1024} MiB; export fewer items.`);
  }
  return bytes;
}

function checkTarget(target: EncryptionTarget): void {
  const hasRecipients = 'recipients' in target && target.recipients !== undefined;
  const hasPassphrase = 'passphrase' in target && target.passphrase !== undefined;
  if (hasRecipients === hasPassphrase) {
    throw new KeyholdError(
      'BadInput',
      hasRecipients
        ? 'An export is encrypted either to recipients or to a passphrase, never both.'
        : 'Choose recipients or a passphrase to encrypt the export.',
    );
  }
}

/** Builds, signs and encrypts a bundle; returns the bytes of the age file. */
export async function sealBundle(
  content: BundleContent,
  privateKey: Uint8Array,
  target: EncryptionTarget,
  options: SealOptions = {},
): Promise<Uint8Array> {
  checkTarget(target);
  const plaintext = serializeBundle(signBundle(createBundle(content), privateKey));
  if ('recipients' in target) return encryptToRecipients(plaintext, target.recipients, { armor: options.armor });
  return encryptWithPassphrase(plaintext, target.passphrase, options);
}

/** Parses and checks decrypted plaintext: size, JSON, version, schema, then signature. */
export function readBundle(plaintext: Uint8Array, options: { allowUnsigned?: boolean } = {}): OpenedBundle {
  if (plaintext.length > BUNDLE_LIMITS.plaintextBytes) {
    throw new KeyholdError('TooLarge', `This bundle is larger than ${BUNDLE_LIMITS.plaintextBytes / 1024 / 1024} MiB.`);
  }
  const bundle = parseBundleValue(parseStrictJson(plaintext));
  return { bundle, signer: verifyBundle(bundle, { allowUnsigned: options.allowUnsigned }) };
}

export async function openBundle(file: Uint8Array, options: OpenOptions): Promise<OpenedBundle> {
  const plaintext = await decrypt(file, options);
  return readBundle(plaintext, options);
}
