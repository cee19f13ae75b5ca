import { describe, expect, it } from 'vitest';
import { planWrap, type WrapOptions } from '../../src/core/agents';
import { storeWrapSecrets } from '../../src/core/agents/mcp-files';
import { KeyholdError } from '../../src/shared/errors';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { newVault } from '../helpers/vault';

// A server whose env holds more than a profile may (200 keys) was refused by the
// vault only when its profile was written: after the servers before it had their profiles made,
// with "authData: A profile may hold at most 200 keys.", naming neither the server nor what to do.

const cleanups = useCleanups();
const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

const refusal = (run: () => void): KeyholdError => {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(KeyholdError);
    return e as KeyholdError;
  }
  throw new Error('not refused');
};

describe('a server past what a profile holds', () => {
  it('300 env keys: refused before any profile is written, naming the server and the limit', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const env = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`K${i}_TOKEN`, lookalike.github()]));
    const text = JSON.stringify(
      { mcpServers: { first: { command: 'npx', env: { GITHUB_TOKEN: lookalike.github() } }, big: { command: 'npx', env } } },
      null,
      2,
    );
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.servers.map((s) => s.server)).toEqual(['first', 'big']);
    const e = refusal(() => storeWrapSecrets(v.vault, plan, '/home/me/.mcp.json'));
    expect(e.code).toBe('BadInput');
    expect(e.message).toContain('"big"');
    expect(e.message).toContain('200 keys');
    expect(e.message).toContain('Nothing was changed');
    expect(e.message).not.toContain('authData');
    expect(v.vault.profiles.list()).toEqual([]);
  });

  it('a profile that scan --import filled to 200 keys takes no more from the wrap, and the refusal says so', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const env = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`K${i}_TOKEN`, lookalike.github()]));
    storeWrapSecrets(v.vault, planWrap(JSON.stringify({ mcpServers: { big: { command: 'npx', env } } }), 'json', OPTIONS));
    const more = JSON.stringify({ mcpServers: { big: { command: 'npx', env: { ...env, EXTRA_TOKEN: lookalike.github() } } } });
    const e = refusal(() => storeWrapSecrets(v.vault, planWrap(more, 'json', OPTIONS)));
    expect(e.message).toContain('big/mcp');
    expect(e.message).toContain('200 keys');
    expect(e.message).not.toContain('authData');
  });
});
