// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, profileSummary, renderWith } from '../helpers/ui';
import type { ProfileDetail, TrashEntry } from '../../src/shared/domain';
import { KeyholdError } from '../../src/shared/errors';
import { ProfileDetailPane } from '../../src/renderer/screens/profiles/ProfileDetail';
import { TrashView } from '../../src/renderer/screens/TrashView';
import { REVEAL_SECONDS } from '../../src/renderer/ui/useReveal';

const NOW = '2026-12-01T10:00:00.000Z';
const ID = '00000000-0000-4000-8000-000000000001';
const TOKEN = 'kura-token-abc123';

function detail(over: Partial<ProfileDetail> = {}): ProfileDetail {
  return {
    ...profileSummary({ id: ID, keys: ['PASSWORD'], createdAt: NOW, updatedAt: NOW, version: 2 }),
    authData: { PASSWORD: null },
    revealed: false,
    tokenObtainedAt: NOW,
    ...over,
  };
}

function entry(over: Partial<TrashEntry> = {}): TrashEntry {
  return { id: ID, kind: 'profile', ref: 'crm-bot/prod', hasToken: true, trashedAt: NOW, purgeAt: '2026-12-31T10:00:00.000Z', ...over };
}

const pane = () => <ProfileDetailPane id={ID} onEdit={() => undefined} onDeleted={() => undefined} />;

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('the Kura token on the profile screen', () => {
  it('is masked, reveals on Reveal (and masks again), and Copy goes through main with the clear time', async () => {
    const profileTokenReveal = vi.fn(async () => ({ ref: 'crm-bot/prod', authToken: TOKEN, agentId: 'crm-bot', name: 'prod', obtainedAt: NOW }));
    const profileTokenCopy = vi.fn(async () => ({ clearsAfterSeconds: 30 }));
    renderWith(fakeClient({ profileGet: vi.fn(async () => detail()), profileTokenReveal, profileTokenCopy }), pane());
    const value = await screen.findByTestId('token-value');
    expect(value.textContent).not.toContain(TOKEN);
    expect(screen.getByText('Created on Kura')).toBeTruthy();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Reveal the Kura token of crm-bot/prod' }));
    await waitFor(() => expect(screen.getByTestId('token-value').textContent).toBe(TOKEN));
    expect(profileTokenReveal).toHaveBeenCalledWith({ ref: ID });
    await user.click(screen.getByRole('button', { name: 'Hide the Kura token of crm-bot/prod' }));
    expect(screen.getByTestId('token-value').textContent).not.toContain(TOKEN);
    await user.click(screen.getByRole('button', { name: 'Copy the Kura token of crm-bot/prod' }));
    expect(profileTokenCopy).toHaveBeenCalledWith({ ref: ID });
    expect(await screen.findByText(/clipboard clears in 30 seconds/)).toBeTruthy();
  });

  it('masks a revealed token again by itself', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const profileTokenReveal = vi.fn(async () => ({ ref: 'crm-bot/prod', authToken: TOKEN, agentId: 'crm-bot', name: 'prod', obtainedAt: NOW }));
    renderWith(fakeClient({ profileGet: vi.fn(async () => detail()), profileTokenReveal }), pane());
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    await user.click(await screen.findByRole('button', { name: /Reveal the Kura token/ }));
    await waitFor(() => expect(screen.getByTestId('token-value').textContent).toBe(TOKEN));
    act(() => vi.advanceTimersByTime(REVEAL_SECONDS * 1000 + 1));
    expect(screen.getByTestId('token-value').textContent).not.toContain(TOKEN);
  });

  it('says Kura issues the token at the first sync when never synced', async () => {
    renderWith(
      fakeClient({ profileGet: vi.fn(async () => detail({ hasToken: false, lastSyncType: null, syncState: 'pending', tokenObtainedAt: null })) }),
      pane(),
    );
    expect((await screen.findByTestId('token-none')).textContent).toContain('Kura issues it at the first sync');
    expect(screen.queryByRole('button', { name: /Reveal the Kura token/ })).toBeNull();
  });

  it('offers Re-create when the remote profile is missing', async () => {
    const profileRecreate = vi.fn(async () => detail({ syncState: 'pending' }));
    const missing = detail({ hasToken: false, syncState: 'failed', lastError: 'Remote profile missing: Kura answered 404.', tokenObtainedAt: null });
    renderWith(fakeClient({ profileGet: vi.fn(async () => missing), profileRecreate, profilesList: vi.fn(async () => []) }), pane());
    const none = await screen.findByTestId('token-none');
    expect(none.textContent).toContain('token was dropped');
    await userEvent.setup().click(within(none).getByRole('button', { name: 'Re-create to get a new token' }));
    expect(profileRecreate).toHaveBeenCalledWith({ ref: ID });
  });

  it('delete dialog says Trash for 30 days, that the remote profile stays and the token goes with the local copy', async () => {
    const profileDelete = vi.fn(async () => ({ id: ID, wasSynced: true, purgeAt: '2026-12-31T10:00:00.000Z' }));
    renderWith(fakeClient({ profileGet: vi.fn(async () => detail()), profileDelete }), pane());
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('Trash for 30 days');
    expect(dialog.textContent).not.toContain('cannot be undone');
    expect(dialog.textContent).toContain('The remote profile stays on Kura');
    expect(dialog.textContent).toContain('The Kura token goes with the local copy');
    await user.click(within(dialog).getByRole('button', { name: 'Delete profile' }));
    expect(profileDelete).toHaveBeenCalledWith({ ref: ID, confirmTokenLoss: true });
    expect(await screen.findByText(/Moved crm-bot\/prod to the Trash/)).toBeTruthy();
  });
});

describe('the Trash view', () => {
  it('says what the trash is for when empty', async () => {
    renderWith(fakeClient({ trashList: vi.fn(async () => []) }), <TrashView />);
    expect((await screen.findByText('The trash is empty')).parentElement?.textContent).toContain('30 days');
    expect(screen.queryByRole('button', { name: 'Empty trash' })).toBeNull();
  });

  it('lists items with kind, token and purge date; Restore calls trashRestore', async () => {
    const trashRestore = vi.fn(async () => ({ ...entry(), state: 'synced' as const }));
    const trashList = vi.fn(async () => [entry(), entry({ id: '00000000-0000-4000-8000-000000000002', kind: 'byok', ref: 'claude-code', hasToken: false })]);
    renderWith(fakeClient({ trashList, trashRestore }), <TrashView />);
    const table = await screen.findByRole('table', { name: 'Deleted items' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]?.textContent).toContain('Profile');
    expect(rows[1]?.textContent).toContain('Kept');
    expect(rows[2]?.textContent).toContain('BYOK key');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Restore the profile crm-bot/prod' }));
    expect(trashRestore).toHaveBeenCalledWith({ id: ID });
    expect(await screen.findByText('Restored the profile crm-bot/prod. It is back in Profiles.')).toBeTruthy();
  });

  it('says the name is taken now when Restore meets a Conflict', async () => {
    const trashRestore = vi.fn().mockRejectedValue(new KeyholdError('Conflict', 'A profile named "prod" already exists.', { field: 'name' }));
    renderWith(fakeClient({ trashList: vi.fn(async () => [entry()]), trashRestore }), <TrashView />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Restore the profile crm-bot/prod' }));
    expect(await screen.findByText(/The name crm-bot\/prod is taken now/)).toBeTruthy();
  });

  it('Delete forever goes straight to main’s question, with no dialog of the window’s own; the page says the token goes for good', async () => {
    const trashPurge = vi.fn(async () => ({ purged: 1 }));
    renderWith(fakeClient({ trashList: vi.fn(async () => [entry()]), trashPurge }), <TrashView />);
    const note = await screen.findByRole('note');
    expect(note.textContent).toContain('Kura cannot issue it again');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Delete the profile crm-bot/prod forever' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(trashPurge).toHaveBeenCalledWith({ id: ID });
    expect(await screen.findByText('Deleted 1 item for good.')).toBeTruthy();
  });

  it('Empty trash goes straight to main’s question and sends confirm', async () => {
    const trashPurge = vi.fn(async () => ({ purged: 2 }));
    renderWith(
      fakeClient({
        trashList: vi.fn(async () => [entry(), entry({ id: '00000000-0000-4000-8000-000000000002', hasToken: false, ref: 'crm-bot/dev' })]),
        trashPurge,
      }),
      <TrashView />,
    );
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Empty trash' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(trashPurge).toHaveBeenCalledWith({ confirm: true });
    expect(await screen.findByText('Deleted 2 items for good.')).toBeTruthy();
  });

  it('says nothing of the token when no item has one', async () => {
    renderWith(fakeClient({ trashList: vi.fn(async () => [entry({ kind: 'byok', ref: 'claude-code', hasToken: false })]) }), <TrashView />);
    await screen.findByRole('table', { name: 'Deleted items' });
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('Cancel in main’s dialog: nothing is deleted, no error and no toast; another failure is shown', async () => {
    const trashPurge = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('Cancelled', 'crm-bot/prod was not deleted.'))
      .mockRejectedValueOnce(new KeyholdError('Conflict', 'Answer the question Keyhold is asking first.'));
    renderWith(fakeClient({ trashList: vi.fn(async () => [entry()]), trashPurge }), <TrashView />);
    const user = userEvent.setup();
    const forever = await screen.findByRole('button', { name: 'Delete the profile crm-bot/prod forever' });
    await user.click(forever);
    await waitFor(() => expect(forever).toHaveProperty('disabled', false));
    expect(trashPurge).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByText(/was not deleted|for good\./)).toBeNull();
    expect(within(screen.getByRole('table', { name: 'Deleted items' })).getByText('crm-bot/prod')).toBeTruthy();

    await user.click(forever);
    expect((await screen.findByRole('alert')).textContent).toBe('Answer the question Keyhold is asking first.');
  });
});
