import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportToFile } from '../../src/core/share/exchange';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault } from '../helpers/vault';
import { MASTER, shareApi } from './api-harness';

// `keyhold passwd` (or a second window) rotates the vault key while the desktop app is unlocked.
// The app's vault forgets its key at its next read. Before, that was a lock nobody heard of: the
// copied secret stayed on the clipboard, an opened import (decrypted values) stayed in main and
// worked after the next unlock, and the window got no `locked` event, so it kept showing the
// unlocked screens (and any value revealed on them). It is now a lock like the others.

const cleanups = useCleanups();
const NEXT = 'a brand new master password';

describe('the master password changed by another process while the window is unlocked', () => {
  it('locks the window as every lock does: clipboard cleared, import dropped, `locked` sent once', async () => {
    const { h, dialog, dir } = await shareApi(cleanups);
    const me = await h.ok('identityGet');
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { API_KEY: 'sk-secret-0123456789' }, draft: true });
    await h.ok('profileCopy', { ref: 'crm/prod', key: 'API_KEY' });

    const bob = await newVault();
    cleanups.push(bob.cleanup);
    bob.vault.profiles.create({ agentId: 'crm', name: 'staging', authData: { PASS: 'bobs-secret-value' } });
    const file = join(dir, 'from-bob.age');
    await exportToFile(bob.vault, file, { all: true, target: { recipients: [me.recipient] } });
    dialog.opens.push(file);
    const opened = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file });

    const other = Vault.open(h.vaultDir);
    await other.unlock(MASTER);
    await other.changePassword(MASTER, NEXT);
    other.close();
    const cleared = h.clipboard.cleared;

    expect(await h.call('profilesList', {})).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(h.clipboard.cleared).toBe(cleared + 1);
    expect(h.named('locked')).toEqual([{ reason: 'password-changed' }]);
    expect(await h.ok('vaultStatus')).toMatchObject({ unlocked: false });

    // Another call while locked is refused as usual, and is no second lock.
    expect(await h.call('profilesList', {})).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(h.named('locked')).toHaveLength(1);

    await h.ok('vaultUnlock', { password: NEXT });
    expect(await h.call('shareImportPreview', { handle: opened.handle })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect((await h.ok('profilesList', {})).map((p) => p.name)).toEqual(['prod']);

    // A lock of the person's own after that is the usual one.
    await h.ok('vaultLock');
    expect(h.named('locked')).toEqual([{ reason: 'password-changed' }, { reason: 'user' }]);
  });
});
