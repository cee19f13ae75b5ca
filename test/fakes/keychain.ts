import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretStorageBackend, SecretStoragePort } from '../../src/core/desktop';

/** An in-memory keychain: AES-GCM under a key only this object holds, like safeStorage's. */
export function fakeKeychain(backend: SecretStorageBackend = 'gnome_libsecret') {
  const key = randomBytes(32);
  const state = { backend, encrypted: 0 };
  const port: SecretStoragePort = {
    isAvailable: () => true,
    backend: () => state.backend,
    encrypt(plainText) {
      state.encrypted++;
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plainText, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(cipherText) {
      const d = createDecipheriv('aes-256-gcm', key, cipherText.subarray(0, 12));
      d.setAuthTag(cipherText.subarray(12, 28));
      return Buffer.concat([d.update(cipherText.subarray(28)), d.final()]).toString('utf8');
    },
  };
  return { port, state };
}
