import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { apiHarness, MASTER } from './api-harness';

const TOML = '/home/ann/code/app/keyhold.toml';
const REFS = { GITHUB_TOKEN: 'keyhold://profile/gh/dev/GITHUB_TOKEN' };

describe('trusted files through the router', () => {
  it('lists what "keyhold trust" recorded (by another process) and revokes it, once', async () => {
    const h = apiHarness();
    try {
      expect(await h.call('trustedFilesList')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
      await h.ok('vaultCreate', { password: MASTER });
      expect(await h.ok('trustedFilesList')).toEqual({ files: [], damaged: [] });

      // The CLI trusts a file in its own process while the window has the vault open.
      const cli = Vault.open(h.vaultDir);
      try {
        await cli.unlock(MASTER);
        cli.trustedFiles.trust({ path: TOML, refs: REFS });
      } finally {
        cli.close();
      }
      expect(await h.ok('trustedFilesList')).toEqual({ files: [{ path: TOML, refs: REFS, trustedAt: expect.any(String) }], damaged: [] });

      expect(await h.ok('trustedFileRevoke', { path: TOML })).toEqual({ path: TOML });
      expect((await h.ok('trustedFilesList')).files).toEqual([]);
      expect(await h.call('trustedFileRevoke', { path: TOML })).toMatchObject({
        ok: false,
        error: { code: 'NotFound', message: `${TOML} is not trusted.` },
      });
      expect(await h.call('trustedFileRevoke', { path: '' })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      expect((await h.ok('auditList', { limit: 10, event: 'file_trust_revoked' })).map((e) => e.event)).toEqual(['file_trust_revoked']);
    } finally {
      await h.cleanup();
    }
  });
});
