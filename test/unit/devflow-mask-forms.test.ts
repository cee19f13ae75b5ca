import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MASK, SecretMask } from '../../src/core/devflow/mask';
import { encodedForms, MIN_ENCODED_LENGTH } from '../../src/core/devflow/mask-forms';

describe('encoded forms of a secret', () => {
  it('property: base64 and base64url of any bytes around a secret no longer carry the secret once masked', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.isWellFormed()),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom<BufferEncoding>('base64', 'base64url'),
        (secret, before, after, encoding) => {
          const mask = new SecretMask([secret]);
          const encoded = Buffer.concat([before, Buffer.from(secret, 'utf8'), after]).toString(encoding);
          const out = mask.maskText(encoded);
          expect(out).toContain(DEFAULT_MASK);
          // At most the characters that mix the secret with its neighbours are left on each side.
          expect(out.length - DEFAULT_MASK.length).toBeLessThanOrEqual(encoded.length - Math.floor((Buffer.byteLength(secret) * 8) / 6) + 2);
        },
      ),
    );
  });

  it('leaves out forms too short to be told from ordinary text, and the secret itself', () => {
    expect(encodedForms('abcd').every((f) => f.length >= MIN_ENCODED_LENGTH)).toBe(true);
    expect(encodedForms('plain-token-value')).not.toContain('plain-token-value');
    expect(encodedForms('x y/z+secret')).toEqual(expect.arrayContaining(['x%20y%2Fz%2Bsecret', 'x%20y%2fz%2bsecret', 'x+y%2Fz%2Bsecret']));
  });

  it('conceals a key with line breaks and quotes inside JSON, and inside JSON printed as JSON (a tool output in a Claude Code hook)', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"quoted"\\end\n-----END PRIVATE KEY-----\n';
    const mask = new SecretMask([pem]);
    const toolOutput = JSON.stringify({ key: pem });
    const hookInput = JSON.stringify({ tool_response: { stdout: toolOutput } });
    for (const text of [toolOutput, hookInput]) {
      const out = mask.maskText(text);
      expect(out, text).toContain(DEFAULT_MASK);
      expect(out).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    }
  });

  it('can be turned off', () => {
    const b64 = Buffer.from('a-long-secret-value').toString('base64');
    expect(new SecretMask(['a-long-secret-value'], { encodedForms: false }).maskText(b64)).toBe(b64);
  });
});
