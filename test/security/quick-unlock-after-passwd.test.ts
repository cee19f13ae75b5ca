import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { fakeKeychain } from '../fakes/keychain';
import { apiHarness, MASTER, type ApiHarness } from '../integration/api-harness';

const harnesses: ApiHarness[] = [];
afterEach(async () => {
  while (harnesses.length) await harnesses.pop()?.cleanup();
});

// Attack: the master password leaked, so the person changes it with `keyhold passwd` while the
// desktop app keeps the vault key in the OS keychain for quick unlock. Before: passwd only
// re-wrapped the same key, so the stored key (and anyone holding a copy) still opened the vault.
// Now: the key is rotated, the stored one opens nothing, and quick unlock is refused and removed.
describe('quick unlock after the password was changed elsewhere', () => {
  it('is refused with SessionInvalid and forgets the stored key; the new password works', async () => {
    const h = apiHarness({ secretStorage: fakeKeychain().port, settings: { quickUnlock: true } });
    harnesses.push(h);
    const file = join(h.dir, '.vault.quick-unlock');
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' }, draft: true });
    await h.ok('vaultLock');
    expect(existsSync(file)).toBe(true);

    const cli = Vault.open(join(h.dir, 'vault'));
    await cli.unlock(MASTER);
    await cli.changePassword(MASTER, 'the password after the leak');
    cli.close();

    expect(await h.call('vaultQuickUnlock')).toMatchObject({ ok: false, error: { code: 'SessionInvalid' } });
    expect(existsSync(file)).toBe(false);
    await h.ok('vaultUnlock', { password: 'the password after the leak' });
    expect(await h.ok('profileReveal', { ref: 'crm/prod', key: 'USER' })).toEqual({ value: 'ann' });
  });
});
