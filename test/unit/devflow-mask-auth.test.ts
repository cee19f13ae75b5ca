import { describe, expect, it } from 'vitest';
import { DEFAULT_MASK, SecretMask } from '../../src/core/devflow/mask';
import { secretParts } from '../../src/core/devflow/mask-forms';
import { redactionMask } from '../../src/core/devflow/redact';
import { redactSecrets, REDACTED } from '../../src/core/sync/remote-errors';
import { randomChars } from '../helpers/lookalike';

const M = DEFAULT_MASK;

// `mcp wrap` stores an mcp-remote header whole (AUTH_HEADER = "Bearer TOKEN"); a program that
// runs with it logs the token it sends, without the scheme.
describe('a stored Authorization value: its credentials are concealed on their own', () => {
  it('the token of "Bearer TOKEN" and of GitHub\'s "token TOKEN", any case of the scheme', () => {
    const token = randomChars(32);
    expect(secretParts(`Bearer ${token}`)).toEqual([token]);
    expect(secretParts(`bearer  ${token}`)).toEqual([token]);
    expect(secretParts(`token ${token}`)).toEqual([token]);
    const mask = new SecretMask([`Bearer ${token}`]);
    expect(mask.maskText(`POST /v1/messages with token ${token}\n`)).toBe(`POST /v1/messages with token ${M}\n`);
    expect(mask.maskText(`Authorization: Bearer ${token}\n`)).toBe(`Authorization: ${M}\n`);
    expect(redactionMask([`Bearer ${token}`]).maskText(`{"token":"${token}"}`)).toBe(`{"token":"${M}"}`);
  });

  it("Basic's base64, its decoded user:password and the password alone", () => {
    const password = `${randomChars(12)}-pa55`;
    const pair = `app:${password}`;
    const b64 = Buffer.from(pair).toString('base64');
    expect(secretParts(`Basic ${b64}`)).toEqual([b64, pair, password]);
    const mask = new SecretMask([`Basic ${b64}`]);
    expect(mask.maskText(`login app / ${password}\n`)).toBe(`login app / ${M}\n`);
    // Not Basic's pair (no colon, or not text): the token stands alone.
    const opaque = Buffer.from(randomChars(24)).toString('base64');
    expect(secretParts(`Basic ${opaque}`)).toEqual([opaque]);
    expect(secretParts(`Basic ${Buffer.from([0xff, 0x3a, 0x41, 0x42]).toString('base64')}`)).toEqual(['/zpBQg==']);
  });

  it('a value that does not start with a known scheme has no parts', () => {
    expect(secretParts('hello world')).toEqual([]);
    expect(secretParts(`Custom ${randomChars(32)}`)).toEqual([]);
    expect(secretParts(randomChars(32))).toEqual([]);
    expect(secretParts('Bearer')).toEqual([]);
  });

  it("a server's error that quotes the token alone is redacted before it is shown", () => {
    const token = randomChars(32);
    expect(redactSecrets(`invalid token ${token}`, [`Bearer ${token}`])).toBe(`invalid token ${REDACTED}`);
  });
});
