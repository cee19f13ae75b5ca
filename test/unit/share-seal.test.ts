import { describe, expect, it } from 'vitest';
import { decrypt, encryptToRecipients, encryptWithPassphrase, generateIdentity } from '../../src/core/share/age';
import type { Bundle } from '../../src/core/share/bundle';
import { serializeBundle } from '../../src/core/share/seal';
import { openBundle, sealBundle } from '../helpers/share';
import type { EncryptionTarget } from '../../src/core/share/seal';
import { fingerprint, generateSigningKey } from '../../src/core/share/signature';
import { FAST_SCRYPT, SECRET_VALUE, expectKeyholdError, sampleContent } from '../fixtures/share/samples';

const key = generateSigningKey();
const alice = await generateIdentity();
const bob = await generateIdentity();
const PASSPHRASE = 'light-original-energy-average';

const decode = async (file: Uint8Array, identity: string): Promise<Bundle> =>
  JSON.parse(Buffer.from(await decrypt(file, { identities: [identity] })).toString('utf8')) as Bundle;

describe('sealBundle / openBundle', () => {
  it.each([
    ['one recipient, binary', { recipients: [alice.recipient] }, false],
    ['two recipients, armored', { recipients: [alice.recipient, bob.recipient] }, true],
  ] as const)('round-trips to %s', async (_name, target, armor) => {
    const file = await sealBundle(sampleContent(), key.privateKey, target, { armor });
    for (const who of target.recipients.length === 2 ? [alice, bob] : [alice]) {
      const { bundle, signer } = await openBundle(file, { identities: [who.identity] });
      expect(bundle.items).toEqual(sampleContent().items);
      expect(bundle.exportedAt).toBe('2025-01-31T09:30:00.000Z');
      expect(bundle.tokensIncluded).toBe(true);
      expect(signer?.fingerprint).toBe(fingerprint(key.publicKey));
    }
  });

  it.each([false, true])('round-trips with a passphrase (armor: %s)', async (armor) => {
    const file = await sealBundle(sampleContent(), key.privateKey, { passphrase: PASSPHRASE }, { armor, scryptWorkFactor: FAST_SCRYPT });
    const { bundle, signer } = await openBundle(file, { passphrase: PASSPHRASE });
    expect(bundle.items.profiles[0]?.authData.ANTHROPIC_API_KEY).toBe(SECRET_VALUE);
    expect(signer?.publicKey.equals(key.publicKey)).toBe(true);
  });

  it('stamps the export time when the content has none', async () => {
    const { exportedAt: _exportedAt, ...content } = sampleContent();
    const before = Date.now();
    const file = await sealBundle(content, key.privateKey, { recipients: [alice.recipient] });
    const { bundle } = await openBundle(file, { identities: [alice.identity] });
    expect(Date.parse(bundle.exportedAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(bundle.exportedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('refuses both recipients and a passphrase, and neither', async () => {
    const both = { recipients: [alice.recipient], passphrase: PASSPHRASE } as unknown as EncryptionTarget;
    await expectKeyholdError(() => sealBundle(sampleContent(), key.privateKey, both), 'BadInput', /not both and not neither/);
    await expectKeyholdError(() => sealBundle(sampleContent(), key.privateKey, {} as EncryptionTarget), 'BadInput', /not both and not neither/);
  });

  it('refuses invalid content when exporting, without echoing values', async () => {
    const content = sampleContent();
    content.tokensIncluded = false;
    await expectKeyholdError(() => sealBundle(content, key.privateKey, { recipients: [alice.recipient] }), 'BadInput', /holds no auth tokens/);
  });

  it('reports an item changed after signing as SignatureInvalid', async () => {
    const file = await sealBundle(sampleContent(), key.privateKey, { recipients: [alice.recipient] });
    const bundle = await decode(file, alice.identity);
    bundle.items.profiles[0]!.authData.ANTHROPIC_API_KEY = 'sk-ant-attacker-controlled-value';
    const resealed = await encryptToRecipients(serializeBundle(bundle), [alice.recipient]);
    await expectKeyholdError(() => openBundle(resealed, { identities: [alice.identity] }), 'SignatureInvalid');
  });

  it('reports a flipped byte and a truncated file as BundleInvalid', async () => {
    const file = Buffer.from(await sealBundle(sampleContent(), key.privateKey, { recipients: [alice.recipient] }));
    const flipped = Buffer.from(file);
    flipped[flipped.length - 40]! ^= 0x80;
    await expectKeyholdError(() => openBundle(flipped, { identities: [alice.identity] }), 'BundleInvalid');
    await expectKeyholdError(() => openBundle(file.subarray(0, file.length - 17), { identities: [alice.identity] }), 'BundleInvalid');
  });

  it('reports a wrong passphrase and a file for other recipients as DecryptFailed', async () => {
    const locked = await sealBundle(sampleContent(), key.privateKey, { passphrase: PASSPHRASE }, { scryptWorkFactor: FAST_SCRYPT });
    await expectKeyholdError(() => openBundle(locked, { passphrase: 'not it' }), 'DecryptFailed', /Wrong passphrase/);
    const forBob = await sealBundle(sampleContent(), key.privateKey, { recipients: [bob.recipient] });
    await expectKeyholdError(() => openBundle(forBob, { identities: [alice.identity] }), 'DecryptFailed', /encrypted to other recipients/);
  });

  it('refuses an unsigned bundle unless allowed, then reports no signer', async () => {
    const file = await sealBundle(sampleContent(), key.privateKey, { recipients: [alice.recipient] });
    const { signer: _signer, signature: _signature, ...unsigned } = await decode(file, alice.identity);
    const unsignedFile = await encryptToRecipients(Buffer.from(JSON.stringify(unsigned)), [alice.recipient]);
    await expectKeyholdError(() => openBundle(unsignedFile, { identities: [alice.identity] }), 'Unsigned');
    const opened = await openBundle(unsignedFile, { identities: [alice.identity], allowUnsigned: true });
    expect(opened.signer).toBeNull();
    expect(opened.bundle.items).toEqual(sampleContent().items);
  });

  it('refuses an unknown version before anything else, naming it', async () => {
    const future = { format: 'keyhold-bundle', version: 2, items: { somethingNew: [] } };
    const file = await encryptWithPassphrase(Buffer.from(JSON.stringify(future)), PASSPHRASE, { scryptWorkFactor: FAST_SCRYPT });
    await expectKeyholdError(
      () => openBundle(file, { passphrase: PASSPHRASE }),
      'BundleInvalid',
      /^This bundle is format version 2; this Keyhold reads version 1\. Update Keyhold/,
    );
  });

  it('refuses an oversize bundle as TooLarge', async () => {
    const profiles = Array.from({ length: 50_001 }, (_, i) => ({ agentId: 'a', name: `p${i}`, authData: {}, saveSession: false }));
    const huge = { format: 'keyhold-bundle', version: 1, exportedAt: '2025-01-31T09:30:00Z', items: { profiles }, tokensIncluded: false };
    const file = await encryptToRecipients(Buffer.from(JSON.stringify(huge)), [alice.recipient]);
    await expectKeyholdError(() => openBundle(file, { identities: [alice.identity] }), 'TooLarge', /50,000 items/);
  });
});
