import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildChildEnv } from '../../src/core/devflow';
import { revealedAuthData } from '../../src/shared/domain';
import type { Vault } from '../../src/core/vault/vault';
import { expectKeyholdError } from '../fixtures/share/samples';
import { writeLegacyProfile } from '../helpers/legacy';
import { newVault } from '../helpers/vault';

// Attack: a vault written before the rule already holds NODE_OPTIONS in a profile (imported from a
// teammate's bundle back then). The rule must not lose data, and must still stop `run`.

let vault: Vault;
const cleanups: (() => void)[] = [];
beforeEach(async () => {
  const v = await newVault();
  cleanups.push(v.cleanup);
  vault = v.vault;
  // Written as the old code did: straight to the rows, with no allowance stored.
  writeLegacyProfile(vault, { agentId: 'agent', name: 'old', authData: { API_KEY: 'sk-live-0123456789', NODE_OPTIONS: '--require=/tmp/evil.js' } });
});
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('a vault that already holds a key that runs code', () => {
  it('keeps it, and edits that do not touch it still work', () => {
    const edited = vault.profiles.edit('agent/old', { set: { API_KEY: 'sk-live-rotated-0123' } });
    expect(edited.keys).toEqual(['API_KEY', 'NODE_OPTIONS']);
    expect(vault.profiles.get('agent/old', { reveal: true }).authData.NODE_OPTIONS).toBe('--require=/tmp/evil.js');
  });

  it('is not injected by run unless allowed for that run', async () => {
    const values = revealedAuthData(vault.profiles.get('agent/old', { reveal: true }));
    await expectKeyholdError(() => buildChildEnv([{ label: 'profile agent/old', values }], 'linux'), 'DangerousKey', /"NODE_OPTIONS"/);
    expect(buildChildEnv([{ label: 'profile agent/old', values }], 'linux', ['node_options'])).toMatchObject({ NODE_OPTIONS: '--require=/tmp/evil.js' });
  });

  it('a new value for it needs an allowance', async () => {
    await expectKeyholdError(() => vault.profiles.edit('agent/old', { set: { NODE_OPTIONS: '--require=/tmp/other.js' } }), 'DangerousKey', /"NODE_OPTIONS"/);
    vault.profiles.edit('agent/old', { set: { NODE_OPTIONS: '--max-old-space-size=4096' }, allowEnv: ['NODE_OPTIONS'] });
    expect(vault.profiles.resolve('agent/old').allowEnv).toEqual(['NODE_OPTIONS']);
  });
});
