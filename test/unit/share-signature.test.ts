import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBundle } from '../../src/core/share/bundle';
import type { Bundle } from '../../src/core/share/bundle';
import { SIGNATURE_CONTEXT, fingerprint, generateSigningKey, signBundle, signatureInput, signingPublicKey, verifyBundle } from '../../src/core/share/signature';
import { expectKeyholdError, sampleContent } from '../fixtures/share/samples';

const key = generateSigningKey();
const reverseMembers = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(reverseMembers)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, reverseMembers(x)]),
        )
      : v;
const signed = (): Bundle => signBundle(createBundle(sampleContent()), key.privateKey);

describe('signing keys', () => {
  it('are raw 32-byte Ed25519 keys whose public half can be recomputed', () => {
    const other = generateSigningKey();
    expect(key.publicKey).toHaveLength(32);
    expect(key.privateKey).toHaveLength(32);
    expect(signingPublicKey(key.privateKey).equals(key.publicKey)).toBe(true);
    expect(other.privateKey.equals(key.privateKey)).toBe(false);
  });

  it('refuses a private key of the wrong size', async () => {
    await expectKeyholdError(() => signBundle(createBundle(sampleContent()), Buffer.alloc(31)), 'BadInput', /32 bytes/);
  });

  it('have a fingerprint of six groups of four base32 characters taken from SHA-256', () => {
    const fp = fingerprint(key.publicKey);
    expect(fp).toMatch(/^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}$/);
    expect(fingerprint(Buffer.from(key.publicKey))).toBe(fp);
    expect(fingerprint(generateSigningKey().publicKey)).not.toBe(fp);
    const bits = [...createHash('sha256').update(key.publicKey).digest().subarray(0, 15)].map((byte) => byte.toString(2).padStart(8, '0')).join('');
    const base32 = bits
      .match(/.{5}/g)!
      .map((group) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(group, 2)])
      .join('');
    expect(fp).toBe(base32.match(/.{4}/g)!.join('-'));
  });
});

describe('bundle signatures', () => {
  it('verify and name the signer', () => {
    const bundle = signed();
    expect(bundle.signer).toEqual({ alg: 'ed25519', publicKey: key.publicKey.toString('base64') });
    const signer = verifyBundle(bundle);
    expect(signer.publicKey.equals(key.publicKey)).toBe(true);
    expect(signer.fingerprint).toBe(fingerprint(key.publicKey));
  });

  it('cover the context prefix and the canonical JSON of everything but the signature', () => {
    const bundle = signed();
    const input = signatureInput(bundle).toString('utf8');
    expect(input.startsWith(SIGNATURE_CONTEXT)).toBe(true);
    const { signature: _signature, ...rest } = bundle;
    expect(JSON.parse(input.slice(SIGNATURE_CONTEXT.length))).toEqual(rest);
    expect(input).not.toContain(bundle.signature);
  });

  it('do not depend on member order', () => {
    const bundle = signed();
    const reordered = reverseMembers(bundle) as Bundle;
    expect(Object.keys(reordered)[0]).toBe('signature');
    expect(verifyBundle(reordered).fingerprint).toBe(fingerprint(key.publicKey));
  });

  const tampered: [string, (b: Bundle) => Bundle][] = [
    [
      'a changed value',
      (b) => ({ ...b, items: { ...b.items, profiles: [{ ...b.items.profiles[0]!, authData: { ANTHROPIC_API_KEY: 'x' } }, b.items.profiles[1]!] } }),
    ],
    ['a removed item', (b) => ({ ...b, items: { ...b.items, byokKeys: [] } })],
    ['a changed export time', (b) => ({ ...b, exportedAt: '2025-02-01T00:00:00.000Z' })],
    ['a flipped flag', (b) => ({ ...b, items: { ...b.items, profiles: b.items.profiles.map((p) => ({ ...p, saveSession: !p.saveSession })) } })],
    ['another signer key', (b) => ({ ...b, signer: { alg: 'ed25519', publicKey: generateSigningKey().publicKey.toString('base64') } })],
    ['a signature from another key', (b) => ({ ...b, signature: signBundle(createBundle(sampleContent()), generateSigningKey().privateKey).signature })],
  ];
  for (const [name, change] of tampered) {
    it(`fail with SignatureInvalid after ${name}`, async () => {
      await expectKeyholdError(() => verifyBundle(change(signed())), 'SignatureInvalid', /changed after it was signed/);
    });
  }

  it('refuse an unsigned bundle unless unsigned bundles are allowed', async () => {
    const { signer: _signer, signature: _signature, ...unsigned } = signed();
    await expectKeyholdError(() => verifyBundle(unsigned), 'Unsigned', /not signed/);
    expect(verifyBundle(unsigned, { allowUnsigned: true })).toBeNull();
    expect(verifyBundle(signed(), { allowUnsigned: true })?.fingerprint).toBe(fingerprint(key.publicKey));
  });

  it('are deterministic for the same key and content (Ed25519)', () => {
    expect(signed().signature).toBe(signed().signature);
  });
});
