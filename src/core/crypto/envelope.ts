import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

// One encrypted cell: version(1) | nonce(12) | ciphertext | tag(16), AES-256-GCM.
// The associated data binds the cell to its place, so a cell moved elsewhere fails to open.
export const ENVELOPE_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

export class EnvelopeError extends Error {
  constructor(readonly reason: 'version' | 'short' | 'auth') {
    super(`envelope ${reason}`);
  }
}

// Nonces come from a pool of CSPRNG bytes refilled in 4 KiB blocks: one getrandom call per 341
// nonces instead of one each, which dominated bulk writes. Each nonce is used once.
const pool = Buffer.alloc(NONCE_BYTES * 341);
let poolOffset = pool.length;

function nextNonce(): Buffer {
  if (poolOffset + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const nonce = Buffer.from(pool.subarray(poolOffset, poolOffset + NONCE_BYTES));
  pool.fill(0, poolOffset, poolOffset + NONCE_BYTES);
  poolOffset += NONCE_BYTES;
  return nonce;
}

export function seal(key: Buffer, plaintext: Buffer, ad: Buffer): Buffer {
  const nonce = nextNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(ad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([Buffer.of(ENVELOPE_VERSION), nonce, body, last, cipher.getAuthTag()]);
}

export function open(key: Buffer, envelope: Buffer, ad: Buffer): Buffer {
  if (envelope.length < HEADER_BYTES + TAG_BYTES) throw new EnvelopeError('short');
  if (envelope[0] !== ENVELOPE_VERSION) throw new EnvelopeError('version');
  const nonce = envelope.subarray(1, HEADER_BYTES);
  const tag = envelope.subarray(envelope.length - TAG_BYTES);
  const body = envelope.subarray(HEADER_BYTES, envelope.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(ad);
  decipher.setAuthTag(tag);
  const out = decipher.update(body);
  try {
    // Plaintext is only handed out once final() has checked the tag.
    return Buffer.concat([out, decipher.final()]);
  } catch {
    out.fill(0);
    throw new EnvelopeError('auth');
  }
}
