// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FormDraft } from '../../src/shared/contract';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';
import { ProfilesView } from '../../src/renderer/screens/profiles/ProfilesView';
import { useKeptDrafts } from '../../src/renderer/drafts';
import { AgentsView } from '../../src/renderer/screens/AgentsView';
import { ByokView } from '../../src/renderer/screens/ByokView';
import { SettingsView } from '../../src/renderer/screens/SettingsView';
import { AddContactForm } from '../../src/renderer/screens/sharing/SharingView';
import { ConnectionsView } from '../../src/renderer/screens/ConnectionsView';
import { useAppState, type View } from '../../src/renderer/state';
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
    await waitFor(() => expect(formDraftKeep).toHaveBeenLastCalledWith({ key: 'profile-form-new', values: expect.stringContaining('typed-secret') }));
    const sent = (formDraftKeep.mock.lastCall as unknown as [FormDraft])[0];
    expect(JSON.parse(sent.values)).toMatchObject({ agentId: 'crm-bot', rows: [{ key: '', value: 'typed-secret', existing: false }] });
    view.unmount();
    expect(formDraftKeep).toHaveBeenLastCalledWith({ key: 'profile-form-new', values: null });
  });

  it('after the unlock, opens the form the edits came from and puts them back', async () => {
    const values = { agentId: 'crm-bot', name: 'prod', rows: [{ key: 'PASSWORD', value: 'half-typed', existing: true }], saveSession: true };
    const restore: FormDraft = { key: `profile-form-${ID}`, values: JSON.stringify(values) };
    const profileGet = vi.fn(async () => ({ ...profile, authData: { USERNAME: null, PASSWORD: null }, expiry: {}, allowEnv: [], revealed: false }));
    renderWith(
      fakeClient({ agentsList, profileGet, profilesList: async () => [profile], formDraftKeep: async () => null }),
      <RestoreInto section="profiles" restore={[restore]}>
        <ProfilesView />
      </RestoreInto>,
    );
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
    const restore: FormDraft[] = [{ key: 'profile-form-new', values: '{"rows":[{"value":"typed-secret"}]}' }];
    act(() => result.current.go('profiles', { restore, newProfile: 1 }));
    expect(result.current.focus.restore).toBe(restore);
    emit('locked', { reason: 'suspend' });
    expect(result.current.focus).toEqual({ newProfile: 1 });
  });
});

/** A section as the shell opens it after an unlock that found kept edits. */
function RestoreInto({ section, restore, children }: { section: View; restore: FormDraft[]; children: ReactNode }) {
  const { go } = useAppState();
  useEffect(() => go(section, { restore }), [go, section, restore]);
  return <>{children}</>;
}

/** The shell's "Discard unsaved changes?" question, reduced to its answer. */
function LeaveQuestion() {
  const { leaving, answerLeave } = useAppState();
  return leaving ? (
    <div role="alertdialog" aria-label="Discard unsaved changes?">
      <button type="button" onClick={() => answerLeave(false)}>
        Keep editing
      </button>
      <button type="button" onClick={() => answerLeave(true)}>
        Discard changes
      </button>
    </div>
  ) : null;
}

const byokKey = 'sk-ant-api03-' + 'k'.repeat(60);
const byokItem = {
  id: '5c1c2f0e-7d2a-4b8e-9f00-2a4d6c8e1b33',
  kind: 'claude-code',
  provider: 'anthropic' as const,
  keyHint: 'sk-ant…kkkk',
  syncState: 'synced' as const,
  lastError: null,
  remote: null,
  createdAt: NOW,
  updatedAt: NOW,
  version: 1,
};

describe('a BYOK key form', () => {
  it('a pasted key is kept for a lock, and Cancel, Escape or a click beside it ask before it is thrown away', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    const formDraftDiscard = vi.fn(async () => null);
    renderWith(
      fakeClient({ byokList: async () => [], formDraftKeep, formDraftDiscard }),
      <>
        <ByokView />
        <LeaveQuestion />
      </>,
    );
    await user.click(await screen.findByRole('button', { name: 'Add your first key' }));
    await user.type(screen.getByLabelText('Agent kind'), 'claude-code');
    await user.click(screen.getByLabelText('API key'));
    await user.paste(byokKey);
    await waitFor(() => expect(formDraftKeep).toHaveBeenLastCalledWith({ key: 'byok-form-new', values: expect.stringContaining(byokKey) }));

    await user.keyboard('{Escape}');
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Keep editing' }));
    expect(screen.getByRole('form', { name: 'New BYOK key' })).toBeTruthy();
    expect((screen.getByLabelText('API key') as HTMLInputElement).value).toBe(byokKey);

    fireEvent.mouseDown(document.querySelector('.backdrop') as Element);
    await user.click(screen.getByRole('button', { name: 'Keep editing' }));
    expect(screen.getByRole('form', { name: 'New BYOK key' })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await user.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(screen.queryByRole('form', { name: 'New BYOK key' })).toBeNull();
    expect(formDraftDiscard).toHaveBeenCalled();
  });

  it('an untouched form closes at once', async () => {
    const user = userEvent.setup();
    renderWith(
      fakeClient({ byokList: async () => [], formDraftKeep: async () => null }),
      <>
        <ByokView />
        <LeaveQuestion />
      </>,
    );
    await user.click(await screen.findByRole('button', { name: 'Add your first key' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('form', { name: 'New BYOK key' })).toBeNull();
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('after the unlock, the rotation the edits came from opens again with the pasted key', async () => {
    const restore: FormDraft = { key: 'byok-form-rotate-claude-code', values: JSON.stringify({ kind: 'claude-code', provider: 'anthropic', apiKey: byokKey }) };
    renderWith(
      fakeClient({ byokList: async () => [byokItem], formDraftKeep: async () => null }),
      <RestoreInto section="byok" restore={[restore]}>
        <ByokView />
      </RestoreInto>,
    );
    expect(await screen.findByRole('form', { name: 'Rotate the claude-code key' })).toBeTruthy();
    await waitFor(() => expect((screen.getByLabelText('New API key') as HTMLInputElement).value).toBe(byokKey));
    expect(await screen.findByText(/Your unsaved edits are back/)).toBeTruthy();
  });
});

describe('the connection forms', () => {
  const kuraRemote = { kind: 'kura' as const, url: 'https://kura.example.com', hasCredential: true, paused: false, pausedReason: null, updatedAt: NOW };

  it('each keeps its own unsaved edits for a lock, under its own name', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    renderWith(fakeClient({ remotesList: async () => [kuraRemote], formDraftKeep }), <ConnectionsView />);
    const kura = within(await screen.findByRole('form', { name: 'Kura connection' }));
    await user.type(kura.getByLabelText('API key'), 'new-kura-key');
    const backside = within(screen.getByRole('form', { name: 'Backside connection' }));
    await user.type(backside.getByLabelText('Base URL'), 'https://backside.example.com');
    await waitFor(() => {
      const kept = new Map(formDraftKeep.mock.calls.map((c) => [(c as unknown as [FormDraft])[0].key, (c as unknown as [FormDraft])[0].values]));
      expect(JSON.parse(kept.get('connection-kura') ?? 'null')).toEqual({ url: 'https://kura.example.com', credential: 'new-kura-key' });
      expect(JSON.parse(kept.get('connection-backside') ?? 'null')).toEqual({ url: 'https://backside.example.com', credential: '' });
    });
  });

  it('after the unlock, each form gets its own edits back', async () => {
    const restore: FormDraft[] = [
      { key: 'connection-kura', values: JSON.stringify({ url: 'https://kura.example.com', credential: 'new-kura-key' }) },
      { key: 'connection-backside', values: JSON.stringify({ url: 'https://backside.example.com', credential: '' }) },
    ];
    renderWith(
      fakeClient({ remotesList: async () => [kuraRemote], formDraftKeep: async () => null }),
      <RestoreInto section="connections" restore={restore}>
        <ConnectionsView />
      </RestoreInto>,
    );
    const kura = within(await screen.findByRole('form', { name: 'Kura connection' }));
    await waitFor(() => expect((kura.getByLabelText('API key') as HTMLInputElement).value).toBe('new-kura-key'));
    const backside = within(screen.getByRole('form', { name: 'Backside connection' }));
    expect((backside.getByLabelText('Base URL') as HTMLInputElement).value).toBe('https://backside.example.com');
    expect((backside.getByLabelText('Bearer token') as HTMLInputElement).value).toBe('');
  });
});

/** Opens a section through the app state, as the sidebar does (the leave guard asks first). */
function GoTo({ section }: { section: View }) {
  const { go } = useAppState();
  return (
    <button type="button" onClick={() => go(section)}>
      Go to {section}
    </button>
  );
}

describe('the other forms: agents, contacts and preferences', () => {
  const kept = (spy: { mock: { calls: unknown[][] } }, key: string) => {
    const last = spy.mock.calls
      .map((c) => c[0] as { key: string; values: string | null })
      .filter((d) => d.key === key)
      .at(-1);
    return last?.values === null || last === undefined ? null : (JSON.parse(last.values) as Record<string, unknown>);
  };

  it('an agent declaration being typed is kept for a lock, and comes back in its dialog after the unlock', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    const view = renderWith(fakeClient({ agentsList: async () => [], profilesList: async () => [], formDraftKeep }), <AgentsView />);
    await user.click(await screen.findByRole('button', { name: 'Declare your first agent' }));
    await user.type(screen.getByLabelText('Agent id'), 'crm-bot');
    await user.type(screen.getByLabelText('Input arguments'), 'USERNAME{Enter}PASSWORD');
    await waitFor(() => expect(kept(formDraftKeep, 'agent-form-new')).toEqual({ agentId: 'crm-bot', args: 'USERNAME\nPASSWORD' }));
    view.unmount();

    const restore: FormDraft[] = [{ key: 'agent-form-new', values: JSON.stringify({ agentId: 'crm-bot', args: 'USERNAME\nPASSWORD' }) }];
    renderWith(
      fakeClient({ agentsList: async () => [], profilesList: async () => [], formDraftKeep: async () => null }),
      <RestoreInto section="agents" restore={restore}>
        <AgentsView />
      </RestoreInto>,
    );
    const form = await screen.findByRole('form', { name: 'Declare an agent' });
    await waitFor(() => expect((within(form).getByLabelText('Input arguments') as HTMLTextAreaElement).value).toBe('USERNAME\nPASSWORD'));
    expect((within(form).getByLabelText('Agent id') as HTMLInputElement).value).toBe('crm-bot');
  });

  it('a contact being typed: leaving the section asks first, a lock keeps it, the unlock puts it back', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    const calls = { contactsList: async () => [], formDraftKeep };
    const view = renderWith(
      fakeClient(calls),
      <>
        <AddContactForm />
        <GoTo section="profiles" />
        <LeaveQuestion />
      </>,
    );
    await user.type(screen.getByLabelText('Name'), 'Bob');
    await user.type(screen.getByLabelText('Age recipient'), 'age1bob');
    await waitFor(() => expect(kept(formDraftKeep, 'contact-form')).toEqual({ name: 'Bob', recipient: 'age1bob', signingKey: '' }));
    await user.click(screen.getByRole('button', { name: 'Go to profiles' }));
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeTruthy();
    view.unmount();

    renderWith(
      fakeClient({ ...calls, formDraftKeep: async () => null }),
      <RestoreInto section="sharing" restore={[{ key: 'contact-form', values: JSON.stringify({ name: 'Bob', recipient: 'age1bob', signingKey: '' }) }]}>
        <ContactsProbe />
      </RestoreInto>,
    );
    await waitFor(() => expect((screen.getByLabelText('Age recipient') as HTMLInputElement).value).toBe('age1bob'));
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('Bob');
  });

  it('changed preferences: leaving asks first, a lock keeps them, the unlock puts them back over what is saved', async () => {
    const user = userEvent.setup();
    const formDraftKeep = vi.fn(async () => null);
    const saved = { autoLockMinutes: 10, clipboardSeconds: 30, theme: 'system' as const, quickUnlock: false, keyMaxAgeDays: 90 };
    const calls = { settingsGet: async () => saved, vaultStatus: async () => ({ exists: true, unlocked: true, dir: '/v' }), formDraftKeep };
    const view = renderWith(
      fakeClient(calls),
      <>
        <SettingsView />
        <GoTo section="profiles" />
        <LeaveQuestion />
      </>,
    );
    const minutes = await screen.findByLabelText('Lock after (minutes without activity)');
    await user.clear(minutes);
    await user.type(minutes, '45');
    await waitFor(() => expect(kept(formDraftKeep, 'settings-form')).toMatchObject({ autoLockMinutes: 45, clipboardSeconds: 30 }));
    await user.click(screen.getByRole('button', { name: 'Go to profiles' }));
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeTruthy();
    view.unmount();

    renderWith(
      fakeClient({ ...calls, formDraftKeep: async () => null }),
      <RestoreInto section="settings" restore={[{ key: 'settings-form', values: JSON.stringify({ ...saved, autoLockMinutes: 45, evil: 'x' }) }]}>
        <SettingsView />
      </RestoreInto>,
    );
    await waitFor(() => expect((screen.getByLabelText('Lock after (minutes without activity)') as HTMLInputElement).value).toBe('45'));
    expect((screen.getByLabelText('Clear the clipboard after (seconds)') as HTMLInputElement).value).toBe('30');
  });
});

/** The contact form as the Sharing page holds it (the page's other parts are not under test here). */
function ContactsProbe() {
  const [restored, setRestored] = useState<string | undefined>(undefined);
  useKeptDrafts('sharing', ([draft]) => setRestored(draft?.values));
  return <AddContactForm restored={restored} />;
}
