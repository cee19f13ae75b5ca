import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MASK, SecretMask } from '../../src/core/devflow/mask';
import { secretParts } from '../../src/core/devflow/mask-forms';
import { redactionMask } from '../../src/core/devflow/redact';
import { redactSecrets, REDACTED } from '../../src/core/sync/remote-errors';
import { randomChars } from '../helpers/lookalike';

const M = DEFAULT_MASK;
const pw = () => `${randomChars(12)}-pa55`;

/** Feeds the input in pieces cut at the given points, as a child's output arrives. */
function streamed(mask: SecretMask, input: Buffer, cuts: number[]): string {
  const masker = mask.createMasker();
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b)) {
    out.push(masker.write(input.subarray(at, cut)));
    at = cut;
  }
  out.push(masker.write(input.subarray(at)), masker.end());
  return Buffer.concat(out).toString('utf8');
}

describe('a stored URL with a password: its parts are concealed on their own', () => {
  it('the password alone, as a driver error prints it, and the userinfo', () => {
    const password = pw();
    const mask = new SecretMask([`postgres://app:${password}@db:5432/shop`]);
    expect(mask.maskText(`password authentication failed for user app (password ${password})\n`)).toBe(
      `password authentication failed for user app (password ${M})\n`,
    );
    expect(mask.maskText(`connecting as app:${password}\n`)).toBe(`connecting as ${M}\n`);
    // The whole URL, the longest, is one mask, not a mask inside what is left of it.
    expect(mask.maskText(`url=postgres://app:${password}@db:5432/shop;`)).toBe(`url=${M};`);
    expect(mask.maskText(`{"user":"app","password":"${password}","host":"db"}`)).toBe(`{"user":"app","password":"${M}","host":"db"}`);
  });

  it('the password as written and percent-decoded, and the decoded userinfo in an HTTP Basic header', () => {
    const raw = 'S3cr%2Ft%40pa55'; // S3cr/t@pa55
    const decodedPassword = 'S3cr/t@pa55';
    const mask = new SecretMask([`https://svc%40corp:${raw}@api.example.com/v1`]);
    expect(mask.maskText(`raw ${raw} decoded ${decodedPassword}`)).toBe(`raw ${M} decoded ${M}`);
    const basic = Buffer.from(`svc@corp:${decodedPassword}`).toString('base64');
    // At most the last character, which mixes in the padding, is left (as of any value: mask-forms.ts).
    expect(mask.maskText(`Authorization: Basic ${basic}\n`)).toMatch(/^Authorization: Basic <concealed by keyhold>[A-Za-z0-9+/]?=*\n$/);
    // The encoded forms of a part are concealed as a value's are.
    expect(mask.maskText(JSON.stringify({ pw: decodedPassword }))).toBe(`{"pw":"${M}"}`);
  });

  it('the value of a credential parameter of its query, as written and form-decoded', () => {
    const key = randomChars(24);
    const mask = new SecretMask([`https://api.example.com/v1?region=eu&api_key=${key}`, 'mongodb://h/db?authSource=admin&password=p%21ss+word9']);
    expect(mask.maskText(`sent key ${key}`)).toBe(`sent key ${M}`);
    expect(mask.maskText('auth with p!ss word9 and p!ss+word9 and p%21ss+word9')).toBe(`auth with ${M} and ${M} and ${M}`);
    expect(mask.maskText('region=eu&authSource=admin')).toBe('region=eu&authSource=admin');
  });

  it('the value of a credential parameter of its fragment (an OAuth callback), not the rest of it', () => {
    const [token, key] = [randomChars(32), randomChars(24)];
    const mask = new SecretMask([`https://app.example.com/callback#access_token=${token}&token_type=bearer`, `https://app.example.com/login#key=${key}`]);
    expect(mask.maskText(`got token ${token}, then key ${key}`)).toBe(`got token ${M}, then key ${M}`);
    expect(mask.maskText('token_type=bearer at https://app.example.com/callback')).toBe('token_type=bearer at https://app.example.com/callback');
    expect(secretParts(`https://app.example.com/callback#access_token=${token}&token_type=bearer`)).toEqual([token]);
    expect(secretParts('https://docs.example.com/guide#section-2')).toEqual([]);
  });

  it('conceals a password split across any chunk boundaries', () => {
    const password = pw();
    const mask = new SecretMask([`redis://:${password}@cache:6379/0`]);
    const input = Buffer.from(`AUTH failed: WRONGPASS ${password} is wrong; ${Buffer.from(password).toString('hex')}\n`);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: input.length }), { maxLength: 10 }), (cuts) => {
        expect(streamed(mask, input, cuts)).toBe(`AUTH failed: WRONGPASS ${M} is wrong; ${M}\n`);
      }),
      { numRuns: 150 },
    );
  });

  it('a password shorter than a value must be (4 characters) is not concealed alone; its URL and userinfo still are', () => {
    const mask = new SecretMask(['postgres://admin:pw9@db/shop'], { mask: '***' });
    expect(mask.maskText('pw9 postgres://admin:pw9@db/shop admin:pw9')).toBe('pw9 *** ***');
    expect(new SecretMask(['postgres://admin:pw99@db/shop'], { mask: '***' }).maskText('pw99')).toBe('***');
  });

  it('a password that is its user name (a local default) is not concealed alone, so output keeps the name; the URL and userinfo still are', () => {
    const mask = new SecretMask(['postgres://postgres:postgres@localhost:5432/dev']);
    expect(mask.maskText('connected to postgres as postgres\n')).toBe('connected to postgres as postgres\n');
    expect(mask.maskText('auth postgres:postgres\n')).toBe(`auth ${M}\n`);
    expect(mask.maskText('postgres://postgres:postgres@localhost:5432/dev')).toBe(M);
    expect(secretParts('postgres://postgres:postgres@localhost:5432/dev')).toEqual(['postgres:postgres']);
  });

  it('placeholders and values without a URL credential add nothing', () => {
    expect(secretParts('postgres://app:${DB_PASSWORD}@db/shop')).toEqual([]);
    expect(secretParts('https://api.example.com/v1?api_key=YOUR_API_KEY')).toEqual([]);
    expect(secretParts('postgres://db:5432/shop?sslmode=require')).toEqual([]);
    expect(secretParts('plain-token-value')).toEqual([]);
    expect(new SecretMask(['postgres://app@db:5432/shop'], { mask: '***' }).maskText('app db shop')).toBe('app db shop');
  });

  it('redact conceals them too, and so does the redaction of what a server echoes', () => {
    const password = pw();
    const url = `postgres://app:${password}@db/shop`;
    expect(redactionMask([url], { overwriteInput: false }).maskText(`fail: ${password}`)).toBe(`fail: ${M}`);
    expect(redactSecrets(`invalid DATABASE_URL: password ${password} rejected`, [url])).toBe(`invalid DATABASE_URL: password ${REDACTED} rejected`);
  });
});
