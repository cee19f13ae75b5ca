import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportToFile } from '../../src/core/share/exchange';
import { useCleanups } from '../helpers/cleanup';
import { newVault } from '../helpers/vault';
import { MASTER, shareApi } from './api-harness';

// An opened bundle holds decrypted values, and a chosen file was chosen in the unlocked session:
// neither may outlive a lock, also when the lock comes while the call is still under way.

const cleanups = useCleanups();

async function setup() {
  const { h, dialog, dir } = await shareApi(cleanups);
  const me = await h.ok('identityGet');
  const bob = await newVault();
  cleanups.push(bob.cleanup);
  bob.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { PASS: 'bobs-secret-value' } });
  const file = join(dir, 'from-bob.age');
  await exportToFile(bob.vault, file, { all: true, target: { recipients: [me.recipient] } });
  return { h, dialog, file };
}

describe('an import racing a lock', () => {
  it('a bundle whose opening a lock overtook is not kept: no handle, nothing to preview or apply after the next unlock', async () => {
    const { h, dialog, file } = await setup();
    dialog.opens.push(file);
    const chosen = await h.ok('shareImportChoose');
    const opening = h.call('shareImportOpen', { file: chosen.file });
    await h.ok('vaultLock');
    const reply = await opening;
    // VaultLocked or NotFound, as it happens; either way no handle.
    expect(reply.ok).toBe(false);
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.call('shareImportOpen', { file: chosen.file })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    const handle = reply.ok ? reply.value.handle : '0'.repeat(32);
    expect(await h.call('shareImportPreview', { handle })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await h.call('shareImportApply', { handle, trustSigner: true })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await h.ok('profilesList', {})).toEqual([]);
  });

  it('the same when the vault is unlocked again before the opening ends', async () => {
    const { h, dialog, file } = await setup();
    dialog.opens.push(file);
    const chosen = await h.ok('shareImportChoose');
    const opening = h.call('shareImportOpen', { file: chosen.file });
    await h.ok('vaultLock');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await opening).toMatchObject({ ok: false, error: { code: 'NotFound' } });
  });

  it('a file chosen in a dialog a lock overtook gives no handle', async () => {
    const { h, dialog, file } = await setup();
    dialog.opens.push(file);
    const choosing = h.call('shareImportChoose');
    await h.ok('vaultLock');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await choosing).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    // Choosing again works as before.
    dialog.opens.push(file);
    const chosen = await h.ok('shareImportChoose');
    expect((await h.ok('shareImportOpen', { file: chosen.file })).preview.profiles).toHaveLength(1);
  });
});
