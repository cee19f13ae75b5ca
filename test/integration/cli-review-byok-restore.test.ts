import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';
import { keyhold } from '../helpers/cli';
import { cliHome } from '../helpers/cli-home';

// `keyhold byok restore KIND VERSION`, reviewed as an attacker and as a tired user.
const KEY = (tail: string) => `sk-ant-api03-${'r'.repeat(40)}${tail}`;

let h: Awaited<ReturnType<typeof cliHome>>;
const run = (args: string[], input?: string, env: Record<string, string> = {}) =>
  keyhold(args, { env: { ...h.env, ...env }, ...(input === undefined ? {} : { input }) });
const history = async (kind: string) => (await run(['byok', 'history', kind])).stdout;

beforeAll(async () => {
  h = await cliHome('keyhold-cli-review-byok-');
  expect((await run(['byok', 'set', '--kind', 'coder', '--key-stdin'], KEY('AAAA'))).code).toBe(0);
  expect((await run(['byok', 'set', '--kind', 'coder', '--key-stdin'], KEY('BBBB'))).code).toBe(0);
});
afterAll(() => h.cleanup());

describe('byok restore', () => {
  it('restoring the key that is current already says nothing changed, and writes no version', async () => {
    const before = await history('coder');
    const current = await run(['byok', 'restore', 'coder', '2']);
    expect(current.code, current.stderr).toBe(0);
    // It said "Restored version 2 of coder", as though a new version had been made.
    expect(current.stdout).toBe('Nothing changed: version 2 of coder is the current key already (anthropic key sk-ant-…BBBB, pending)\n');
    expect(await history('coder')).toBe(before);

    // The same version twice: the first restores it, the second changes nothing and says so.
    const first = await run(['byok', 'restore', 'coder', '1']);
    expect(first.stdout).toBe('Restored version 1 of coder: anthropic key sk-ant-…AAAA, pending\n');
    const afterFirst = await history('coder');
    expect(afterFirst).toMatch(/^3 +\S+ +restore +anthropic sk-ant-…AAAA$/m);
    const second = await run(['byok', 'restore', 'coder', '1']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Nothing changed: version 1 of coder is the current key already/);
    expect(await history('coder')).toBe(afterFirst);
  });

  it('--json is the summary, with the key hint and never the key', async () => {
    const r = await run(['byok', 'restore', 'coder', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.json<Record<string, unknown>>();
    expect(summary).toMatchObject({ kind: 'coder', provider: 'anthropic', keyHint: 'sk-ant-…BBBB', version: expect.any(Number) });
    expect(summary).not.toHaveProperty('apiKey');
    expect(r.stdout).not.toContain(KEY('BBBB'));
    expect(r.stdout).not.toContain(KEY('AAAA'));
  });

  it('a version that is not a whole number from 1, or does not exist, is refused and changes nothing', async () => {
    const before = await history('coder');
    for (const v of ['0', '-1', '1.5', '1e3', '0x1', ' 1', '99999999999999999999', '']) {
      const r = await run(['byok', 'restore', 'coder', v]);
      expect(r.code, JSON.stringify(v)).toBe(EXIT.usage);
      expect(r.stderr, JSON.stringify(v)).toBe(`keyhold: VERSION must be a positive whole number, not ${JSON.stringify(v)}.\n`);
      expect(r.stdout).toBe('');
    }
    const missing = await run(['byok', 'restore', 'coder', '99']);
    expect(missing.code).toBe(EXIT.notFound);
    // Like "profile restore", the CLI says where the versions are listed (it said nothing more).
    expect(missing.stderr).toBe('keyhold: BYOK key "coder" has no version 99. See "keyhold byok history KIND".\n');
    expect(await history('coder')).toBe(before);
  });

  it('a kind with control characters is shown escaped; a trashed key is named as in the trash; a wrong password and no vault are said plainly', async () => {
    const odd = await run(['byok', 'restore', 'x\u001b[2J\u202e', '1']);
    expect(odd.code).toBe(EXIT.notFound);
    expect(odd.stderr).toBe('keyhold: No BYOK key for agent kind "x\\x1b[2J\\u202e". See "keyhold byok list".\n');

    expect((await run(['byok', 'restore', 'coder', '1'], undefined, { KEYHOLD_PASSWORD: 'not the password' })).code).toBe(EXIT.wrongPassword);
    expect((await run(['byok', 'restore', 'coder', '1'], undefined, { KEYHOLD_VAULT: `${h.dir}/nowhere` })).code).toBe(EXIT.vault);

    expect((await run(['byok', 'set', '--kind', 'gone', '--key-stdin'], KEY('CCCC'))).code).toBe(0);
    expect((await run(['byok', 'rm', 'gone'])).code).toBe(0);
    const trashed = await run(['byok', 'restore', 'gone', '1']);
    expect(trashed.code).toBe(EXIT.notFound);
    // Asked for by its kind, a deleted key is found where it is.
    expect(trashed.stderr).toMatch(
      /^keyhold: The BYOK key for agent kind "gone" \([0-9a-f-]{36}\) is in the trash, deleted [^ ]+Z: restore it from the trash to use it\. See "keyhold trash list"; "keyhold trash restore ID" brings it back\.\n$/,
    );
  });
});
