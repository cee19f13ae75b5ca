import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { Profiles } from '../../src/core/vault/profiles';
import { writeLegacyProfile } from '../helpers/legacy';
import { lookalike } from '../helpers/lookalike';
import { PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';
import { hostileBundle } from './hostile-bundle';

// Attack: text that came from a server (an error message), a bundle (a profile name) or a file
// carries terminal escape sequences. Printed as it is, it can retitle the terminal, clear or
// rewrite what is on screen (say, a fake "Signed by: Alice"), or reorder a line with bidi controls.

const CSI = '\u009b2J'; // the 8-bit form of ESC [ 2 J: clears the screen on terminals that honour C1
const OSC = '\u001b]0;pwned\u0007'; // sets the window title
const BIDI = '\u202e'; // right-to-left override

// eslint-disable-next-line no-control-regex
const RAW = /[\u001b\u0007\u009b\u202e\r]/;

const LEGACY_NAME = `n${BIDI}ab${CSI}`;

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-escapes-');
  const vault = Vault.open(v.env.KEYHOLD_VAULT);
  await vault.unlock(PASSWORD);
  try {
    // Names like these are refused where they come in now (names-that-read-as-others.test.ts), but a
    // vault written before that rule may hold them: written as the old code did, straight to the rows.
    for (const name of [`dev${BIDI}gnp.exe`, LEGACY_NAME]) writeLegacyProfile(vault, { agentId: 'app', name, authData: { API_KEY: 'sk-live-0123456789' } });
    const created = vault.profiles.resolve(`app/dev${BIDI}gnp.exe`);
    // As the sync engine records a server's message after a rejected push.
    vault.profiles.recordSync(created, { ...Profiles.metaOf(created), lastError: `Kura said: ${OSC}\rOK${CSI}` }, null, 'failed');
  } finally {
    vault.close();
  }
});
afterAll(() => v.cleanup());

describe('the CLI neutralises control characters and escape sequences from servers, bundles and files', () => {
  it('in listings, details and status', async () => {
    for (const args of [['profile', 'list'], ['profile', 'show', 'app/dev\u202egnp.exe'], ['status']]) {
      const r = await v.ok(args);
      expect(r.stdout, args.join(' ')).not.toMatch(RAW);
      expect(r.stdout, args.join(' ')).toContain('\\u202e');
    }
    expect((await v.ok(['profile', 'list'])).stdout).toContain('Kura said: \\x1b]0;pwned\\x07\\x0dOK\\x9b2J');
  });

  it('in the refusal of a bundle that carries them', async () => {
    const vault = Vault.open(v.env.KEYHOLD_VAULT);
    await vault.unlock(PASSWORD);
    let path: string;
    try {
      path = await hostileBundle(
        vault,
        v.dir,
        [{ agentId: 'agent', name: `Signed by: Alice${BIDI}`, authData: { [`KEY${CSI}`]: 'v-0123456789' }, saveSession: false }],
        { unchecked: true },
      );
    } finally {
      vault.close();
    }
    const r = await v.run(['import', path, '--dry-run']);
    expect(r.code).toBe(8);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stderr).not.toMatch(RAW);
    // The message names the key by its path: shown escaped, never raw.
    expect(r.stderr).toContain('KEY\\x9b2J');
  });

  it('in the values a diff reveals', async () => {
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'diffed', '--set', 'API_KEY=plain']);
    await v.ok(['profile', 'edit', 'app/diffed', '--set', `API_KEY=x${OSC}${CSI}`]);
    const r = await v.ok(['profile', 'diff', 'app/diffed', '1', '2', '--reveal']);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('API_KEY: plain -> x\\x1b]0;pwned\\x07\\x9b2J');
  });

  it('in the messages of commands that name what they changed', async () => {
    const id = (await v.ok(['profile', 'show', `app/${LEGACY_NAME}`, '--json'])).json<{ id: string }>().id;
    const printed: string[] = [];
    const said = async (args: string[], input?: string, code = 0) => {
      const r = await v.run(args, input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      printed.push(r.stdout, r.stderr);
    };
    await said(['profile', 'rm', `app/${LEGACY_NAME}`]);
    await said(['trash', 'restore', id]);
    // New names like these are refused, in words that show them escaped.
    await said(['profile', 'add', '--agent', 'app', '--name', LEGACY_NAME, '--set', 'API_KEY=v'], undefined, 2);
    await said(['byok', 'set', '--kind', `kind${CSI}`, '--key-stdin'], `sk-ant-api03-${'q'.repeat(40)}a1b2\n`, 2);
    // A server named in a hostile MCP config: the dry run's diff shows it; the wrap refuses it.
    const config = join(v.dir, 'hostile-mcp.json');
    writeFileSync(config, JSON.stringify({ mcpServers: { [`gh${CSI}`]: { command: 'npx', args: [], env: { GITHUB_TOKEN: lookalike.github() } } } }));
    await said(['mcp', 'wrap', config, '--dry-run']);
    await said(['mcp', 'wrap', config], undefined, 2);
    for (const text of printed) expect(text).not.toMatch(RAW);
    const all = printed.join('');
    expect(all).toContain('Restored profile app/n\\u202eab\\x9b2J');
    expect(all).toContain('gh\\x9b2J');
    expect(all).toMatch(/may not contain invisible or direction-changing characters \(it holds U\+202E\)/);
  });

  it('invisible characters too: a zero-width space a server put in a token, in a revealed value', async () => {
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'zw', '--set', 'API_KEY=tok\u200bLIVE\u2060x\ufeff']);
    const r = await v.ok(['profile', 'show', 'app/zw', '--reveal']);
    expect(r.stdout).not.toMatch(/[\u200b\u2060\ufeff]/);
    expect(r.stdout).toContain('API_KEY = tok\\u200bLIVE\\u2060x\\ufeff');
    // Data for programs is printed as it is.
    expect((await v.ok(['profile', 'show', 'app/zw', '--reveal', '--json'])).json<{ authData: { API_KEY: string } }>().authData.API_KEY).toBe(
      'tok\u200bLIVE\u2060x\ufeff',
    );
  });

  it('in error messages', async () => {
    const r = await v.run(['profile', 'show', `missing${OSC}`]);
    expect(r.code).toBe(5);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
  });
});
