import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { cliVaultWithServers } from '../helpers/sync';

const run = (args: string[], env: Record<string, string>, input?: string) => keyhold(args, { env, ...(input !== undefined ? { input } : {}) });
const OPENAI = (tail: string) => `sk-proj-${'o'.repeat(30)}${tail}`;
const ANTHROPIC = (tail: string) => `sk-ant-api03-${'a'.repeat(30)}${tail}`;

describe('byok rotate never sends a key Backside is not for', () => {
  let v: Awaited<ReturnType<typeof cliVaultWithServers>>;
  beforeEach(async () => {
    v = await cliVaultWithServers(run, 'byok-review-rotate-');
  });
  afterEach(async () => {
    await v.close();
  });

  it('a local-only (OpenAI) kind: the new key is refused before any request, and nothing is stored', async () => {
    expect((await run(['byok', 'set', '--kind', 'codex', '--provider', 'openai', '--key-stdin'], v.env, OPENAI('one'))).code).toBe(0);
    const before = v.s.backside.requests.length;

    const r = await run(['byok', 'rotate', 'codex', '--key-stdin'], v.env, OPENAI('two'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/openai key for "codex" is local only: Backside checks and stores Anthropic keys only/);
    expect(r.stderr).toMatch(/Set the new key as an openai key instead/);
    expect(r.stdout + r.stderr).not.toContain(OPENAI('two'));
    // The OpenAI key never left the machine.
    expect(v.s.backside.requests.slice(before)).toEqual([]);
    const history = (await run(['byok', 'history', 'codex', '--json'], v.env)).json<unknown[]>();
    expect(history).toHaveLength(1);
  });

  it('an Anthropic key given to rotate a local-only kind is not stored under the wrong provider', async () => {
    expect((await run(['byok', 'set', '--kind', 'codex', '--provider', 'openai', '--key-stdin'], v.env, OPENAI('one'))).code).toBe(0);
    const r = await run(['byok', 'rotate', 'codex', '--key-stdin'], v.env, ANTHROPIC('x'));
    expect(r.code).toBe(2);
    expect((await run(['byok', 'show', 'codex', '--json'], v.env)).json()).toMatchObject({ provider: 'openai', version: 1 });
  });

  it("a key of the wrong shape for an Anthropic kind is refused by the vault's rules, before Backside is asked", async () => {
    expect((await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], v.env, ANTHROPIC('one'))).code).toBe(0);
    const before = v.s.backside.requests.length;
    const r = await run(['byok', 'rotate', 'claude-code', '--key-stdin'], v.env, OPENAI('two'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('anthropic keys start with "sk-ant-".');
    expect(v.s.backside.requests.slice(before)).toEqual([]);
    expect((await run(['byok', 'show', 'claude-code', '--json'], v.env)).json()).toMatchObject({ version: 1 });
  });
});
