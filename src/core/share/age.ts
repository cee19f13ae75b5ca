import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { Identity, Stanza } from 'age-encryption';
import { KeyholdError } from '../../shared/errors';
import { AGE_RECIPIENT, SharePassphrase } from '../../shared/share';
import { BUNDLE_LIMITS } from './bundle';

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`. Secret. */
  identity: string;
  /** `age1…`, safe to share. */
  recipient: string;
}

export interface ArmorOption {
  /** ASCII armor (PEM-like text) instead of binary. */
  armor?: boolean;
}

export interface PassphraseOptions extends ArmorOption {
  /** log2 of scrypt's N. Defaults to 18 like the age CLI; lower only in tests. */
  scryptWorkFactor?: number;
}

export interface DecryptKeys {
  identities?: readonly string[];
  passphrase?: string;
}

export const MAX_RECIPIENTS = 1000;
export const DEFAULT_SCRYPT_WORK_FACTOR = 18;
// age-encryption refuses to decrypt above 20, so Keyhold never writes a file it could not read back.
const MAX_SCRYPT_WORK_FACTOR = 20;
const MIN_SCRYPT_WORK_FACTOR = 10;

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const BINARY_MAGIC = 'age-encryption.org/v1\n';
/** Always X25519, so any age release can decrypt what this identity's teammates send. */
export async function generateIdentity(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string): Promise<string> {
  checkIdentity(identity, 1);
  return identityToRecipient(identity);
}

const preview = (s: string): string => (s.length > 16 ? `${s.slice(0, 12)}…` : s);

function recipientProblem(recipient: string): string | null {
  if (/^AGE-SECRET-KEY-/i.test(recipient)) {
    return 'is a secret key, not a recipient. Share only the public key that starts with age1.';
  }
  if (recipient.startsWith('ssh-')) return 'is an SSH key; Keyhold encrypts only to age keys (age1…).';
  if (!recipient.startsWith('age1')) return 'is not an age public key (age1…).';
  // Native X25519 recipients only ("age1" + 52 data + 6 checksum bech32 characters). Post-quantum and
  // plugin recipients are refused because the age CLI many teammates run cannot read them.
  if (!AGE_RECIPIENT.test(recipient)) {
    return `(${preview(recipient)}) is not a standard age public key: expected "age1" followed by 58 lowercase bech32 characters.`;
  }
  try {
    new Encrypter().addRecipient(recipient);
  } catch {
    return `(${preview(recipient)}) is not a valid age public key: its checksum does not match, so it was probably mistyped.`;
  }
  return null;
}

/** Throws BadInput naming the first bad recipient; returns the list without repeats. */
export function checkRecipients(recipients: readonly string[]): string[] {
  if (recipients.length === 0) throw new KeyholdError('BadInput', 'Add at least one recipient (age1…).', { field: 'recipients' });
  const unique = [...new Set(recipients)];
  if (unique.length > MAX_RECIPIENTS) {
    throw new KeyholdError('TooLarge', `A file may be encrypted to at most ${MAX_RECIPIENTS} recipients.`, { field: 'recipients' });
  }
  recipients.forEach((r, i) => {
    const problem = recipientProblem(r);
    if (problem) throw new KeyholdError('BadInput', `Recipient ${i + 1} ${problem}`, { field: 'recipients' });
  });
  return unique;
}

// Identities are secret: messages name them by position only.
function checkIdentity(identity: string, position: number): void {
  const problem = new KeyholdError('BadInput', `Identity ${position} is not an age secret key (AGE-SECRET-KEY-1…).`, {
    field: 'identities',
  });
  if (!identity.startsWith('AGE-SECRET-KEY-1')) throw problem;
  try {
    new Decrypter().addIdentity(identity);
  } catch {
    throw problem;
  }
}

function checkPlaintext(bytes: Uint8Array): void {
  if (bytes.length > BUNDLE_LIMITS.plaintextBytes) {
    throw new KeyholdError('TooLarge', `A bundle may be at most ${BUNDLE_LIMITS.plaintextBytes / 1024 / 1024} MiB.`);
  }
}

function checkPassphrase(passphrase: string): void {
  const checked = SharePassphrase.safeParse(passphrase);
  if (!checked.success) throw new KeyholdError('BadInput', checked.error.issues[0]?.message ?? 'The passphrase is not usable.', { field: 'passphrase' });
}

const output = (file: Uint8Array, options: ArmorOption): Uint8Array => (options.armor ? new TextEncoder().encode(armor.encode(file)) : file);

export async function encryptToRecipients(bytes: Uint8Array, recipients: readonly string[], options: ArmorOption = {}): Promise<Uint8Array> {
  checkPlaintext(bytes);
  const encrypter = new Encrypter();
  for (const r of checkRecipients(recipients)) encrypter.addRecipient(r);
  return output(await encrypter.encrypt(bytes), options);
}

export async function encryptWithPassphrase(bytes: Uint8Array, passphrase: string, options: PassphraseOptions = {}): Promise<Uint8Array> {
  checkPlaintext(bytes);
  checkPassphrase(passphrase);
  const logN = options.scryptWorkFactor ?? DEFAULT_SCRYPT_WORK_FACTOR;
  if (!Number.isInteger(logN) || logN < MIN_SCRYPT_WORK_FACTOR || logN > MAX_SCRYPT_WORK_FACTOR) {
    throw new KeyholdError('BadInput', `The scrypt work factor must be a whole number from ${MIN_SCRYPT_WORK_FACTOR} to ${MAX_SCRYPT_WORK_FACTOR}.`);
  }
  const encrypter = new Encrypter();
  encrypter.setScryptWorkFactor(logN);
  encrypter.setPassphrase(passphrase);
  return output(await encrypter.encrypt(bytes), options);
}

export function isArmored(file: Uint8Array): boolean {
  let i = 0;
  while (i < file.length && (file[i] === 0x20 || file[i] === 0x09 || file[i] === 0x0a || file[i] === 0x0d)) i++;
  return Buffer.from(file.subarray(i, i + ARMOR_BEGIN.length)).toString('latin1') === ARMOR_BEGIN;
}

function dearmor(file: Uint8Array): Uint8Array {
  if (!isArmored(file)) {
    if (Buffer.from(file.subarray(0, BINARY_MAGIC.length)).toString('latin1') !== BINARY_MAGIC) {
      throw new KeyholdError('BundleInvalid', 'This is not an age-encrypted file.');
    }
    return file;
  }
  try {
    return armor.decode(Buffer.from(file).toString('latin1'));
  } catch {
    throw new KeyholdError('BundleInvalid', 'The armored age file is damaged: its text was changed or cut short.');
  }
}

/** Sees the header's stanzas before the real identities do, to tell "wrong passphrase" from "not for you". */
class StanzaObserver implements Identity {
  types: string[] = [];
  unwrapFileKey(stanzas: Stanza[]): null {
    this.types = stanzas.map((s) => s.args[0] ?? '');
    return null;
  }
}

function noMatch(types: string[], keys: DecryptKeys): KeyholdError {
  const byPassphrase = types.includes('scrypt');
  const hasIdentities = (keys.identities?.length ?? 0) > 0;
  if (byPassphrase) {
    return keys.passphrase !== undefined
      ? new KeyholdError('DecryptFailed', 'Wrong passphrase for this file.', { field: 'passphrase' })
      : new KeyholdError('DecryptFailed', 'This file is protected by a passphrase. Enter the passphrase to open it.', {
          field: 'passphrase',
        });
  }
  return hasIdentities
    ? new KeyholdError('DecryptFailed', 'None of your age keys can open this file: it was encrypted to other recipients. Ask the sender to add your age1… key.')
    : new KeyholdError('DecryptFailed', 'This file is encrypted to age keys, not to a passphrase. Open it with a vault whose key it was encrypted to.');
}

function headerError(e: unknown, observer: StanzaObserver, keys: DecryptKeys): KeyholdError {
  const reason = e instanceof Error ? e.message : '';
  if (reason === "no identity matched any of the file's recipients") return noMatch(observer.types, keys);
  if (reason === 'invalid header HMAC') {
    return new KeyholdError('BundleInvalid', 'The file header was changed or damaged after it was encrypted.');
  }
  if (reason === 'scrypt work factor is too high') {
    return new KeyholdError('BundleInvalid', 'This file uses a passphrase work factor above 20, which Keyhold refuses to compute.');
  }
  return new KeyholdError('BundleInvalid', 'This age file is damaged or cut short: its header could not be read.');
}

const oneChunk = (bytes: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });

/** Decrypts an age file, armored or binary, refusing plaintext over the bundle limit. */
export async function decrypt(file: Uint8Array, keys: DecryptKeys): Promise<Uint8Array> {
  if ((keys.identities?.length ?? 0) === 0 && keys.passphrase === undefined) {
    throw new KeyholdError('BadInput', 'Give an age identity or a passphrase to open this file.');
  }
  const observer = new StanzaObserver();
  const decrypter = new Decrypter();
  decrypter.addIdentity(observer);
  keys.identities?.forEach((identity, i) => {
    checkIdentity(identity, i + 1);
    decrypter.addIdentity(identity);
  });
  if (keys.passphrase !== undefined) {
    checkPassphrase(keys.passphrase);
    decrypter.addPassphrase(keys.passphrase);
  }
  if (file.length > BUNDLE_LIMITS.fileBytes) {
    throw new KeyholdError('TooLarge', `This file is larger than ${BUNDLE_LIMITS.fileBytes / 1024 / 1024} MiB, the most Keyhold imports.`);
  }
  const binary = dearmor(file);

  let plaintext: ReadableStream<Uint8Array>;
  try {
    plaintext = await decrypter.decrypt(oneChunk(binary));
  } catch (e) {
    throw headerError(e, observer, keys);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = plaintext.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > BUNDLE_LIMITS.plaintextBytes) {
        await reader.cancel();
        throw new KeyholdError('TooLarge', `This bundle is larger than ${BUNDLE_LIMITS.plaintextBytes / 1024 / 1024} MiB.`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof KeyholdError) throw e;
    throw new KeyholdError('BundleInvalid', 'This file is damaged or cut short: its encrypted contents failed to authenticate.');
  }
  return Buffer.concat(chunks);
}
