import { KeyholdError } from '../../shared/errors';
import { encryptToRecipients, encryptWithPassphrase } from './age';
import { BUNDLE_LIMITS, parseBundleValue } from './bundle';
import type { Bundle } from './bundle';
import { parseStrictJson } from './json';
import { timed, type PhaseTimer } from './phases';
import { verifyBundle } from './signature';
import type { BundleSigner } from './signature';

/** Who can open an export: teammates' age recipients, or whoever knows a passphrase. Never both. */
export type EncryptionTarget = { recipients: readonly string[] } | { passphrase: string };

export interface SealOptions {
  armor?: boolean;
  /** Passphrase targets only; see `encryptWithPassphrase`. */
  scryptWorkFactor?: number;
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

/** Refuses a target that names both recipients and a passphrase, or neither. */
export function checkTarget(target: EncryptionTarget): void {
  const hasRecipients = 'recipients' in target && target.recipients !== undefined;
  const hasPassphrase = 'passphrase' in target && target.passphrase !== undefined;
  if (hasRecipients === hasPassphrase) {
    throw new KeyholdError('BadInput', 'Encrypt an export either to recipients or to a passphrase, not both and not neither.', { field: 'target' });
  }
}

/** Encrypts a serialized bundle to its target as an age file. */
export function encryptBundle(plaintext: Uint8Array, target: EncryptionTarget, options: SealOptions = {}): Promise<Uint8Array> {
  checkTarget(target);
  const armor = options.armor ?? false;
  if ('recipients' in target) return encryptToRecipients(plaintext, target.recipients, { armor });
  return encryptWithPassphrase(plaintext, target.passphrase, {
    armor,
    ...(options.scryptWorkFactor === undefined ? {} : { scryptWorkFactor: options.scryptWorkFactor }),
  });
}

/**
 * Parses and checks decrypted plaintext: size, JSON, version, schema, then signature. `onPhase`
 * hears the three steps as `verify:parse`, `verify:schema` and `verify:signature`.
 */
export function readBundle(plaintext: Uint8Array, options: { allowUnsigned?: boolean; onPhase?: PhaseTimer } = {}): OpenedBundle {
  if (plaintext.length > BUNDLE_LIMITS.plaintextBytes) {
    throw new KeyholdError('TooLarge', `This bundle is larger than ${BUNDLE_LIMITS.plaintextBytes / 1024 / 1024} MiB.`);
  }
  const { onPhase } = options;
  const value = timed(onPhase, 'verify:parse', () => parseStrictJson(plaintext));
  const bundle = timed(onPhase, 'verify:schema', () => parseBundleValue(value));
  return { bundle, signer: timed(onPhase, 'verify:signature', () => verifyBundle(bundle, { allowUnsigned: options.allowUnsigned })) };
}
