import { describe, expect, it } from 'vitest';
import { buildChildEnv, dangerousEnvName } from '../../src/core/devflow/env-names';
import { runWithSecrets } from '../../src/core/devflow/run';
import { KeyholdError } from '../../src/shared/errors';

// Attack: LUA_INIT is refused (a bundle's LUA_INIT=os.execute(...) runs at every `lua` start), but
// Lua reads LUA_INIT_5_4 first, then LUA_INIT_5_3 on Lua 5.3…: the same code under the version's
// name went through, as did LUA_PATH_5_4 and LUA_CPATH_5_4 (where `require` loads modules from).

const VERSIONED = ['LUA_INIT_5_4', 'LUA_INIT_5_3', 'lua_init_5_2', 'LUA_PATH_5_4', 'LUA_CPATH_5_4'];

describe("Lua's versioned start-up variables", () => {
  it('are named as changing how a program runs, as LUA_INIT is', () => {
    for (const name of VERSIONED) expect(dangerousEnvName(name), name).toBe(dangerousEnvName('LUA_INIT'));
    // Not every name that starts alike.
    expect(dangerousEnvName('LUA_INIT_DONE')).toBeNull();
  });

  it('are refused by run unless allowed by name, and the program never starts', async () => {
    const source = { label: 'profile lua/dev', values: { LUA_INIT_5_4: 'os.execute("touch /tmp/owned")', API_KEY: 'sk-lua-0123456789' } };
    expect(() => buildChildEnv([source])).toThrow(KeyholdError);
    try {
      buildChildEnv([source]);
    } catch (e) {
      expect((e as KeyholdError).code).toBe('DangerousKey');
      expect((e as KeyholdError).message).toMatch(/"LUA_INIT_5_4" \(Lua, PHP and Tcl\)/);
      expect((e as KeyholdError).message).not.toContain('touch');
    }
    await expect(runWithSecrets({ command: 'true', env: source.values, mask: true })).rejects.toMatchObject({ code: 'DangerousKey' });
    expect(buildChildEnv([source], process.platform, ['LUA_INIT_5_4'])).toEqual(source.values);
  });
});
