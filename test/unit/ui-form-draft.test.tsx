// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FormDraft } from '../../src/shared/contract';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';
import { ProfilesView } from '../../src/renderer/screens/profiles/ProfilesView';
import { useAppState } from '../../src/renderer/state';
import { appStateHarness, fakeClient, NOW, profileSummary, renderWith } from '../helpers/ui';

// Sleep or a screen lock locks Keyhold at once, and the window's forms go with it. The profile form
// now sends its unsaved state to main as it changes (main seals it at the lock: form-draft.ts), and
// after the unlock the window opens the same form with it.

const ID = profileSummary().id;
const profile = profileSummary({ hasToken: false, lastSyncType: null });
const agentsList = async () => [{ agentId: 'crm-bot', args: ['USERNAME', 'PASSWORD'], updatedAt: NOW }];

afterEach(cleanup);

describe('a profile form across a lock', () => {
  it('sends its unsaved state to main while it has any, and drops it when it goes', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    const view = renderWith(fakeClient({ agentsList, formDraftKeep }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByLabelText('Agent id'), 'crm-bot');
    await user.type(screen.getByLabelText('Value 1'), 'typed-secret');
    await waitFor(() =>
      expect(formDraftKeep).toHaveBeenLastCalledWith({ draft: { key: 'profile-form-new', values: expect.stringContaining('typed-secret') } }),
    );
    const sent = (formDraftKeep.mock.lastCall as unknown as [{ draft: FormDraft }])[0].draft;
    expect(JSON.parse(sent.values)).toMatchObject({ agentId: 'crm-bot', rows: [{ key: '', value: 'typed-secret', existing: false }] });
    view.unmount();
    expect(formDraftKeep).toHaveBeenLastCalledWith({ draft: null });
  });

  it('after the unlock, opens the form the edits came from and puts them back', async () => {
    const values = { agentId: 'crm-bot', name: 'prod', rows: [{ key: 'PASSWORD', value: 'half-typed', existing: true }], saveSession: true };
    const restore: FormDraft = { key: `profile-form-${ID}`, values: JSON.stringify(values) };
    const profileGet = vi.fn(async () => ({ ...profile, authData: { USERNAME: null, PASSWORD: null }, expiry: {}, allowEnv: [], revealed: false }));
    renderWith(fakeClient({ agentsList, profileGet, profilesList: async () => [profile], formDraftKeep: async () => null }), <RestoreInto restore={restore} />);
    expect(await screen.findByRole('form', { name: 'Edit crm-bot/prod' })).toBeTruthy();
    await waitFor(() => expect((screen.getByLabelText('Value 1') as HTMLInputElement).value).toBe('half-typed'));
    expect((screen.getByRole('checkbox', { name: /Save the agent's session/ }) as HTMLInputElement).checked).toBe(true);
    expect(await screen.findByText(/Your unsaved edits are back/)).toBeTruthy();
    expect(profileGet).toHaveBeenCalledWith({ ref: ID });
  });
});

describe('edits put back, at the next lock', () => {
  it('leave the page: the app state that carried them forgets them', () => {
    const { result, emit } = appStateHarness();
    const restore: FormDraft = { key: 'profile-form-new', values: '{"rows":[{"value":"typed-secret"}]}' };
    act(() => result.current.go('profiles', { restore, newProfile: 1 }));
    expect(result.current.focus.restore).toBe(restore);
    emit('locked', { reason: 'suspend' });
    expect(result.current.focus).toEqual({ newProfile: 1 });
  });
});

/** ProfilesView as the shell opens it after an unlock that found kept edits. */
function RestoreInto({ restore }: { restore: FormDraft }) {
  const { go } = useAppState();
  useEffect(() => go('profiles', { restore }), [go, restore]);
  return <ProfilesView />;
}
