import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeyholdError } from '../../src/shared/errors';
import { newVault } from '../helpers/vault';
import { apiHarness, MASTER } from '../integration/api-harness';
import { cliVault } from './cli-env';

// Attack: the variable `keyhold run` puts an agent's Kura token in is named per agent (agent set
// --token-env, agentSetTokenEnv from the window). Only its syntax was checked, so it could be
// LD_PRELOAD, NODE_OPTIONS or BASH_ENV (the token, a value from Kura, becomes what the loader, Node
// or bash reads as code to run), or KEYHOLD_VAULT (a keyhold the program starts opens another
// vault). Such names are refused by the one policy for names (src/core/devflow/env-names.ts), with
// no allowance: a token variable never needs one of them.

const DANGEROUS = ['NODE_OPTIONS', 'LD_PRELOAD', 'BASH_ENV', 'DYLD_INSERT_LIBRARIES', 'PATH', 'node_options'];
const KEYHOLD_OWN = ['KEYHOLD_VAULT', 'KEYHOLD_PASSWORD', 'KEYHOLD_SESSION', 'KEYHOLD_INSECURE_TEST_KDF'];

describe('the token variable of an agent, in the vault', () => {
  let v: Awaited<ReturnType<typeof newVault>>;
  beforeAll(async () => {
    v = await newVault();
  });
  afterAll(() => v.cleanup());

  it.each(DANGEROUS)('refuses %s, saying what it controls and that no allowance exists', (name) => {
    let thrown: unknown;
    try {
      v.vault.agents.setTokenEnv('crm', name);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(KeyholdError);
    expect((thrown as KeyholdError).code).toBe('DangerousKey');
    expect((thrown as KeyholdError).message).toMatch(/changes how a program loads or runs \(.+\).*no allowance/);
    expect(v.vault.agents.tokenEnvFor('crm')).toBe('KURA_AUTH_TOKEN');
  });

  it.each(KEYHOLD_OWN)("refuses Keyhold's own %s", (name) => {
    expect(() => v.vault.agents.setTokenEnv('crm', name)).toThrow(
      expect.objectContaining({ code: 'DangerousKey', message: expect.stringMatching(/of Keyhold itself/) }),
    );
    expect(v.vault.agents.tokenEnvFor('crm')).toBe('KURA_AUTH_TOKEN');
  });

  it('still takes a name that only carries a value, and null for the default', () => {
    expect(v.vault.agents.setTokenEnv('crm', 'CRM_TOKEN')).toEqual({ agentId: 'crm', tokenEnv: 'CRM_TOKEN' });
    expect(() => v.vault.agents.setTokenEnv('crm', 'NODE_OPTIONS')).toThrow(expect.objectContaining({ code: 'DangerousKey' }));
    expect(v.vault.agents.tokenEnvFor('crm')).toBe('CRM_TOKEN');
    expect(v.vault.agents.setTokenEnv('crm', null)).toEqual({ agentId: 'crm', tokenEnv: 'KURA_AUTH_TOKEN' });
  });
});

describe('the token variable of an agent, from the window', () => {
  const harnesses: ReturnType<typeof apiHarness>[] = [];
  afterEach(async () => {
    while (harnesses.length) await harnesses.pop()?.cleanup();
  });

  it('agentSetTokenEnv refuses NODE_OPTIONS, LD_PRELOAD and KEYHOLD_VAULT', async () => {
    const h = apiHarness();
    harnesses.push(h);
    await h.ok('vaultCreate', { password: MASTER });
    for (const tokenEnv of ['NODE_OPTIONS', 'LD_PRELOAD', 'KEYHOLD_VAULT']) {
      expect(await h.call('agentSetTokenEnv', { agentId: 'crm', tokenEnv })).toMatchObject({
        ok: false,
        error: { code: 'DangerousKey', message: expect.stringContaining(`"${tokenEnv}"`) },
      });
    }
    expect(await h.ok('agentSetTokenEnv', { agentId: 'crm', tokenEnv: 'CRM_TOKEN' })).toEqual({ agentId: 'crm', tokenEnv: 'CRM_TOKEN' });
  });
});

describe('the token variable of an agent, on the command line', () => {
  let v: Awaited<ReturnType<typeof cliVault>>;
  beforeAll(async () => {
    v = await cliVault('keyhold-sec-token-env-');
  });
  afterAll(() => v.cleanup());

  it('agent set --token-env NODE_OPTIONS is refused (exit 2) and nothing is saved', async () => {
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'KEYHOLD_SESSION']) {
      const r = await v.run(['agent', 'set', 'crm', '--token-env', name]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`"${name}"`);
      expect(r.stderr).toMatch(/changes how a program loads or runs|of Keyhold itself/);
    }
    expect((await v.ok(['agent', 'list'])).stdout).not.toMatch(/crm/);
    await v.ok(['agent', 'set', 'crm', '--token-env', 'CRM_TOKEN']);
    expect((await v.ok(['agent', 'list'])).stdout).toMatch(/crm\s+\(not declared\)\s+CRM_TOKEN/);
    // Given with --args, a refused token variable leaves the args as they were too.
    const both = await v.run(['agent', 'set', 'crm', '--args', 'USER,PASS', '--token-env', 'NODE_OPTIONS']);
    expect(both.code).toBe(2);
    expect((await v.ok(['agent', 'list'])).stdout).toMatch(/crm\s+\(not declared\)\s+CRM_TOKEN/);
  });
});
