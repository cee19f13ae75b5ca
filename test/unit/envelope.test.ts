import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, open, seal } from '../../src/core/crypto/envelope';

const key = randomBytes(32);
const ad = Buffer.from('vault|profiles|row|meta');

describe('cell envelope', () => {
  it('has the documented layout: version 1, 12-byte nonce, ciphertext, 16-byte tag', () => {
    const env = seal(key, Buffer.from('hello'), ad);
    expect(env[0]).toBe(1);
    expect(env.length).toBe(1 + 12 + 5 + 16);
  });

  it('round-trips any plaintext and uses a fresh nonce each time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const plain = Buffer.from(bytes);
        const a = seal(key, plain, ad);
        const b = seal(key, plain, ad);
        expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
        expect(open(key, a, ad).equals(plain)).toBe(true);
      }),
    );
  });

  it('rejects any single flipped bit anywhere in the envelope', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (bytes, pos, bit) => {
        const env = seal(key, Buffer.from(bytes), ad);
        const i = pos % env.length;
        env[i] = (env[i] as number) ^ (1 << bit);
        expect(() => open(key, env, ad)).toThrow(EnvelopeError);
      }),
    );
  });

  it('rejects a cell opened under other associated data (moved to another place)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (otherPlace) => {
        fc.pre(otherPlace !== ad.toString());
        const env = seal(key, Buffer.from('secret'), ad);
        expect(() => open(key, env, Buffer.from(otherPlace))).toThrow(EnvelopeError);
      }),
    );
  });

  it('rejects truncated envelopes and unknown versions with distinct reasons', () => {
    const env = seal(key, Buffer.from('x'), ad);
    expect(() => open(key, env.subarray(0, 20), ad)).toThrow(expect.objectContaining({ reason: 'short' }));
    const v2 = Buffer.from(env);
    v2[0] = 2;
    expect(() => open(key, v2, ad)).toThrow(expect.objectContaining({ reason: 'version' }));
    expect(() => open(randomBytes(32), env, ad)).toThrow(expect.objectContaining({ reason: 'auth' }));
  });
});
