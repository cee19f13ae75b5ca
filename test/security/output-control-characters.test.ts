import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { Profiles } from '../../src/core/vault/profiles';
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

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-escapes-');
  const vault = Vault.open(v.env.KEYHOLD_VAULT);
  await vault.unlock(PASSWORD);
  try {
    const created = vault.profiles.create({ agentId: 'app', name: `dev${BIDI}gnp.exe`, authData: { API_KEY: 'sk-live-0123456789' } });
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

  it('in an import preview and its warnings', async () => {
    const vault = Vault.open(v.env.KEYHOLD_VAULT);
    await vault.unlock(PASSWORD);
    let path: string;
    try {
      path = await hostileBundle(vault, v.dir, [
        { agentId: `agent${CSI}`, name: `Signed by: Alice${BIDI}`, authData: { [`KEY${CSI}`]: 'v-0123456789' }, saveSession: false },
      ]);
    } finally {
      vault.close();
    }
    const r = await v.run(['import', path, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stdout).toContain('agent\\x9b2J/Signed by: Alice\\u202e');
    expect(r.stdout).toContain('KEY\\x9b2J');
  });

  it('in error messages', async () => {
    const r = await v.run(['profile', 'show', `missing${OSC}`]);
    expect(r.code).toBe(5);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
  });
});
