// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionsView } from '../../src/renderer/screens/ConnectionsView';
import { qk } from '../../src/renderer/queries';
import { useAppState } from '../../src/renderer/state';
import type { RemoteSummary } from '../../src/shared/domain';
import { fakeClient, NOW, renderWith } from '../helpers/ui';

// The saved connection changes while its form is open: `keyhold remote set` in a terminal, or a
// refresh after a sync. Unsaved edits are what the person changed since the form took the saved
// values; before, an untouched form kept the old address and leaving asked "Discard unsaved changes?"
// about edits no one made.

afterEach(cleanup);

const kura = (url: string): RemoteSummary => ({
  kind: 'kura',
  url,
  hasCredential: true,
  configured: true,
  paused: false,
  pausedReason: null,
  verifiedAt: null,
  verifiedBy: null,
  lastTest: null,
  updatedAt: NOW,
});

/** Leaving the section as the sidebar does, and whether the shell then asks about unsaved edits. */
function Leave() {
  const { go, leaving } = useAppState();
  return (
    <>
      <button type="button" onClick={() => go('profiles')}>
        Go to profiles
      </button>
      {leaving ? <p role="alertdialog" aria-label="Discard unsaved changes?" /> : null}
    </>
  );
}

function renderConnections(saved: { url: string }) {
  const remotesList = vi.fn(async () => [kura(saved.url)]);
  const view = renderWith(
    fakeClient({ remotesList, formDraftKeep: async () => null }),
    <>
      <ConnectionsView />
      <Leave />
    </>,
  );
  /** The CLI (or a sync) changed the saved connection, and the window refreshed its list. */
  const changeElsewhere = async (url: string) => {
    saved.url = url;
    await act(() => view.queryClient.invalidateQueries({ queryKey: qk.remotes }));
  };
  return { changeElsewhere, remotesList };
}

const kuraForm = async () => within(await screen.findByRole('form', { name: 'Kura connection' }));

describe('a connection form whose saved connection changes elsewhere', () => {
  it('untouched, it follows the saved address and has nothing unsaved', async () => {
    const user = userEvent.setup();
    const { changeElsewhere } = renderConnections({ url: 'https://kura.example.com' });
    const form = await kuraForm();
    expect((form.getByLabelText('Base URL') as HTMLInputElement).value).toBe('https://kura.example.com');

    await changeElsewhere('https://kura2.example.com');
    await waitFor(() => expect((form.getByLabelText('Base URL') as HTMLInputElement).value).toBe('https://kura2.example.com'));
    await user.click(screen.getByRole('button', { name: 'Go to profiles' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it("touched, it keeps the person's edits (a credential typed for one address stays with it), and leaving asks", async () => {
    const user = userEvent.setup();
    const { changeElsewhere, remotesList } = renderConnections({ url: 'https://kura.example.com' });
    const form = await kuraForm();
    await user.type(form.getByLabelText('API key'), 'key-for-kura-one');

    await changeElsewhere('https://kura2.example.com');
    expect(remotesList).toHaveBeenCalledTimes(2);
    expect((form.getByLabelText('Base URL') as HTMLInputElement).value).toBe('https://kura.example.com');
    expect((form.getByLabelText('API key') as HTMLInputElement).value).toBe('key-for-kura-one');
    await user.click(screen.getByRole('button', { name: 'Go to profiles' }));
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeTruthy();
  });
});
