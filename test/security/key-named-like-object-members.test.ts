import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWrap } from '../../src/core/agents';
import { apiHarness, MASTER } from '../integration/api-harness';
import { lookalike } from '../helpers/lookalike';
import { newVault } from '../helpers/vault';
import { cliVault } from './cli-env';

// Accident and attack: credential names are free text, and JavaScript objects have members of
// their own. `--set toString=x` was refused as "given twice" (the check asked the object's
// prototype), and a credential named "__proto__" vanished without a word: JSON, .env and config
// files keep it as data, but zod's object parsing leaves it out, so a profile was saved without it.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-proto-');
});
afterAll(() => v.cleanup());

describe('credential names that are also names of object members', () => {
  it('are ordinary names on the command line', async () => {
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'members', '--set', 'constructor=c', '--set', 'toString=t', '--set', 'valueOf=v']);
    const shown = (await v.ok(['profile', 'show', 'app/members', '--reveal', '--json'])).json<{ authData: Record<string, string> }>();
    expect(shown.authData).toEqual({ constructor: 'c', toString: 't', valueOf: 'v' });
    const again = await v.run(['profile', 'add', '--agent', 'app', '--name', 'twice', '--set', 'toString=a', '--set', 'toString=b']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/"toString" is given twice/);
    const unset = await v.run(['profile', 'edit', 'app/members', '--unset', 'hasOwnProperty']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/no key "hasOwnProperty" to remove/);
    await v.ok(['profile', 'edit', 'app/members', '--unset', 'toString']);
    expect((await v.ok(['profile', 'show', 'app/members', '--reveal', '--json'])).json<{ authData: object }>().authData).toEqual({
      constructor: 'c',
      valueOf: 'v',
    });
    // An expiry for such a key starts from the value's last change, like any other.
    await v.ok(['profile', 'expiry', 'app/members', 'valueOf', '--rotate-days', '90']);
    await v.ok(['profile', 'expiry', 'app/members', 'constructor', '--rotate-days', '30']);
    const expiry = (await v.ok(['profile', 'show', 'app/members', '--json'])).json<{ expiry: Record<string, { since?: string; rotateDays?: number }> }>()
      .expiry;
    expect(expiry.constructor).toMatchObject({ rotateDays: 30, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('"__proto__" is refused by name, from the command line and through the vault, and nothing is saved', async () => {
    const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'proto', '--set', 'USER=ann', '--set', '__proto__=secret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"__proto__" is reserved/);
    expect((await v.ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).toEqual(['members']);

    // From the window: the IPC payload is checked raw, before the parse that would drop the member.
    const h = apiHarness();
    try {
      await h.ok('vaultCreate', { password: MASTER });
      const authData = Object.fromEntries([
        ['USER', 'ann'],
        ['__proto__', 'secret'],
      ]) as Record<string, string>;
      const reply = await h.call('profileCreate', { agentId: 'app', name: 'proto', authData });
      expect(reply).toMatchObject({ ok: false, error: { code: 'BadInput', message: expect.stringMatching(/"__proto__" is reserved/) } });
      expect(await h.ok('profilesList', {})).toEqual([]);
    } finally {
      await h.cleanup();
    }

    const { vault, cleanup } = await newVault();
    try {
      // As a parsed config file or Object.fromEntries holds it: an own member, not the prototype.
      const authData = JSON.parse('{"USER":"ann","__proto__":"secret"}') as Record<string, string>;
      expect(() => vault.profiles.create({ agentId: 'app', name: 'proto', authData })).toThrow(/"__proto__" is reserved/);
      expect(() => vault.profiles.createMany([{ agentId: 'app', name: 'proto', authData }])).toThrow(/"__proto__" is reserved/);
      vault.profiles.create({ agentId: 'app', name: 'kept', authData: { USER: 'ann' } });
      expect(() => vault.profiles.edit('app/kept', { set: authData })).toThrow(/"__proto__" is reserved/);
      expect(() => vault.profiles.edit('app/kept', { replaceAuthData: authData })).toThrow(/"__proto__" is reserved/);
      expect(() => vault.agents.set({ agentId: 'app', args: ['USER', '__proto__'] })).toThrow(/"__proto__" is reserved/);
      expect(vault.profiles.list().map((p) => [p.name, p.keys])).toEqual([['kept', ['USER']]]);
    } finally {
      cleanup();
    }
  });

  it('a .env line "__proto__=…" is no longer dropped: add refuses it by name, the window lists it, and scan finds its value', async () => {
    const token = lookalike.github();
    const file = join(v.dir, 'proto.env');
    writeFileSync(file, `USER=ann\n__proto__=${token}\n`);
    const added = await v.run(['profile', 'add', '--agent', 'app', '--name', 'from-env', '--from-env', file]);
    expect(added.code).toBe(2);
    expect(added.stderr).toMatch(/"__proto__" is reserved/);
    expect(added.stderr).not.toContain(token);
    expect((await v.ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).not.toContain('from-env');

    // The window's paste box reads through main's reader: the line is an entry, which its key rule then refuses.
    const h = apiHarness();
    try {
      await h.ok('vaultCreate', { password: MASTER });
      expect(await h.ok('dotenvRead', { text: readFileSync(file, 'utf8') })).toEqual({
        entries: [
          { key: 'USER', value: 'ann' },
          { key: '__proto__', value: token },
        ],
        skipped: [],
      });
    } finally {
      await h.cleanup();
    }

    // Exit 1: scan found a credential.
    const scanned = await v.run(['scan', '--no-well-known', '--json', file]);
    expect(scanned.code).toBe(1);
    expect(scanned.stdout).not.toContain(token);
    expect(scanned.json<{ findings: { where: string; line: number }[] }>().findings).toEqual([expect.objectContaining({ where: '__proto__', line: 2 })]);
  });

  it('a config whose MCP env holds "__proto__": scan imports the value under its kind, and wrap refuses the file, changing nothing', async () => {
    const [hidden, visible] = [lookalike.github(), lookalike.github()];
    const file = join(v.dir, '.claude.json');
    const text = JSON.stringify({ mcpServers: { gh: { command: 'npx', args: ['gh-mcp'], env: { __proto__: hidden, GITHUB_TOKEN: visible } } } });
    // JSON.stringify writes an own "__proto__" member (this literal's is the prototype, so add it by hand).
    writeFileSync(file, text.replace('"env":{', `"env":{"__proto__":"${hidden}",`));
    expect(readFileSync(file, 'utf8')).toContain('"__proto__"');

    const scanned = await v.run(['scan', '--no-well-known', '--import', '--json', file]);
    expect(scanned.stderr).toBe('');
    // The value is not lost and not called a conflict it is not: it goes under the name of its kind.
    await v.ok(['profile', 'show', 'gh/mcp', '--json']);
    const values = (await v.ok(['profile', 'show', 'gh/mcp', '--reveal', '--json'])).json<{ authData: Record<string, string> }>().authData;
    expect(Object.values(values).sort()).toEqual([hidden, visible].sort());
    expect(Object.keys(values)).not.toContain('__proto__');

    const before = readFileSync(file, 'utf8');
    const wrapped = await v.run(['mcp', 'wrap', file]);
    expect(wrapped.code).toBe(2);
    expect(wrapped.stderr).toMatch(/"__proto__"/);
    expect(wrapped.stderr).not.toContain(hidden);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const options = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
    // A server variable named like an object member is an ordinary name to wrap, not a clash.
    const plain = join(v.dir, 'cursor-mcp.json');
    const token = lookalike.github();
    // (A server of its own: another config's values do not go into the profile the first one filled.)
    writeFileSync(plain, JSON.stringify({ mcpServers: { ghc: { command: 'npx', args: [], env: { constructor: token } } } }));
    await v.ok(['mcp', 'wrap', plain]);
    expect((await v.ok(['profile', 'show', 'ghc/mcp', '--reveal', '--json'])).json<{ authData: Record<string, string> }>().authData.constructor).toBe(token);
    expect(() => planWrap(before, 'json', options)).toThrow(/"__proto__"/);
    expect(() => planWrap(before.replace('"__proto__"', '"__pro\\u0074o__"'), 'json', options)).toThrow(/"__proto__"/);
    expect(() => planWrap(`[mcp_servers.gh]\ncommand = "npx"\n[mcp_servers.gh.env]\n__proto__ = "${hidden}"\n`, 'toml', options)).toThrow(/"__proto__"/);
  });
});
