// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionsView } from '../../src/renderer/screens/ConnectionsView';
import { FoundView } from '../../src/renderer/screens/FoundView';
import { SettingsView } from '../../src/renderer/screens/SettingsView';
import { AddContactForm } from '../../src/renderer/screens/sharing/SharingView';
import { ErrorNote } from '../../src/renderer/ui/kit';
import { KeyholdError } from '../../src/shared/errors';
import { fakeClient, NOW, renderWith, wrapPreview } from '../helpers/ui';

// Main asks in its own dialog before what the window may not do unseen (src/core/api/confirm.ts).
// Cancel there fails the call with `Cancelled`: nothing happened, and the person chose it, so the
// window shows no error for it. Other failures of the same calls are still shown.

afterEach(cleanup);

const cancelled = (message: string) => new KeyholdError('Cancelled', message);

/** No alert anywhere on the page, and not the words of the `Cancelled` error either. */
function expectNoError(message: string) {
  expect(screen.queryByRole('alert')).toBeNull();
  expect(screen.queryByText(message, { exact: false })).toBeNull();
}

describe('ErrorNote, where every screen shows an error', () => {
  it('shows nothing for Cancel in main’s dialog, and the words of any other failure', () => {
    const { rerender } = render(<ErrorNote error={cancelled('The trash was not emptied.')} />);
    expect(screen.queryByRole('alert')).toBeNull();
    rerender(<ErrorNote error={new KeyholdError('Conflict', 'Answer the question Keyhold is asking first.')} />);
    expect(screen.getByRole('alert').textContent).toBe('Answer the question Keyhold is asking first.');
  });
});

describe('Cancel in main’s dialog shows no error', () => {
  const kura = { kind: 'kura' as const, url: 'https://kura.example.com', hasCredential: true, paused: false, pausedReason: null, updatedAt: NOW };

  it('Remove connection: one click goes to main’s question; Cancel keeps the connection, quietly', async () => {
    const user = userEvent.setup();
    const remoteDelete = vi
      .fn()
      .mockRejectedValueOnce(cancelled('The Kura connection was not removed.'))
      .mockRejectedValueOnce(new KeyholdError('Conflict', 'Answer the question Keyhold is asking first.'));
    renderWith(fakeClient({ remotesList: async () => [kura], remoteDelete }), <ConnectionsView />);
    const card = within(await screen.findByRole('region', { name: 'Kura' }));
    await user.click(card.getByRole('button', { name: 'Remove' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(remoteDelete).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(card.getByRole('button', { name: 'Remove' })).toHaveProperty('disabled', false));
    expectNoError('was not removed');
    expect(card.getByLabelText('Base URL')).toHaveProperty('value', 'https://kura.example.com');

    await user.click(card.getByRole('button', { name: 'Remove' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Answer the question Keyhold is asking first.');
  });

  it('Save connection: Cancel keeps what was typed, quietly', async () => {
    const user = userEvent.setup();
    const remoteSet = vi.fn().mockRejectedValue(cancelled('The Kura connection was not changed.'));
    renderWith(fakeClient({ remotesList: async () => [kura], remoteSet, formDraftKeep: async () => null }), <ConnectionsView />);
    const form = within(await screen.findByRole('form', { name: 'Kura connection' }));
    await user.clear(form.getByLabelText('Base URL'));
    await user.type(form.getByLabelText('Base URL'), 'https://kura.other.example');
    await user.click(form.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(remoteSet).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(form.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false));
    expectNoError('was not changed');
    expect(form.getByLabelText('Base URL')).toHaveProperty('value', 'https://kura.other.example');
  });

  it('Add contact: Cancel adds nothing and keeps the form, quietly', async () => {
    const user = userEvent.setup();
    const contactAdd = vi.fn().mockRejectedValue(cancelled('The contact was not added.'));
    renderWith(fakeClient({ contactAdd, formDraftKeep: async () => null }), <AddContactForm />);
    await user.type(screen.getByLabelText('Name'), 'bob');
    await user.type(screen.getByLabelText('Age recipient'), `age1${'q'.repeat(58)}`);
    await user.click(screen.getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(contactAdd).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Add contact' })).toHaveProperty('disabled', false));
    expectNoError('was not added');
    expect(screen.getByLabelText('Name')).toHaveProperty('value', 'bob');
  });

  it('Change password and loosening a setting: Cancel changes nothing, quietly', async () => {
    const user = userEvent.setup();
    const saved = { autoLockMinutes: 10, clipboardSeconds: 30, theme: 'system' as const, quickUnlock: false, keyMaxAgeDays: 90 };
    const vaultChangePassword = vi.fn().mockRejectedValue(cancelled('The master password was not changed.'));
    const settingsSet = vi.fn().mockRejectedValue(cancelled('The settings were not changed.'));
    renderWith(
      fakeClient({
        settingsGet: async () => saved,
        vaultStatus: async () => ({ exists: true, unlocked: true, dir: '/v', kdf: 'standard' }),
        sessionsList: async () => [],
        trustedFilesList: async () => ({ files: [], damaged: [] }),
        formDraftKeep: async () => null,
        vaultChangePassword,
        settingsSet,
      }),
      <SettingsView />,
    );
    const minutes = await screen.findByLabelText('Lock after (minutes without activity)');
    await user.clear(minutes);
    await user.type(minutes, '60');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(settingsSet).toHaveBeenCalledTimes(1));
    await user.type(screen.getByLabelText('Current master password'), 'the old password');
    await user.type(screen.getByLabelText('New master password'), 'a new long master password');
    await user.type(screen.getByLabelText('Repeat the new password'), 'a new long master password');
    await user.click(screen.getByRole('button', { name: 'Change password' }));
    await waitFor(() => expect(vaultChangePassword).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Change password' })).toHaveProperty('disabled', false));
    expectNoError('was not changed');
    expect(screen.getByLabelText('Lock after (minutes without activity)')).toHaveProperty('value', '60');
  });

  it('Wrap: Cancel leaves the change on screen to wrap later, quietly', async () => {
    const user = userEvent.setup();
    const file = '/home/ann/.cursor/mcp.json';
    const finding = { file, line: 3, where: 'mcpServers.gh.env.GITHUB_TOKEN', label: 'GitHub token', rule: 'github-pat' };
    const mcpWrap = vi.fn().mockRejectedValue(cancelled(`${file} was not changed.`));
    renderWith(
      fakeClient({
        agentScan: async () => ({
          findings: [{ ...finding, masked: 'ghp_…abcd', server: 'gh', inVault: 'no' as const, vaultItem: null }],
          filesRead: 1,
          skipped: [],
        }),
        mcpWrapPreview: async () => wrapPreview(),
        mcpWrap,
      }),
      <FoundView />,
    );
    await user.click(await screen.findByRole('button', { name: 'Wrap MCP servers…' }));
    await user.click(await screen.findByRole('button', { name: 'Wrap…' }));
    await waitFor(() => expect(mcpWrap).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Wrap…' })).toHaveProperty('disabled', false));
    expectNoError('was not changed');
    expect(screen.getByLabelText('Change to the file').textContent).toBe('- the diff');
  });
});
