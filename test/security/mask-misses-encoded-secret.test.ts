import { describe, expect, it } from 'vitest';
import { DEFAULT_MASK, SecretMask } from '../../src/core/devflow/mask';

// Attack (or accident): a program prints a secret encoded rather than as it is (an HTTP Basic
// header in a debug log, a hex dump, a URL with the token as a query parameter), and the masking
// of `keyhold run` lets it through to the terminal, the CI log or the screen share.

const SECRET = 's3cr3t/Tok+en?&=with space~é';
const mask = new SecretMask([SECRET]);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('masking catches the encoded forms of a secret', () => {
  it.each([
    ['base64', b64(SECRET)],
    ['base64url', b64url(SECRET)],
    ['hex', hex(SECRET)],
    ['HEX', hex(SECRET).toUpperCase()],
    ['URL component', encodeURIComponent(SECRET)],
    ['URL, lower-case escapes', encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
    ['form encoding', new URLSearchParams({ t: SECRET }).toString().slice(2)],
  ])('%s', (_form, encoded) => {
    const out = mask.maskText(`before ${encoded} after\n`);
    expect(out).toContain(DEFAULT_MASK);
    expect(out).not.toContain(encoded);
    expect(out.startsWith('before ')).toBe(true);
    expect(out.endsWith(' after\n')).toBe(true);
  });

  it.each(['u:', 'us:', 'use:'])('base64 of the secret after a prefix of any length (%s, HTTP Basic style)', (prefix) => {
    const header = `Authorization: Basic ${b64(`${prefix}${SECRET}`)}`;
    const out = mask.maskText(header);
    expect(out).toContain(DEFAULT_MASK);
    // What is left of the encoded text no longer decodes to the secret or to most of it.
    const left = out.replace(DEFAULT_MASK, '');
    expect(Buffer.from(left.split(' ').pop() ?? '', 'base64').toString('utf8')).not.toContain(SECRET.slice(4, 20));
  });

  it('leaves ordinary base64 and hex alone', () => {
    const ordinary = `${b64('nothing secret in here at all')} ${hex('nor here')}`;
    expect(mask.maskText(ordinary)).toBe(ordinary);
  });
});
