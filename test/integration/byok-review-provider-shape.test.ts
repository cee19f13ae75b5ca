import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/core/vault/vault';
import { keyhold } from '../helpers/cli';
import { cliVaultWithServers } from '../helpers/sync';
import { newVault } from '../helpers/vault';

const ANTHROPIC = `sk-ant-api03-${'a'.repeat(40)}`;

describe('a key of one provider given for another', () => {
  let vault: Vault;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ vault, cleanup } = await newVault());
  });
  afterEach(() => cleanup());

  it.each(['openai', 'google', 'other'] as const)('an Anthropic key given as %s is refused, says which provider it is, and stores nothing', (provider) => {
    let message = '';
    try {
      vault.byok.set({ kind: 'codex', provider, apiKey: ANTHROPIC });
    } catch (e) {
      message = (e as Error).message;
      expect(e).toMatchObject({ code: 'BadInput', field: 'provider' });
    }
    expect(message).toMatch(/^This is an Anthropic key \(it starts with "sk-ant-"\), not one of the provider \w+: set it with the provider anthropic\./);
    expect(message).not.toContain(ANTHROPIC);
    expect(vault.byok.list()).toEqual([]);
  });

  it('an OpenAI key given as anthropic stays refused; the right provider is taken', () => {
    expect(() => vault.byok.set({ kind: 'codex', provider: 'anthropic', apiKey: `sk-proj-${'b'.repeat(40)}` })).toThrow('anthropic keys start with "sk-ant-".');
    expect(vault.byok.set({ kind: 'codex', provider: 'openai', apiKey: `sk-proj-${'b'.repeat(40)}` })).toMatchObject({ provider: 'openai', localOnly: true });
    expect(vault.byok.set({ kind: 'claude-code', provider: 'anthropic', apiKey: ANTHROPIC })).toMatchObject({ provider: 'anthropic', localOnly: false });
  });
});

describe('byok set from the CLI', () => {
  it('--provider openai with an Anthropic key: exit 2, nothing saved, the key not echoed', async () => {
    const run = (args: string[], env: Record<string, string>, input?: string) => keyhold(args, { env, ...(input !== undefined ? { input } : {}) });
    const v = await cliVaultWithServers(run, 'byok-review-provider-');
    try {
      const r = await run(['byok', 'set', '--kind', 'codex', '--provider', 'openai', '--key-stdin'], v.env, `${ANTHROPIC}\n`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('This is an Anthropic key');
      expect(r.stdout + r.stderr).not.toContain(ANTHROPIC);
      expect((await run(['byok', 'list', '--json'], v.env)).json()).toEqual([]);
    } finally {
      await v.close();
    }
  });
});
