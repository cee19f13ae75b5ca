import { afterEach, describe, expect, it } from 'vitest';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

// Sleep or a screen lock locks Keyhold at once; a form's unsaved edits used to go with it. Main now
// keeps the form while the vault is unlocked, seals it with the vault key at the lock, and gives it
// back once after the unlock.

const draft = { key: 'profile-form-new', values: JSON.stringify({ agentId: 'crm', name: 'prod', rows: [{ key: 'PASS', value: 'typed-secret-value' }] }) };

let h: ApiHarness;
afterEach(() => h.cleanup());

describe('a form kept across a lock', () => {
  it('comes back once after the unlock, and cannot be read or replaced while locked', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    expect(await h.ok('formDraftTake')).toBeNull();
    await h.ok('formDraftKeep', { draft });
    h.backend.lock('suspend');
    expect(h.named('locked')).toEqual([{ reason: 'suspend' }]);
    // Locked: the window unmounting its form drops nothing, and nothing is handed out.
    expect(await h.call('formDraftKeep', { draft: null })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(await h.call('formDraftTake')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });

    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual(draft);
    expect(await h.ok('formDraftTake')).toBeNull();
  });

  it('a form saved, cancelled or discarded before the lock is not brought back', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', { draft });
    await h.ok('formDraftKeep', { draft: null });
    await h.ok('vaultLock');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toBeNull();
  });

  it('is dropped when a password change replaced the key it was sealed with', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', { draft });
    h.backend.lock('lock-screen');
    await h.ok('vaultUnlock', { password: MASTER });
    await h.ok('vaultChangePassword', { current: MASTER, next: 'another long password here' });
    expect(await h.ok('formDraftTake')).toBeNull();
  });

  it('refuses what no form sends', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    for (const bad of [
      { key: '', values: '{}' },
      { key: 'k', values: 'x'.repeat(4 * 1024 * 1024 + 1) },
      { key: 'k', values: '{}', extra: 1 },
    ]) {
      expect(await h.call('formDraftKeep', { draft: bad } as never)).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    }
  });
});
