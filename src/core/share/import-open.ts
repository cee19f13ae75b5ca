import { open } from 'node:fs/promises';
import { KeyholdError } from '../../shared/errors';
import type { SignerInfo } from '../../shared/share';
import type { Vault } from '../vault/vault';
import { decrypt } from './age';
import { BUNDLE_LIMITS } from './bundle';
import type { Bundle } from './bundle';
import { contactBySigningKey } from './contacts';
import { readBundle } from './seal';
import { loadVaultKeys } from './vault-keys';
import { timed, timedAsync, type PhaseTimer } from './phases';

export function describeSigner(signer: SignerInfo): string {
  if (!signer.signed) return 'NOBODY: the bundle is not signed';
  if (signer.self) return `this vault (${signer.fingerprint})`;
  if (signer.contact !== null) return `${signer.contact} (${signer.fingerprint})`;
  return `an unknown signer, fingerprint ${signer.fingerprint}: compare it with the sender before trusting it`;
}

export interface OpenImportOptions {
  passphrase?: string;
  /** Accept a bundle with no signature; the preview then warns that nobody vouches for it. */
  allowUnsigned?: boolean;
  onPhase?: PhaseTimer;
  /** The bundle file's name, recorded (with the signer) in the history of every item the import writes. */
  fileName?: string;
}

export interface OpenedImport {
  bundle: Bundle;
  signer: SignerInfo;
  fileName?: string;
}

/** Where an import's versions came from, as their history records it: the bundle and who signed it. */
export function bundleSource(opened: OpenedImport): string {
  const s = opened.signer;
  const by = !s.signed ? 'unsigned' : s.self ? `signed by this vault (${s.fingerprint})` : `signed by ${s.contact ?? 'an unknown signer'} (${s.fingerprint})`;
  return `bundle ${opened.fileName ?? '(unnamed)'}, ${by}`;
}

/** Reads a bundle file, refusing one over the size limit before reading it into memory. */
export async function readBundleFile(path: string): Promise<Uint8Array> {
  const folder = () => new KeyholdError('BadInput', `${path} is a folder, not a bundle file.`);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyholdError('NotFound', `No file ${path}.`);
    if (code === 'EACCES' || code === 'EPERM') throw new KeyholdError('BadInput', `Cannot read ${path}: permission denied.`);
    if (code === 'EISDIR') throw folder();
    throw e;
  }
  const tooLarge = () => new KeyholdError('TooLarge', `${path} is larger than ${BUNDLE_LIMITS.fileBytes / 1024 / 1024} MiB, the most Keyhold imports.`);
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw folder(); // opened on Linux and macOS, where only the read fails
    if (stat.size > BUNDLE_LIMITS.fileBytes) throw tooLarge();
    // Read in chunks up to the limit: a device or a pipe (/dev/zero) has no size to check first.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.allocUnsafe(1 << 20) });
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > BUNDLE_LIMITS.fileBytes) throw tooLarge();
      chunks.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/** Decrypts with the vault's identity (or the passphrase), then checks format, fields and signature. */
export async function openImport(vault: Vault, file: Uint8Array, options: OpenImportOptions = {}): Promise<OpenedImport> {
  const keys = await loadVaultKeys(vault);
  keys.signingKey.privateKey.fill(0);
  const plaintext = await timedAsync(options.onPhase, 'decrypt', () =>
    decrypt(file, { identities: [keys.ageIdentity], ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }) }),
  );
  const opened = timed(options.onPhase, 'verify', () =>
    readBundle(plaintext, { allowUnsigned: options.allowUnsigned ?? false, ...(options.onPhase ? { onPhase: options.onPhase } : {}) }),
  );
  plaintext.fill(0);
  const contact = opened.signer ? (contactBySigningKey(vault, opened.signer.publicKey)?.name ?? null) : null;
  const self = opened.signer ? opened.signer.publicKey.equals(keys.signingKey.publicKey) : false;
  const signer: SignerInfo = opened.signer
    ? {
        signed: true,
        fingerprint: opened.signer.fingerprint,
        publicKey: opened.signer.publicKey.toString('base64'),
        contact,
        self,
        trusted: self || contact !== null,
      }
    : { signed: false, fingerprint: null, publicKey: null, contact: null, self: false, trusted: false };
  return { bundle: opened.bundle, signer, ...(options.fileName === undefined ? {} : { fileName: options.fileName }) };
}
