import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decrypt, recipientOf } from '../../src/core/share/age';
import type { Bundle } from '../../src/core/share/bundle';
import { readBundle, serializeBundle } from '../../src/core/share/seal';
import { fingerprint, signBundle, signatureInput, signingPublicKey } from '../../src/core/share/signature';
import { docExample } from '../fixtures/share/samples';

// docs/bundle-format.md promises its worked example was made by this code; this keeps it true.
const doc = readFileSync('docs/bundle-format.md', 'utf8');
const example = docExample;

describe('docs/bundle-format.md worked example', () => {
  const seed = Buffer.from(example('seed').trim(), 'hex');
  const plaintext = example('plaintext');
  const { bundle, signer } = readBundle(Buffer.from(plaintext, 'utf8'));

  it('verifies with the stated key and fingerprint', () => {
    expect(seed).toHaveLength(32);
    expect(signer?.publicKey.equals(signingPublicKey(seed))).toBe(true);
    expect(signer?.fingerprint).toBe(example('fingerprint').trim());
    expect(fingerprint(signingPublicKey(seed))).toBe(example('fingerprint').trim());
    expect(doc).toContain(signingPublicKey(seed).toString('hex'));
  });

  it('shows the exact signature input, and its size and hash', () => {
    const input = signatureInput(bundle);
    expect(input.toString('utf8')).toBe(example('signature-input').replace(/\n$/, ''));
    expect(doc).toContain(`${input.length} bytes`);
    expect(doc).toContain(createHash('sha256').update(input).digest('hex'));
  });

  it('is byte for byte what Keyhold writes, signature included (Ed25519 is deterministic)', () => {
    const { signer: _signer, signature: _signature, ...unsigned } = bundle;
    const resigned: Bundle = signBundle(unsigned, seed);
    expect(resigned.signature).toBe(bundle.signature);
    expect(Buffer.from(serializeBundle(resigned)).toString('utf8')).toBe(plaintext);
  });

  it('has an armored file that decrypts to the plaintext with the stated identity', async () => {
    const identity = example('identity').trim();
    expect(doc).toContain(await recipientOf(identity));
    const out = await decrypt(Buffer.from(example('armored')), { identities: [identity] });
    expect(Buffer.from(out).toString('utf8')).toBe(plaintext);
  });
});
