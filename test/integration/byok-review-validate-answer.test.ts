import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { cliVaultWithServers } from '../helpers/sync';

const run = (args: string[], env: Record<string, string>, input?: string) => keyhold(args, { env, ...(input !== undefined ? { input } : {}) });
const KEY = `sk-ant-api03-${'a'.repeat(40)}`;

describe("byok validate reads Backside's verdict, never guesses it", () => {
  let v: Awaited<ReturnType<typeof cliVaultWithServers>>;
  beforeEach(async () => {
    v = await cliVaultWithServers(run, 'byok-review-validate-');
    expect((await run(['byok', 'set', '--kind', 'claude-code', '--draft', '--key-stdin'], v.env, KEY)).code).toBe(0);
  });
  afterEach(async () => {
    await v.close();
  });

  it.each([
    ['{"valid":"false","message":"revoked"}', 'valid'],
    ['{"ok":0}', 'ok'],
    ['{"valid":true,"accepted":null}', 'accepted'],
  ])('a 200 answer %s is not taken for acceptance: exit 7, and the probe is not recorded as passed', async (body) => {
    v.s.backside.faults.next({ kind: 'malformed', body });
    const r = await run(['byok', 'validate', 'claude-code'], v.env);
    expect(r.code).toBe(7);
    expect(r.stdout).not.toContain('accepted');
    expect(r.stderr).toMatch(/Backside sent an answer Keyhold does not understand \(.*is not true or false\)/);
    expect((await run(['byok', 'show', 'claude-code', '--json'], v.env)).json()).toMatchObject({ lastProbe: null });
  });

  it('set --validate with such an answer saves nothing', async () => {
    v.s.backside.faults.next({ kind: 'malformed', body: '{"valid":"no"}' });
    const r = await run(['byok', 'set', '--kind', 'researcher', '--validate', '--key-stdin'], v.env, KEY);
    expect(r.code).toBe(7);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect((await run(['byok', 'list', '--json'], v.env)).json<{ kind: string }[]>().map((b) => b.kind)).toEqual(['claude-code']);
  });

  it('true and false verdicts, and an answer without one, read as before', async () => {
    v.s.backside.faults.next({ kind: 'malformed', body: '{"valid":false,"reason":"no credit"}' });
    const refused = await run(['byok', 'validate', 'claude-code'], v.env);
    expect([refused.code, refused.stdout]).toEqual([7, 'Backside refused the key: no credit\n']);
    v.s.backside.faults.next({ kind: 'malformed', body: '{}' });
    const accepted = await run(['byok', 'validate', 'claude-code'], v.env);
    expect([accepted.code, accepted.stdout]).toEqual([0, 'Backside accepted the key.\n']);
  });
});
