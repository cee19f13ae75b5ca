// @vitest-environment happy-dom
import type { QueryClient } from '@tanstack/react-query';
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, profileSummary, renderWith } from '../helpers/ui';
import type { ByokSummary, ProfileDetail } from '../../src/shared/domain';
import { KeyholdError } from '../../src/shared/errors';
import { ByokView } from '../../src/renderer/screens/ByokView';
import { ProfileDetailPane } from '../../src/renderer/screens/profiles/ProfileDetail';
import { ValueInput } from '../../src/renderer/screens/profiles/ValueInput';
import { REVEAL_SECONDS } from '../../src/renderer/ui/useReveal';

const NOW = '2026-12-01T10:00:00.000Z';
const ID = '00000000-0000-4000-8000-000000000001';
const SECRET = 'hunter2-never-kept';

const detail = (): ProfileDetail => ({
  ...profileSummary({ id: ID, keys: ['PASSWORD'], createdAt: NOW, updatedAt: NOW }),
  authData: { PASSWORD: null },
  revealed: false,
  tokenObtainedAt: NOW,
});

const byokItem = {
  id: ID,
  kind: 'claude-code',
  provider: 'anthropic',
  keyHint: 'sk-ant-…wxyz',
  syncState: 'synced',
  lastSyncType: null,
  lastError: null,
  remote: null,
  createdAt: NOW,
  updatedAt: NOW,
  version: 1,
} as unknown as ByokSummary;

/** Everything react-query keeps: each mutation's and each query's state, errors by their message. */
function cached(qc: QueryClient): string {
  const mutations = qc
    .getMutationCache()
    .getAll()
    .map((m) => m.state);
  const queries = qc
    .getQueryCache()
    .getAll()
    .map((q) => q.state);
  return JSON.stringify({ mutations, queries }, (_key, v: unknown) => (v instanceof Error ? { message: v.message } : v));
}

const profileCalls = () => ({
  profileGet: vi.fn(async () => detail()),
  profileReveal: vi.fn(async () => ({ value: SECRET })),
  profileTokenReveal: vi.fn(async () => ({ ref: 'crm-bot/prod', authToken: SECRET, agentId: 'crm-bot', name: 'prod', obtainedAt: NOW })),
});
const pane = () => <ProfileDetailPane id={ID} onEdit={() => undefined} onDeleted={() => undefined} />;

// Each place the window reveals a secret: how to render it, its Reveal button, and where the value shows.
const places = [
  {
    name: 'a profile value',
    render: () => renderWith(fakeClient(profileCalls()), pane()),
    button: 'Reveal PASSWORD',
    shown: () => screen.queryByLabelText('PASSWORD value')?.textContent ?? '',
  },
  {
    name: 'the Kura token',
    render: () => renderWith(fakeClient(profileCalls()), pane()),
    button: 'Reveal the Kura token of crm-bot/prod',
    shown: () => screen.queryByTestId('token-value')?.textContent ?? '',
  },
  {
    name: 'a BYOK key',
    render: () => renderWith(fakeClient({ byokList: vi.fn(async () => [byokItem]), byokReveal: vi.fn(async () => ({ apiKey: SECRET })) }), <ByokView />),
    button: 'Reveal the claude-code key',
    shown: () => screen.queryByLabelText('API key')?.textContent ?? '',
  },
  {
    name: 'a saved value in the profile form',
    render: () =>
      renderWith(
        fakeClient({ profileReveal: vi.fn(async () => ({ value: SECRET })) }),
        <ValueInput
          index={0}
          profileId={ID}
          keyName="PASSWORD"
          typed=""
          shown={false}
          onToggle={() => undefined}
          invalid={false}
          register={{ name: 'rows.0.value', onChange: async () => undefined, onBlur: async () => undefined, ref: () => undefined }}
        />,
      ),
    button: 'Reveal saved value 1',
    shown: () => screen.queryByLabelText('Saved value of PASSWORD')?.textContent ?? '',
  },
];

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe.each(places)('revealing $name', (place) => {
  async function reveal() {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const rendered = place.render();
    await user.click(await screen.findByRole('button', { name: place.button }));
    await waitFor(() => expect(place.shown()).toBe(SECRET));
    return rendered;
  }

  it('keeps the value out of react-query while shown, and out of the page after the re-mask', async () => {
    const { queryClient, container } = await reveal();
    expect(cached(queryClient)).not.toContain(SECRET);
    act(() => vi.advanceTimersByTime(REVEAL_SECONDS * 1000 + 1));
    expect(place.shown()).not.toContain(SECRET);
    expect(container.innerHTML).not.toContain(SECRET);
    // The reveal's mutation itself is gone, not only its value.
    await waitFor(() => expect(queryClient.getMutationCache().getAll()).toHaveLength(0));
    expect(cached(queryClient)).not.toContain(SECRET);
  });

  it('leaves nothing behind when the screen goes', async () => {
    const { queryClient, unmount } = await reveal();
    unmount();
    await waitFor(() => expect(queryClient.getMutationCache().getAll()).toHaveLength(0));
    expect(cached(queryClient)).not.toContain(SECRET);
  });
});

describe('a reveal', () => {
  it('that answers after Hide is not shown', async () => {
    let answer: (v: { value: string }) => void = () => undefined;
    const profileReveal = vi.fn(() => new Promise<{ value: string }>((resolve) => (answer = resolve)));
    const { queryClient } = renderWith(fakeClient({ ...profileCalls(), profileReveal }), pane());
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Reveal PASSWORD' }));
    // The lock (or another section) takes the screen away while main is still answering.
    cleanup();
    await act(async () => answer({ value: SECRET }));
    await waitFor(() => expect(queryClient.getMutationCache().getAll()).toHaveLength(0));
    expect(cached(queryClient)).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("refused by main's limit says so in the row, and shows nothing", async () => {
    const refusal = 'Secrets were revealed or copied faster than a person does, so Keyhold refused this one: nothing was shown or copied.';
    const profileReveal = vi.fn(async () => {
      throw new KeyholdError('TooManyReveals', refusal);
    });
    renderWith(fakeClient({ ...profileCalls(), profileReveal }), pane());
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Reveal PASSWORD' }));
    expect((await screen.findByRole('alert')).textContent).toBe(refusal);
    expect(screen.getByLabelText('PASSWORD value hidden').textContent).not.toContain(SECRET);
  });
});

describe('the lock', () => {
  it('drops every mutation the page holds, with what was sent and what came back', async () => {
    const listeners = new Map<string, (payload: unknown) => void>();
    const on = (event: string, listener: (payload: unknown) => void) => {
      listeners.set(event, listener);
      return () => listeners.delete(event);
    };
    const profileCopy = vi.fn(async () => ({ clearsAfterSeconds: 30 }));
    const { queryClient } = renderWith(fakeClient({ ...profileCalls(), profileCopy, on } as never), pane());
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Copy PASSWORD' }));
    await screen.findByText(/clipboard clears in 30 seconds/);
    expect(queryClient.getMutationCache().getAll()).not.toHaveLength(0);
    act(() => listeners.get('locked')?.({ reason: 'idle' }));
    expect(queryClient.getMutationCache().getAll()).toHaveLength(0);
  });
});
