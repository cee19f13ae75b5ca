import { createPrivateKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { beforeEach } from 'vitest';
import { join } from 'node:path';
import { encryptToRecipients } from '../../src/core/share/age';
import { BUNDLE_FORMAT, BUNDLE_VERSION, createBundle, type Bundle, type BundleContent, type UnsignedBundle } from '../../src/core/share/bundle';
import { serializeBundle } from '../../src/core/share/seal';
import { generateSigningKey, signatureInput, signBundle, signingPublicKey } from '../../src/core/share/signature';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import type { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault, tempDir } from '../helpers/vault';

export type HostileProfile = BundleContent['items']['profiles'][number];

/**
 * A bundle as an attacker (or a careless teammate) would write it: any profiles, signed with a key
 * the receiver has never seen, encrypted to the receiving vault. Returns the file's path.
 */
export async function hostileBundle(
  to: Vault,
  dir: string,
  profiles: HostileProfile[],
  options: { signingKey?: Uint8Array; unchecked?: boolean } = {},
): Promise<string> {
  const privateKey = options.signingKey ?? generateSigningKey().privateKey;
  const tokensIncluded = profiles.some((p) => p.authToken !== undefined);
  // `unchecked`: signed as an exporter that does not share Keyhold's rules would sign it.
  const signed = options.unchecked
    ? signUnchecked({ format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: new Date().toISOString(), items: { profiles }, tokensIncluded }, privateKey)
    : signBundle(createBundle({ tokensIncluded, items: { profiles } }), privateKey);
  const file = await encryptToRecipients(serializeBundle(signed), [(await vaultIdentity(to)).recipient]);
  const path = join(dir, `bundle-${Math.random().toString(36).slice(2)}.age`);
  writeFileSync(path, file);
  return path;
}

function signUnchecked(unsigned: UnsignedBundle, privateKey: Uint8Array): Bundle {
  const withSigner = { ...unsigned, signer: { alg: 'ed25519' as const, publicKey: signingPublicKey(privateKey).toString('base64') } };
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), privateKey]), format: 'der', type: 'pkcs8' });
  return { ...withSigner, signature: sign(null, signatureInput(withSigner), key).toString('base64') };
}

/** The receiving side of an attack: a new vault and a folder for the bundle files, made before each test and removed after it. */
export function useReceiver(): { vault: Vault; dir: string } {
  const receiver = {} as { vault: Vault; dir: string };
  const cleanups = useCleanups();
  beforeEach(async () => {
    const b = await newVault();
    const files = tempDir('keyhold-hostile-');
    cleanups.push(b.cleanup, files.cleanup);
    receiver.vault = b.vault;
    receiver.dir = files.dir;
  });
  return receiver;
}
