// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SettingsView } from '../../src/renderer/screens/SettingsView';
import { fakeClient, renderWith } from '../helpers/ui';

afterEach(cleanup);

const SAVED = { autoLockMinutes: 10, clipboardSeconds: 30, theme: 'system' as const, quickUnlock: false, keyMaxAgeDays: 90 };
const PASSWORD_LABEL = 'Master password (to turn on quick unlock)';

function setup(saved = SAVED) {
  const settingsSet = vi.fn(async (patch: Record<string, unknown>) => {
    const { password: _password, ...rest } = patch;
    return { ...saved, ...rest };
  });
  const formDraftKeep = vi.fn(async () => null);
  renderWith(
    fakeClient({ settingsGet: async () => saved, vaultStatus: async () => ({ exists: true, unlocked: true, dir: '/v' }), settingsSet, formDraftKeep }),
    <SettingsView />,
  );
  return { settingsSet, formDraftKeep };
}

describe('turning quick unlock on in Settings', () => {
  it('asks for the master password and sends it only with that save, never in the kept edits', async () => {
    const user = userEvent.setup();
    const { settingsSet, formDraftKeep } = setup();
    const toggle = await screen.findByRole('checkbox', { name: /Quick unlock/ });
    expect(screen.queryByLabelText(PASSWORD_LABEL)).toBeNull();
    await user.click(toggle);
    const password = screen.getByLabelText(PASSWORD_LABEL);

    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Enter your master password to turn on quick unlock.')).toBeTruthy();
    expect(settingsSet).not.toHaveBeenCalled();

    await user.type(password, 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(settingsSet).toHaveBeenCalledWith({ ...SAVED, quickUnlock: true, password: 'correct horse' }));
    expect(JSON.stringify(formDraftKeep.mock.calls)).not.toContain('correct horse');
  });

  it('sends no password when quick unlock is already on or stays off', async () => {
    const user = userEvent.setup();
    const { settingsSet } = setup({ ...SAVED, quickUnlock: true });
    const minutes = await screen.findByLabelText('Lock after (minutes without activity)');
    expect(screen.queryByLabelText(PASSWORD_LABEL)).toBeNull();
    await user.clear(minutes);
    await user.type(minutes, '5');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(settingsSet).toHaveBeenCalledWith({ ...SAVED, quickUnlock: true, autoLockMinutes: 5 }));
  });
});
