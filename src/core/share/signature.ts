import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { KeyholdError, parseInput } from '../../shared/errors';
import { compiledSchemas } from './bundle';
import type { Bundle, UnsignedBundle } from './bundle';
import { canonicalJson } from './json';
import { timed, type PhaseTimer } from './phases';

/** Prepended to the canonical JSON so a bundle signature can never be replayed as another message's. */
export const SIGNATURE_CONTEXT = 'keyhold-bundle-v1\n';

// node:crypto imports raw Ed25519 keys only wrapped in DER; these are the fixed RFC 8410 headers
// in front of the 32 key bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;

export interface SigningKey {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  /** Raw 32-byte Ed25519 private key (the RFC 8032 seed). Secret. */
  privateKey: Buffer;
}

export interface BundleSigner {
  publicKey: Buffer;
  fingerprint: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new KeyholdError('Internal', 'Could not create a signing key.');
  }
  return { publicKey: Buffer.from(jwk.x, 'base64url'), privateKey: Buffer.from(jwk.d, 'base64url') };
}

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  if (privateKey.length !== KEY_BYTES) {
    throw new KeyholdError('BadInput', 'A signing key must be 32 bytes.');
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** The public half of a raw private key, e.g. to show a vault's own fingerprint. */
export function signingPublicKey(privateKey: Uint8Array): Buffer {
  const der = createPublicKey(privateKeyObject(privateKey)).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(SPKI_PREFIX.length));
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A short string two people can read to each other: the first 120 bits of SHA-256 of the raw
 * public key in RFC 4648 base32, in six groups of four (e.g. `MFRG-GZDF-…`).
 */
export function fingerprint(publicKey: Uint8Array): string {
  if (publicKey.length !== KEY_BYTES) throw new KeyholdError('BadInput', 'A public key must be 32 bytes.');
  const digest = createHash('sha256').update(publicKey).digest().subarray(0, 15);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** The exact bytes an Ed25519 signature covers: the context string, then the canonical JSON of everything but `signature`. */
export function signatureInput(bundle: UnsignedBundle | Bundle): Buffer {
  const { signature: _signature, ...signed } = bundle as Bundle;
  return Buffer.from(SIGNATURE_CONTEXT + canonicalJson(signed), 'utf8');
}

/** Checks every field, then signs. `onPhase` hears the two steps as `sign:schema` and `sign:signature`. */
export function signBundle(unsigned: UnsignedBundle, privateKey: Uint8Array, onPhase?: PhaseTimer): Bundle {
  const key = privateKeyObject(privateKey);
  const body = timed(onPhase, 'sign:schema', () => parseInput(compiledSchemas().unsigned, unsigned));
  // Member order does not affect the signature; this one reads well in a decrypted file.
  const withSigner = {
    format: body.format,
    version: body.version,
    exportedAt: body.exportedAt,
    signer: { alg: 'ed25519' as const, publicKey: signingPublicKey(privateKey).toString('base64') },
    items: body.items,
    tokensIncluded: body.tokensIncluded,
  };
  const signature = timed(onPhase, 'sign:signature', () => sign(null, signatureInput(withSigner), key).toString('base64'));
  return { ...withSigner, signature };
}

/**
 * Checks a parsed bundle's signature. An unsigned bundle is refused unless `allowUnsigned`, in which
 * case the result is null: the caller must then show that nobody vouches for the contents.
 */
export function verifyBundle(bundle: Bundle): BundleSigner;
export function verifyBundle(bundle: Bundle, options: { allowUnsigned?: boolean }): BundleSigner | null;
export function verifyBundle(bundle: Bundle, options: { allowUnsigned?: boolean } = {}): BundleSigner | null {
  if (bundle.signature === undefined || bundle.signer === undefined) {
    if (options.allowUnsigned) return null;
    throw new KeyholdError('Unsigned', 'This bundle is not signed, so Keyhold cannot tell who made it. Import it only if you trust where it came from.');
  }
  const publicKey = Buffer.from(bundle.signer.publicKey, 'base64');
  const signature = Buffer.from(bundle.signature, 'base64');
  let ok = false;
  try {
    ok = publicKey.length === KEY_BYTES && verify(null, signatureInput(bundle), publicKeyObject(publicKey), signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new KeyholdError(
      'SignatureInvalid',
      'The bundle signature does not match its contents: it was changed after it was signed, or not signed by the key it names.',
    );
  }
  return { publicKey, fingerprint: fingerprint(publicKey) };
}
