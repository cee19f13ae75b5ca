import { afterEach, describe, expect, it } from 'vitest';
import { MAX_KEPT_FORMS } from '../../src/core/api/form-draft';
import { apiHarness, MASTER, type ApiHarness } from './api-harness';

// Sleep or a screen lock locks Keyhold at once; a form's unsaved edits used to go with it. Main now
// keeps each form's edits while the vault is unlocked, seals them with the vault key at the lock,
// and gives them back once after the unlock.

const profile = { key: 'profile-form-new', values: JSON.stringify({ agentId: 'crm', name: 'prod', rows: [{ key: 'PASS', value: 'typed-secret-value' }] }) };
const kura = { key: 'connection-kura', values: JSON.stringify({ url: 'https://kura.example.com', credential: 'pasted-api-key' }) };
const backside = { key: 'connection-backside', values: JSON.stringify({ url: 'https://backside.example.com', credential: 'pasted-bearer' }) };

let h: ApiHarness;
afterEach(() => h.cleanup());

describe('forms kept across a lock', () => {
  it('come back once after the unlock, and cannot be read or replaced while locked', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([]);
    await h.ok('formDraftKeep', profile);
    h.backend.lock('suspend');
    expect(h.named('locked')).toEqual([{ reason: 'suspend' }]);
    // Locked: the window unmounting its form drops nothing, and nothing is handed out.
    expect(await h.call('formDraftKeep', { key: profile.key, values: null })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(await h.call('formDraftDiscard')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    expect(await h.call('formDraftTake')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });

    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([profile]);
    expect(await h.ok('formDraftTake')).toEqual([]);
  });

  it('keeps every form of a section (both connections), each by its own key, the latest state of each', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', { key: kura.key, values: '{"url":"https://ku"}' });
    await h.ok('formDraftKeep', backside);
    await h.ok('formDraftKeep', kura);
    h.backend.lock('lock-screen');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([kura, backside]);
  });

  it('a form saved or cancelled before the lock is not brought back; the others are', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', kura);
    await h.ok('formDraftKeep', backside);
    await h.ok('formDraftKeep', { key: kura.key, values: null });
    await h.ok('vaultLock');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([backside]);
  });

  it('edits the person discarded are gone, whichever forms held them', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', kura);
    await h.ok('formDraftKeep', backside);
    await h.ok('formDraftDiscard');
    await h.ok('vaultLock');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([]);
  });

  it('drafts from a lock the window never came back from stay, and newer edits of the same form replace them', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', kura);
    await h.ok('formDraftKeep', backside);
    h.backend.lock('idle');
    await h.ok('vaultUnlock', { password: MASTER });
    // The window reloaded before it took them, and a form has changed since.
    const newer = { key: kura.key, values: '{"url":"https://kura.example.com","credential":"typed-again"}' };
    await h.ok('formDraftKeep', newer);
    h.backend.lock('idle');
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.ok('formDraftTake')).toEqual([newer, backside]);
  });

  it('are dropped when a password change replaced the key they were sealed with', async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('formDraftKeep', profile);
    h.backend.lock('lock-screen');
    await h.ok('vaultUnlock', { password: MASTER });
    await h.ok('vaultChangePassword', { current: MASTER, next: 'another long password here' });
    expect(await h.ok('formDraftTake')).toEqual([]);
  });

  it(`keeps at most ${MAX_KEPT_FORMS} forms, and refuses what no form sends`, async () => {
    h = apiHarness();
    await h.ok('vaultCreate', { password: MASTER });
    for (let i = 0; i < MAX_KEPT_FORMS; i++) await h.ok('formDraftKeep', { key: `profile-form-${i}`, values: '{}' });
    // A form already kept may still change; a new one is refused in words.
    await h.ok('formDraftKeep', { key: 'profile-form-0', values: '{"name":"x"}' });
    expect(await h.call('formDraftKeep', { key: 'profile-form-extra', values: '{}' })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', message: `Keyhold keeps the unsaved edits of at most ${MAX_KEPT_FORMS} forms at once.` },
    });
    for (const bad of [
      { key: '', values: '{}' },
      { key: 'k'.repeat(201), values: '{}' },
      { key: 'k', values: 'x'.repeat(4 * 1024 * 1024 + 1) },
      { key: 'k', values: '{}', extra: 1 },
      { draft: profile },
    ]) {
      expect(await h.call('formDraftKeep', bad as never)).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    }
  });
});
