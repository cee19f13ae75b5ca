import { describe, expect, it } from 'vitest';
import { importFile } from '../../src/core/share/exchange';
import { loadVaultKeys } from '../../src/core/share/vault-keys';
import { Profiles } from '../../src/core/vault/profiles';
import type { Vault } from '../../src/core/vault/vault';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Accident: an old backup of your own vault (exported with --include-tokens) imported with
// --on-conflict overwrite, after the profile was synced again and Kura gave it a new token. The
// import replaced the working token with the bundle's, and kept the replaced one nowhere: not in
// the profile's history, not in the trash. Restoring the previous version brought the values back
// but not the token, and only a re-create (which replaces the remote profile and voids every
// teammate's token) gets another. Whatever else a bundle replaces goes through history; this did not.

const me = useReceiver();

/** A synced profile holding `token`, as a sync leaves it. */
function synced(vault: Vault, token: string): string {
  const { id } = vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-here-0123456789' } });
  const summary = vault.profiles.resolve(id);
  const remote = { authToken: token, agentId: 'crm', name: 'prod' };
  vault.profiles.recordSync(summary, { ...Profiles.metaOf(summary), hasToken: true }, remote, 'synced', remote);
  return id;
}

const fromMyself = async (vault: Vault, dir: string, authToken: string) => {
  const keys = await loadVaultKeys(vault);
  return hostileBundle(vault, dir, [{ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-backup-0123456789' }, saveSession: false, authToken }], {
    signingKey: keys.signingKey.privateKey,
  });
};

describe('an overwrite from a bundle carrying another Kura token than the profile here', () => {
  it("keeps this vault's working token, says so in the preview, and still overwrites the values (a new version)", async () => {
    const id = synced(me.vault, 'kura-token-LIVE-now');
    const path = await fromMyself(me.vault, me.dir, 'kura-token-OLD-backup');

    const { preview, result } = await importFile(me.vault, path, { onConflict: 'overwrite' });
    const change = preview.profiles[0];
    expect(change).toMatchObject({ action: 'update', withToken: false, diff: { authToken: true } });
    expect(change?.note).toMatch(/Kura token for it is kept/);
    expect(preview.warnings.join('\n')).toMatch(/carries 1 Kura token\(s\); 0 will be attached/);
    expect(result?.tokens).toBe(0);

    expect(me.vault.profiles.token(id).authToken).toBe('kura-token-LIVE-now');
    expect(me.vault.profiles.load(id).secrets.authData).toEqual({ API_KEY: 'sk-backup-0123456789' });
    expect(me.vault.profiles.history(id).map((v) => v.reason)).toEqual(['import', 'create']);
  });

  it('a profile here without a working token takes the one the bundle carries', async () => {
    const { id } = me.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-here-0123456789' } });
    const path = await fromMyself(me.vault, me.dir, 'kura-token-from-backup');
    const { preview } = await importFile(me.vault, path, { onConflict: 'overwrite' });
    expect(preview.profiles[0]).toMatchObject({ action: 'update', withToken: true, note: null });
    expect(me.vault.profiles.token(id).authToken).toBe('kura-token-from-backup');
  });
});
