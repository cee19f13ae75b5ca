import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';
import { hostileBundle } from './hostile-bundle';

// Attack: `keyhold import FILE` applied a stranger's bundle at once, in a script or a terminal,
// before anyone read what it would create; the preview did not even list the key names.

let v: Awaited<ReturnType<typeof cliVault>>;
let path: string;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-confirm-');
  const vault = Vault.open(v.env.KEYHOLD_VAULT);
  await vault.unlock(PASSWORD);
  try {
    path = await hostileBundle(vault, v.dir, [
      { agentId: 'agent', name: 'prod', authData: { API_KEY: 'sk-secret-value-0123456789', REGION: 'eu-west-1' }, saveSession: false },
    ]);
  } finally {
    vault.close();
  }
});
afterAll(() => v.cleanup());

describe('keyhold import', () => {
  it('refuses a signer that is not a contact without --trust-signer, after showing its fingerprint', async () => {
    const r = await v.run(['import', path, '--yes']);
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/Signed by: an unknown signer, fingerprint [A-Z2-7-]+/);
    expect(r.stderr).toMatch(/neither this vault's nor one of your contacts'.*--trust-signer/);
    expect((await v.ok(['profile', 'list', '--json'])).json()).toEqual([]);
  });

  it('shows agent ids, profile names and key names, never values, and without a terminal needs --yes', async () => {
    const r = await v.run(['import', path, '--trust-signer']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/\+ create\s+agent\/prod/);
    expect(r.stdout).toContain('keys: API_KEY, REGION (values not shown)');
    expect(r.stdout + r.stderr).not.toContain('sk-secret-value');
    expect(r.stdout + r.stderr).not.toContain('eu-west-1');
    expect(r.stderr).toMatch(/no terminal to confirm the import.*--yes/);
    expect((await v.ok(['profile', 'list', '--json'])).json()).toEqual([]);

    const yes = await v.ok(['import', path, '--trust-signer', '--yes']);
    expect(yes.stdout).toContain('1 profile created');
    expect(yes.stdout).toMatch(/arrived as drafts/);
    expect((await v.ok(['profile', 'list', '--json'])).json()).toMatchObject([{ agentId: 'agent', name: 'prod', syncState: 'draft' }]);
  });
});
