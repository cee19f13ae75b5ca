import { Encrypter, armor } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { checkRecipients, decrypt, encryptToRecipients, encryptWithPassphrase, generateIdentity, isArmored, recipientOf } from '../../src/core/share/age';
import { BUNDLE_LIMITS } from '../../src/core/share/bundle';
import { SharePassphrase } from '../../src/shared/share';
import { FAST_SCRYPT, expectKeyholdError } from '../fixtures/share/samples';

const plaintext = Buffer.from('{"hello":"world ✓"}\n', 'utf8');
const alice = await generateIdentity();
const bob = await generateIdentity();
const carol = await generateIdentity();
const PASSPHRASE = 'burst-swarm-slender-curve';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('identities and recipients', () => {
  it('generates X25519 identities any age release can use', async () => {
    expect(alice.identity).toMatch(/^AGE-SECRET-KEY-1[02-9ACDEFGHJKLMNPQRSTUVWXYZ]{58}$/);
    expect(alice.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(await recipientOf(alice.identity)).toBe(alice.recipient);
    expect(bob.recipient).not.toBe(alice.recipient);
  });

  it('accepts valid recipients and drops repeats', () => {
    expect(checkRecipients([alice.recipient, bob.recipient, alice.recipient])).toEqual([alice.recipient, bob.recipient]);
  });

  it('names the bad recipient by position and says what is wrong with it', async () => {
    const typo = alice.recipient.slice(0, -1) + (alice.recipient.endsWith('q') ? 'p' : 'q');
    await expectKeyholdError(() => checkRecipients([bob.recipient, typo]), 'BadInput', /^Recipient 2 \(age1.{8}…\) .*checksum/);
    await expectKeyholdError(() => checkRecipients(['age1abc']), 'BadInput', /^Recipient 1 \(age1abc\) is not a standard age public key/);
    await expectKeyholdError(() => checkRecipients([alice.recipient.toUpperCase()]), 'BadInput', /^Recipient 1 is not an age public key/);
    await expectKeyholdError(() => checkRecipients(['ssh-ed25519 AAAA']), 'BadInput', /SSH key/);
    await expectKeyholdError(() => checkRecipients([]), 'BadInput', /at least one recipient/);
  });

  it('refuses a secret key given as a recipient without echoing it', async () => {
    const error = await expectKeyholdError(() => checkRecipients([alice.identity]), 'BadInput', /is a secret key/);
    expect(error.message).not.toContain(alice.identity.slice(16, 30));
  });

  it('refuses a malformed identity without echoing it', async () => {
    const broken = alice.identity.slice(0, -1) + (alice.identity.endsWith('Q') ? 'P' : 'Q');
    const error = await expectKeyholdError(
      () => decrypt(new Uint8Array(0), { identities: [bob.identity, broken] }),
      'BadInput',
      /^Identity 2 is not an age secret key/,
    );
    expect(error.message).not.toContain(broken.slice(16, 30));
  });
});

describe('round trips', () => {
  it.each([false, true])('one recipient (armor: %s)', async (armored) => {
    const file = await encryptToRecipients(plaintext, [alice.recipient], { armor: armored });
    expect(isArmored(file)).toBe(armored);
    if (armored) expect(text(file)).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/);
    else expect(text(file.subarray(0, 22))).toBe('age-encryption.org/v1\n');
    expect(text(await decrypt(file, { identities: [alice.identity] }))).toBe(text(plaintext));
  });

  it('several recipients: each can decrypt alone, others cannot', async () => {
    const file = await encryptToRecipients(plaintext, [alice.recipient, bob.recipient], { armor: true });
    expect(text(await decrypt(file, { identities: [alice.identity] }))).toBe(text(plaintext));
    expect(text(await decrypt(file, { identities: [carol.identity, bob.identity] }))).toBe(text(plaintext));
    await expectKeyholdError(() => decrypt(file, { identities: [carol.identity] }), 'DecryptFailed', /None of your age keys/);
  });

  it.each([false, true])('passphrase (armor: %s)', async (armored) => {
    const file = await encryptWithPassphrase(plaintext, PASSPHRASE, { armor: armored, scryptWorkFactor: FAST_SCRYPT });
    expect(isArmored(file)).toBe(armored);
    expect(text(await decrypt(file, { passphrase: PASSPHRASE }))).toBe(text(plaintext));
  });

  it('armored input with CRLF line ends and surrounding white space', async () => {
    const file = text(await encryptToRecipients(plaintext, [alice.recipient], { armor: true }));
    const mangled = Buffer.from(`\r\n  ${file.replaceAll('\n', '\r\n')}\n\n`);
    expect(text(await decrypt(mangled, { identities: [alice.identity] }))).toBe(text(plaintext));
  });

  it('writes the default scrypt work factor of the age CLI (18) unless told otherwise', async () => {
    const header = (file: Uint8Array) => text(file).split('\n')[1];
    expect(header(await encryptWithPassphrase(Buffer.from('x'), PASSPHRASE, { scryptWorkFactor: FAST_SCRYPT }))).toMatch(/^-> scrypt \S+ 10$/);
    await expectKeyholdError(() => encryptWithPassphrase(plaintext, PASSPHRASE, { scryptWorkFactor: 9 }), 'BadInput', /work factor/);
    await expectKeyholdError(() => encryptWithPassphrase(plaintext, PASSPHRASE, { scryptWorkFactor: 21 }), 'BadInput', /work factor/);
  });
});

describe('failures', () => {
  const recipientFile = encryptToRecipients(plaintext, [alice.recipient]);
  const passphraseFile = encryptWithPassphrase(plaintext, PASSPHRASE, { scryptWorkFactor: FAST_SCRYPT });

  it('tells a wrong passphrase from a missing one and from the wrong kind of file', async () => {
    await expectKeyholdError(async () => decrypt(await passphraseFile, { passphrase: 'wrong' }), 'DecryptFailed', /^Wrong passphrase/);
    await expectKeyholdError(async () => decrypt(await passphraseFile, { identities: [alice.identity] }), 'DecryptFailed', /protected by a passphrase/);
    await expectKeyholdError(
      async () => decrypt(await recipientFile, { passphrase: PASSPHRASE }),
      'DecryptFailed',
      /encrypted to age keys, not to a passphrase/,
    );
    await expectKeyholdError(async () => decrypt(await recipientFile, {}), 'BadInput', /identity or a passphrase/);
  });

  it('refuses an unusable passphrase with the message the window shows for it (one rule, shared/share.ts)', async () => {
    for (const [passphrase, message] of [
      ['', 'The passphrase may not be empty.'],
      ['x'.repeat(1025), 'The passphrase is too long.'],
      ['lone \uD800 half', 'The passphrase is not valid Unicode text.'],
    ] as const) {
      await expectKeyholdError(() => encryptWithPassphrase(plaintext, passphrase, { scryptWorkFactor: FAST_SCRYPT }), 'BadInput', new RegExp(`^${message}$`));
      await expectKeyholdError(async () => decrypt(await passphraseFile, { passphrase }), 'BadInput', new RegExp(`^${message}$`));
      expect(SharePassphrase.safeParse(passphrase).error?.issues[0]?.message).toBe(message);
    }
  });

  it('reports a flipped payload byte as BundleInvalid', async () => {
    const file = Buffer.from(await recipientFile);
    file[file.length - 20]! ^= 0x01;
    await expectKeyholdError(() => decrypt(file, { identities: [alice.identity] }), 'BundleInvalid', /failed to authenticate/);
  });

  it('reports a changed header as BundleInvalid', async () => {
    const file = Buffer.from(await recipientFile);
    const mac = file.indexOf('\n--- ') + 6;
    file[mac] = file[mac] === 0x41 ? 0x42 : 0x41;
    await expectKeyholdError(() => decrypt(file, { identities: [alice.identity] }), 'BundleInvalid', /header was changed/);
  });

  it('reports truncated files, binary or armored, as BundleInvalid', async () => {
    const file = await recipientFile;
    for (const cut of [10, file.length - 30, file.length - 1]) {
      await expectKeyholdError(() => decrypt(file.subarray(0, cut), { identities: [alice.identity] }), 'BundleInvalid');
    }
    const armored = text(await encryptToRecipients(plaintext, [alice.recipient], { armor: true }));
    const lines = armored.trimEnd().split('\n');
    const missingFooter = lines.slice(0, -1).join('\n');
    const missingLine = [...lines.slice(0, 3), ...lines.slice(4)].join('\n');
    for (const damaged of [missingFooter, missingLine]) {
      await expectKeyholdError(() => decrypt(Buffer.from(damaged), { identities: [alice.identity] }), 'BundleInvalid');
    }
  });

  it('refuses files that are not age files without echoing their contents', async () => {
    const error = await expectKeyholdError(
      () => decrypt(Buffer.from('{"apiKey":"sk-ant-api03-SECRETVALUE-must-never-appear-in-errors"}'), { passphrase: 'x' }),
      'BundleInvalid',
      /not an age-encrypted file/,
    );
    expect(error.message).not.toContain('apiKey');
    const wrongVersion = Buffer.from('age-encryption.org/v1\n-> X25519 !!!\n--- x\n');
    await expectKeyholdError(() => decrypt(wrongVersion, { identities: [alice.identity] }), 'BundleInvalid', /header could not be read/);
  });

  it('refuses a plaintext over 64 MiB when encrypting, and a file over 96 MiB before decrypting', async () => {
    const big = new Uint8Array(BUNDLE_LIMITS.plaintextBytes + 1);
    await expectKeyholdError(() => encryptToRecipients(big, [alice.recipient]), 'TooLarge', /64 MiB/);
    await expectKeyholdError(() => encryptWithPassphrase(big, PASSPHRASE), 'TooLarge', /64 MiB/);
    await expectKeyholdError(() => decrypt(new Uint8Array(BUNDLE_LIMITS.fileBytes + 1), { passphrase: 'x' }), 'TooLarge', /96 MiB/);
  });

  it('stops decrypting once the plaintext passes 64 MiB', async () => {
    // Written with age-encryption directly: Keyhold itself refuses to produce such a file.
    const encrypter = new Encrypter();
    encrypter.addRecipient(alice.recipient);
    const file = await encrypter.encrypt(new Uint8Array(BUNDLE_LIMITS.plaintextBytes + 1));
    await expectKeyholdError(() => decrypt(file, { identities: [alice.identity] }), 'TooLarge', /larger than 64 MiB/);
  });

  it('refuses a passphrase file whose work factor is above what it will compute', async () => {
    const file = await encryptWithPassphrase(plaintext, PASSPHRASE, { scryptWorkFactor: FAST_SCRYPT });
    const lines = text(file).split('\n');
    // Changing the work factor invalidates the header MAC, but the work factor is checked first.
    const edited = Buffer.concat([
      Buffer.from([lines[0], lines[1]!.replace(/ 10$/, ' 21')].join('\n')),
      file.subarray(lines[0]!.length + lines[1]!.length + 1),
    ]);
    await expectKeyholdError(() => decrypt(edited, { passphrase: PASSPHRASE }), 'BundleInvalid', /work factor above 20/);
  });

  it('treats age armor produced by age-encryption itself as armored', () => {
    expect(isArmored(Buffer.from(armor.encode(new Uint8Array([1, 2, 3]))))).toBe(true);
    expect(isArmored(Buffer.from('age-encryption.org/v1\n'))).toBe(false);
  });
});
