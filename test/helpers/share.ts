import { decrypt, type DecryptKeys } from '../../src/core/share/age';
import { createBundle, type BundleContent } from '../../src/core/share/bundle';
import { encryptBundle, readBundle, serializeBundle, type EncryptionTarget, type OpenedBundle, type SealOptions } from '../../src/core/share/seal';
import { signBundle } from '../../src/core/share/signature';

/** Builds, signs and encrypts a bundle from raw content, as an exporter would (no vault needed). */
export function sealBundle(content: BundleContent, privateKey: Uint8Array, target: EncryptionTarget, options: SealOptions = {}): Promise<Uint8Array> {
  return encryptBundle(serializeBundle(signBundle(createBundle(content), privateKey)), target, options);
}

/** Decrypts and checks an age file as an importer would (no vault needed). */
export async function openBundle(file: Uint8Array, options: DecryptKeys & { allowUnsigned?: boolean }): Promise<OpenedBundle> {
  return readBundle(await decrypt(file, options), options);
}
