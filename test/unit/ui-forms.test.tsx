// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient as makeClient, NOW, profileSummary, renderWith } from '../helpers/ui';
import { KeyholdError } from '../../src/shared/errors';
import { ByokKeyForm } from '../../src/renderer/screens/ByokView';
import { ProfileDetailPane } from '../../src/renderer/screens/profiles/ProfileDetail';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';
import { CreateVault, Unlock } from '../../src/renderer/screens/VaultGate';

const ID = profileSummary().id;
const summary = profileSummary;

/** Fresh spies per client, so one test's calls never show in another's. */
const defaults = () => ({
  agentsList: vi.fn(async () => [{ agentId: 'crm-bot', args: ['USERNAME', 'PASSWORD'], updatedAt: NOW }]),
  syncNow: vi.fn(async () => ({ pushed: [], failed: [], pending: [], replaced: [], timedOut: false })),
  syncStatus: vi.fn(async () => ({
    counts: { profile: { draft: 0, pending: 0, synced: 0, failed: 0, localOnly: 0 }, byok: { draft: 0, pending: 0, synced: 0, failed: 0, localOnly: 0 } },
    items: [],
    remotes: [],
  })),
});

const fakeClient = (calls: Parameters<typeof makeClient>[1] = {}) => makeClient(defaults(), calls);

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('profile form', () => {
  it('flags a key the agent does not declare, inline, and does not save', async () => {
    const user = userEvent.setup();
    const profileCreate = vi.fn(async () => summary());
    renderWith(fakeClient({ profileCreate }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await waitFor(() => expect(screen.getByText(/Pick a known agent/)).toBeTruthy());

    await user.type(screen.getByLabelText('Agent id'), 'crm-bot');
    await user.type(screen.getByLabelText('Profile name'), 'prod');
    await user.type(screen.getByLabelText('Key 1'), 'TOKEN');
    await user.type(screen.getByLabelText('Value 1'), 's3cret');
    await user.click(screen.getByRole('button', { name: 'Save as draft' }));

    expect(await screen.findByText('crm-bot does not declare "TOKEN". It accepts USERNAME, PASSWORD.')).toBeTruthy();
    expect(screen.getByLabelText('Key 1').getAttribute('aria-invalid')).toBe('true');
    expect(profileCreate).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText('Key 1'));
    await user.type(screen.getByLabelText('Key 1'), 'USERNAME');
    await waitFor(() => expect(screen.queryByText(/does not declare/)).toBeNull());
    await user.click(screen.getByRole('button', { name: 'Save as draft' }));
    await waitFor(() => expect(profileCreate).toHaveBeenCalledTimes(1));
    expect(profileCreate).toHaveBeenCalledWith({ agentId: 'crm-bot', name: 'prod', authData: { USERNAME: 's3cret' }, saveSession: false, draft: true });
  });

  it('shows the schema rules of the contract (names with spaces, duplicate keys)', async () => {
    const user = userEvent.setup();
    renderWith(fakeClient({ agentsList: vi.fn(async () => []) }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByLabelText('Agent id'), 'bot');
    await user.type(screen.getByLabelText('Profile name'), ' padded');
    await user.type(screen.getByLabelText('Key 1'), 'A');
    await user.click(screen.getByRole('button', { name: 'Add row' }));
    await user.type(screen.getByLabelText('Key 2'), 'A');
    await user.click(screen.getByRole('button', { name: 'Save and sync' }));
    expect(await screen.findByText('Profile name may not start or end with spaces.')).toBeTruthy();
    expect(screen.getByText('"A" is already used in this profile.')).toBeTruthy();
  });

  it('fills rows from a pasted .env block and keeps values masked', async () => {
    const user = userEvent.setup();
    renderWith(fakeClient(), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.click(screen.getByRole('button', { name: 'Paste .env' }));
    const box = screen.getByLabelText(/Paste KEY=VALUE lines/);
    fireEvent.change(box, {
      target: { value: '# crm credentials\nexport USERNAME=ann\nPASSWORD="p@ss word # not a comment"\nnot a pair\nEMPTY= # trailing comment\n' },
    });
    await user.click(screen.getByRole('button', { name: 'Fill rows' }));

    await waitFor(() => expect((screen.getByLabelText('Key 1') as HTMLInputElement).value).toBe('USERNAME'));
    expect((screen.getByLabelText('Value 1') as HTMLInputElement).value).toBe('ann');
    expect((screen.getByLabelText('Key 2') as HTMLInputElement).value).toBe('PASSWORD');
    expect((screen.getByLabelText('Value 2') as HTMLInputElement).value).toBe('p@ss word # not a comment');
    expect((screen.getByLabelText('Key 3') as HTMLInputElement).value).toBe('EMPTY');
    expect((screen.getByLabelText('Value 3') as HTMLInputElement).value).toBe('');
    expect(screen.getByRole('status').textContent).toContain('skipped line 4');
    for (const i of [1, 2, 3]) expect(screen.getByLabelText(`Value ${i}`).getAttribute('type')).toBe('password');

    await user.click(screen.getByRole('button', { name: 'Show value 2' }));
    expect(screen.getByLabelText('Value 2').getAttribute('type')).toBe('text');
    expect(screen.getByLabelText('Value 1').getAttribute('type')).toBe('password');
  });

  it('asks before a rename of a synced profile makes a new remote profile, then confirms', async () => {
    const user = userEvent.setup();
    const profileEdit = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('Conflict', 'Renaming a synced profile creates a new Kura profile.', { field: 'confirmNewRemote' }))
      .mockResolvedValueOnce(summary({ name: 'staging' }));
    renderWith(fakeClient({ profileEdit }), <ProfileForm original={summary()} onDone={() => undefined} onCancel={() => undefined} />);
    const name = screen.getByLabelText('Profile name');
    await user.clear(name);
    await user.type(name, 'staging');
    await user.click(screen.getByRole('button', { name: 'Save and sync' }));

    const dialog = await screen.findByRole('dialog', { name: 'This makes a new profile on Kura' });
    expect(within(dialog).getByText(/stays on Kura/)).toBeTruthy();
    expect(profileEdit).toHaveBeenLastCalledWith({ ref: ID, patch: { name: 'staging', saveSession: false, draft: false }, confirmNewRemote: false });
    await user.click(within(dialog).getByRole('button', { name: 'Create new remote profile' }));
    await waitFor(() => expect(profileEdit).toHaveBeenCalledTimes(2));
    expect(profileEdit).toHaveBeenLastCalledWith({ ref: ID, patch: { name: 'staging', saveSession: false, draft: false }, confirmNewRemote: true });
  });

  it('shows a name clash during a rename in the form, not as the new-remote question', async () => {
    const user = userEvent.setup();
    const profileEdit = vi.fn().mockRejectedValue(new KeyholdError('Conflict', 'A profile named "staging" already exists for agent "crm".', { field: 'name' }));
    renderWith(fakeClient({ profileEdit }), <ProfileForm original={summary()} onDone={() => undefined} onCancel={() => undefined} />);
    const name = screen.getByLabelText('Profile name');
    await user.clear(name);
    await user.type(name, 'staging');
    await user.click(screen.getByRole('button', { name: 'Save and sync' }));
    expect(await screen.findByText(/already exists for agent "crm"/)).toBeTruthy();
    expect(screen.queryByRole('dialog', { name: 'This makes a new profile on Kura' })).toBeNull();
    expect(profileEdit).toHaveBeenCalledTimes(1);
  });
});

describe('profile detail', () => {
  it('masks values, reveals one on request and masks it again after a few seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const profileReveal = vi.fn(async () => ({ value: 'hunter2-secret' }));
    const profileCopy = vi.fn(async () => ({ clearsAfterSeconds: 30 }));
    const profileGet = vi.fn(async () => ({ ...summary(), authData: { USERNAME: null, PASSWORD: null }, revealed: false }));
    renderWith(fakeClient({ profileGet, profileReveal, profileCopy }), <ProfileDetailPane id={ID} onEdit={() => undefined} onDeleted={() => undefined} />);

    expect(await screen.findByLabelText('PASSWORD value hidden')).toBeTruthy();
    expect(document.body.textContent).not.toContain('hunter2-secret');
    fireEvent.click(screen.getByRole('button', { name: 'Reveal PASSWORD' }));
    expect((await screen.findByLabelText('PASSWORD value')).textContent).toBe('hunter2-secret');
    expect(profileReveal).toHaveBeenCalledWith({ ref: ID, key: 'PASSWORD' });

    await act(async () => {
      vi.advanceTimersByTime(11_000);
    });
    expect(screen.getByLabelText('PASSWORD value hidden')).toBeTruthy();
    expect(document.body.textContent).not.toContain('hunter2-secret');

    fireEvent.click(screen.getByRole('button', { name: 'Copy USERNAME' }));
    expect(await screen.findByText('Copied USERNAME. The clipboard clears in 30 seconds.')).toBeTruthy();
    expect(profileCopy).toHaveBeenCalledWith({ ref: ID, key: 'USERNAME' });
  });
});

describe('BYOK key form', () => {
  it('checks the provider key format as you type and saves a well-formed key', async () => {
    const user = userEvent.setup();
    const byokSet = vi.fn(async () => ({
      id: ID,
      kind: 'claude-code',
      provider: 'anthropic',
      keyHint: 'sk-ant-…wxyz',
      syncState: 'draft',
      lastSyncType: null,
      lastError: null,
      remote: null,
      createdAt: NOW,
      updatedAt: NOW,
      version: 1,
    }));
    renderWith(fakeClient({ byokSet }), <ByokKeyForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByLabelText('Agent kind'), 'claude-code');
    const key = screen.getByLabelText('API key');
    expect(key.getAttribute('type')).toBe('password');
    await user.type(key, 'sk-proj-abcdefghijklmnopqrstuvwxyz');
    expect(await screen.findByText('anthropic keys start with "sk-ant-".')).toBeTruthy();

    await user.selectOptions(screen.getByLabelText('Provider'), 'openai');
    await waitFor(() => expect(screen.queryByText(/keys start with/)).toBeNull());
    expect(screen.getByText('Looks right · sk-proj-…wxyz')).toBeTruthy();

    await user.selectOptions(screen.getByLabelText('Provider'), 'anthropic');
    await user.clear(key);
    await user.type(key, 'sk-ant-short');
    expect(await screen.findByText('This key is too short to be a provider API key.')).toBeTruthy();
    expect(byokSet).not.toHaveBeenCalled();

    await user.clear(key);
    await user.type(key, 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz');
    await user.click(screen.getByRole('button', { name: 'Save as draft' }));
    await waitFor(() =>
      expect(byokSet).toHaveBeenCalledWith({ kind: 'claude-code', provider: 'anthropic', apiKey: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', draft: true }),
    );
  });
});

describe('vault gate', () => {
  it('create: refuses mismatched or short passwords and shows strength and the no-recovery warning', async () => {
    const user = userEvent.setup();
    const vaultCreate = vi.fn();
    renderWith(fakeClient({ vaultCreate }), <CreateVault />);
    expect(screen.getByText('There is no way to recover this password.')).toBeTruthy();

    await user.type(screen.getByLabelText('Master password'), 'short');
    await waitFor(() => expect(document.querySelector('.strength-label')?.textContent).toBe('Too short'));
    await user.type(screen.getByLabelText('Repeat the master password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create vault' }));
    expect(await screen.findByText('Master password must be at least 10 characters.')).toBeTruthy();

    await user.clear(screen.getByLabelText('Master password'));
    await user.type(screen.getByLabelText('Master password'), 'password123');
    await waitFor(() => expect(document.querySelector('.strength-label')?.textContent).toMatch(/^(Very weak|Weak)$/));
    await user.clear(screen.getByLabelText('Master password'));
    await user.type(screen.getByLabelText('Master password'), 'violet Anchor 42 ferry-lamp');
    await waitFor(() => expect(document.querySelector('.strength-label')?.textContent).toBe('Strong'));

    await user.clear(screen.getByLabelText('Repeat the master password'));
    await user.type(screen.getByLabelText('Repeat the master password'), 'violet anchor 42 ferry-lamp');
    await user.click(screen.getByRole('button', { name: 'Create vault' }));
    expect(await screen.findByText('The two passwords are not the same.')).toBeTruthy();
    expect(vaultCreate).not.toHaveBeenCalled();
  });

  it('create: refuses a weak password until the person ticks that they accept it', async () => {
    const user = userEvent.setup();
    const vaultCreate = vi.fn(async () => ({
      exists: true,
      unlocked: true,
      dir: '/tmp/v',
      vaultId: 'v',
      createdAt: null,
      kdf: 'standard' as const,
      quickUnlockAvailable: false,
    }));
    renderWith(fakeClient({ vaultCreate }), <CreateVault />);
    await user.type(screen.getByLabelText('Master password'), 'password123');
    await user.type(screen.getByLabelText('Repeat the master password'), 'password123');
    await user.click(screen.getByRole('button', { name: 'Create vault' }));
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect(screen.getByText(/This password is (very weak|weak)/)).toBeTruthy();
    expect(vaultCreate).not.toHaveBeenCalled();

    await user.click(screen.getByLabelText('Use this weak password anyway'));
    await user.click(screen.getByRole('button', { name: 'Create vault' }));
    await waitFor(() => expect(vaultCreate).toHaveBeenCalledWith({ password: 'password123', kdf: 'standard' }));
  });

  it('unlock: says plainly that the password is wrong', async () => {
    const user = userEvent.setup();
    const vaultUnlock = vi.fn(async () => {
      throw new KeyholdError('WrongPassword', 'Wrong master password.');
    });
    renderWith(
      fakeClient({ vaultUnlock }),
      <Unlock
        status={{ exists: true, unlocked: false, dir: '/tmp/v', vaultId: null, createdAt: null, kdf: 'standard', quickUnlockAvailable: false }}
        reason="idle"
      />,
    );
    expect(screen.getByText('Locked after a period without activity.')).toBeTruthy();
    await user.type(screen.getByLabelText('Master password'), 'not it at all');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByText(/That is not the master password for this vault/)).toBeTruthy();
    expect(vaultUnlock).toHaveBeenCalledWith({ password: 'not it at all' });
  });
});
