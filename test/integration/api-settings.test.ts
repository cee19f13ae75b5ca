import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionSnapshot } from '../../src/core/vault/session-items';
import { createSession } from '../../src/core/vault/sessions';
import { Vault } from '../../src/core/vault/vault';
import { fakeKeychain } from '../fakes/keychain';
import { apiHarness, MASTER } from './api-harness';

const TOML = '/home/ann/code/app/keyhold.toml';
const REFS = { GITHUB_TOKEN: 'keyhold://profile/gh/dev/GITHUB_TOKEN' };

describe('command-line sessions through the router', () => {
  it('lists the sessions a terminal began, what each holds, and ends them all, audited', async () => {
    const h = apiHarness();
    try {
      await h.ok('vaultCreate', { password: MASTER });
      await h.ok('profileCreate', {
        agentId: 'gh',
        name: 'mcp',
        authData: { GITHUB_TOKEN: 'ghp_0123456789abcdef' },
        saveSession: false,
        draft: true,
        allowEnv: [],
      });
      expect(await h.ok('sessionsList')).toEqual([]);

      const cli = Vault.open(h.vaultDir);
      try {
        await cli.unlock(MASTER);
        createSession(cli, 30);
        createSession(cli, 60, sessionSnapshot(cli, ['gh/mcp'], []));
      } finally {
        cli.close();
      }
      const listed = await h.ok('sessionsList');
      expect(listed.map((s) => s.holds)).toEqual([null, 'gh/mcp']);
      expect(JSON.stringify(listed)).not.toContain('ghp_0123456789abcdef');

      expect(await h.ok('sessionsEnd')).toEqual({ ended: 2 });
      expect(await h.ok('sessionsList')).toEqual([]);
      const [revoked] = await h.ok('auditList', { limit: 1, event: 'sessions_revoked' });
      expect(revoked?.detail).toEqual({ count: 2, reason: 'ended_in_window' });
    } finally {
      await h.cleanup();
    }
  });
});

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

describe('settings while the vault is locked', () => {
  it('only stricter: shorter delays, an earlier key-age warning, quick unlock off; looser ones answer VaultLocked', async () => {
    const h = apiHarness({ secretStorage: fakeKeychain().port, settings: { quickUnlock: true } });
    try {
      const file = join(h.dir, '.vault.quick-unlock');
      await h.ok('vaultCreate', { password: MASTER });
      expect(existsSync(file)).toBe(true);
      await h.ok('vaultLock');

      expect(await h.ok('settingsSet', { autoLockMinutes: 5, clipboardSeconds: 10, keyMaxAgeDays: 30, theme: 'light' })).toMatchObject({
        autoLockMinutes: 5,
        clipboardSeconds: 10,
        keyMaxAgeDays: 30,
        theme: 'light',
      });
      // The same values again loosen nothing.
      expect(await h.ok('settingsSet', { autoLockMinutes: 5 })).toMatchObject({ autoLockMinutes: 5 });
      expect(await h.call('settingsSet', { autoLockMinutes: 6 })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
      expect(await h.call('settingsSet', { clipboardSeconds: 11 })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
      expect(await h.call('settingsSet', { keyMaxAgeDays: 31 })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });

      // Turning quick unlock off is stricter: allowed while locked, and the stored key goes with it.
      expect(await h.ok('settingsSet', { quickUnlock: false })).toMatchObject({ quickUnlock: false });
      expect(existsSync(file)).toBe(false);
      expect(await h.call('settingsSet', { quickUnlock: true, password: MASTER })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });

      await h.ok('vaultUnlock', { password: MASTER });
      expect(await h.ok('settingsSet', { autoLockMinutes: 60, clipboardSeconds: 120 })).toMatchObject({ autoLockMinutes: 60, clipboardSeconds: 120 });
    } finally {
      await h.cleanup();
    }
  });
});
