import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

// Every key used by a vault is derived from one of two roots with a distinct label,
// so no key is ever used for two purposes.
export type KeyPurpose =
  | 'wrap' // KEK → wraps the vault key
  | 'check' // KEK → password verifier
  | 'lookup' // vault key → blind index for uniqueness
  | 'audit' // vault key → audit chain MAC
  | 'session'; // session secret → wraps the vault key for CLI sessions

export function deriveKey(root: Buffer, purpose: KeyPurpose, context = ''): Buffer {
  return Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `keyhold/${purpose}/${context}`, 32));
}

export function hmac(key: Buffer, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    // Length-prefix each part so ("ab","c") and ("a","bc") differ.
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    mac.update(len).update(bytes);
  }
  return mac.digest();
}

export const equalBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);
