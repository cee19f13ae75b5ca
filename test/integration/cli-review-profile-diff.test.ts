import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';
import { CLI, keyhold } from '../helpers/cli';
import { cliHome } from '../helpers/cli-home';

// `keyhold profile diff REF V1 V2`, reviewed as an attacker and as a tired user.
let h: Awaited<ReturnType<typeof cliHome>>;
const run = (args: string[], input?: string, env: Record<string, string> = {}) =>
  keyhold(args, { env: { ...h.env, ...env }, ...(input === undefined ? {} : { input }) });
async function ok(args: string[], input?: string) {
  const r = await run(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
interface LogEntry {
  event: string;
  detail: Record<string, unknown>;
}
const reveals = async () =>
  (await ok(['log', '--json', '--limit', '10000'])).json<{ entries: LogEntry[] }>().entries.filter((e) => e.event === 'secret_revealed');

// A value can hold anything a teammate's file put in it: an escape that retitles the terminal, a bell, a right-to-left override.
const HOSTILE = 'v2\u001b]0;pwned\u0007\u202e\u001b[2J';
const SECRET_1 = 'first-secret-value-1111';

let id: string;
beforeAll(async () => {
  h = await cliHome('keyhold-cli-review-diff-');
  id = (await ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'TOKEN', '--json'], SECRET_1)).json<{ id: string }>().id;
  await ok(['profile', 'edit', 'crm/prod', '--set-stdin', 'TOKEN'], HOSTILE);
  await ok(['profile', 'edit', 'crm/prod', '--set', 'REGION=eu', '--unset', 'TOKEN']);
});
afterAll(() => h.cleanup());

describe('profile diff', () => {
  it('masks values, and --json carries none, unless --reveal; neither is a reveal in the audit log', async () => {
    const before = (await reveals()).length;
    const masked = await ok(['profile', 'diff', 'crm/prod', '1', '3']);
    expect(masked.stdout).toBe('Version 1 -> 3: 2 key(s) differ\n  + REGION = ••••••••\n  - TOKEN = ••••••••\n');
    const json = await ok(['profile', 'diff', 'crm/prod', '1', '2', '--json']);
    expect(json.json()).toEqual({ id, from: 1, to: 2, revealed: false, keys: [{ key: 'TOKEN', change: 'changed', from: null, to: null }], fields: [] });
    for (const r of [masked, json]) {
      expect(r.stdout + r.stderr).not.toContain(SECRET_1);
      expect(r.stdout + r.stderr).not.toContain('pwned');
    }
    expect((await reveals()).length).toBe(before);
  });

  it('--reveal shows values with terminal escapes made visible, and is audited as profile show --reveal is', async () => {
    const before = await reveals();
    const shown = await ok(['profile', 'diff', 'crm/prod', '1', '2', '--reveal']);
    expect(shown.stdout).toBe(`Version 1 -> 2: 1 key(s) differ\n  ~ TOKEN: ${SECRET_1} -> v2\\x1b]0;pwned\\x07\\u202e\\x1b[2J\n`);
    for (const c of ['\u001b', '\u0007', '\u202e']) expect(shown.stdout).not.toContain(c);
    // --json gives the value as it is, escaped the JSON way.
    const json = (await ok(['profile', 'diff', 'crm/prod', '1', '2', '--reveal', '--json'])).json<{ revealed: boolean; keys: unknown[] }>();
    expect(json).toMatchObject({ revealed: true, keys: [{ key: 'TOKEN', change: 'changed', from: SECRET_1, to: HOSTILE }] });
    const after = await reveals();
    expect(after.length).toBe(before.length + 2);
    expect(after.find((e) => e.detail.diff === '1..2')?.detail).toMatchObject({ item: 'profile', id });

    // The same event profile show --reveal records.
    await ok(['profile', 'show', 'crm/prod', '--reveal']);
    expect((await reveals()).length).toBe(after.length + 1);
  });

  it('odd versions are usage errors naming what was typed; a missing version exit 5; the same version twice, no differences', async () => {
    for (const v of ['0', '-1', '1.5', '1e3', '0x2', '99999999999999999999', '', '2\u001b[2J']) {
      for (const args of [
        ['profile', 'diff', 'crm/prod', v, '2'],
        ['profile', 'diff', 'crm/prod', '1', v],
      ]) {
        const r = await run(args);
        expect(r.code, JSON.stringify(args)).toBe(EXIT.usage);
        expect(r.stderr).toMatch(/^keyhold: VERSION must be a positive whole number, not ".*"\.\n$/);
        expect(r.stderr).not.toContain('\u001b');
        expect(r.stdout).toBe('');
      }
    }
    const missing = await run(['profile', 'diff', 'crm/prod', '1', '9', '--reveal']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stderr).toMatch(/^keyhold: Profile "crm\/prod" has no version 9\./);
    expect(missing.stdout).toBe('');
    expect((await ok(['profile', 'diff', 'crm/prod', '2', '2', '--reveal'])).stdout).toBe('Version 2 -> 2: no differences\n');
    // Newer to older reads the other way round.
    expect((await ok(['profile', 'diff', 'crm/prod', '3', '1'])).stdout).toBe('Version 3 -> 1: 2 key(s) differ\n  - REGION = ••••••••\n  + TOKEN = ••••••••\n');
  });

  it('a ref with escapes, a profile in the trash, a wrong password, no vault: each its own error, nothing revealed', async () => {
    const odd = await run(['profile', 'diff', 'crm/\u001b[31mred\u202e', '1', '2']);
    expect(odd.code).toBe(EXIT.notFound);
    expect(odd.stderr).toMatch(/^keyhold: No profile "crm\/\\x1b\[31mred\\u202e"\./);

    expect((await run(['profile', 'diff', 'crm/prod', '1', '2', '--reveal'], undefined, { KEYHOLD_PASSWORD: 'not the password' })).code).toBe(
      EXIT.wrongPassword,
    );
    expect((await run(['profile', 'diff', 'crm/prod', '1', '2'], undefined, { KEYHOLD_VAULT: `${h.dir}/nowhere` })).code).toBe(EXIT.vault);

    await ok(['profile', 'add', '--agent', 'crm', '--name', 'old', '--set', 'A=1']);
    await ok(['profile', 'edit', 'crm/old', '--set', 'A=2']);
    await ok(['profile', 'rm', 'crm/old']);
    const trashed = await run(['profile', 'diff', 'crm/old', '1', '2', '--reveal']);
    expect(trashed.code).toBe(EXIT.notFound);
    expect(trashed.stdout).toBe('');
  });

  it('a reader that closes the pipe (| head -0) ends it quietly: no stack, exit 0', async () => {
    // Big enough to fill a pipe, so the write after the reader left fails (EPIPE) whatever the timing.
    await ok(['profile', 'add', '--agent', 'crm', '--name', 'big', '--set', 'A=1']);
    const big = 'x'.repeat(60_000);
    await ok(['profile', 'edit', 'crm/big', ...['A', 'B', 'C', 'D'].flatMap((k) => ['--set', `${k}=${big}`])]);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'profile', 'diff', 'crm/big', '1', '2', '--reveal'], {
        env: { PATH: process.env.PATH ?? '', HOME: h.home, KEYHOLD_INSECURE_TEST_KDF: '1', ...h.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
