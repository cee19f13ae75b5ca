// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, renderWith } from '../helpers/ui';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';

afterEach(cleanup);

const client = () => fakeClient({ agentsList: vi.fn(async () => []) });

describe('the profile form: a value shown on one row', () => {
  it('stays with its row when a row above it is removed; the row that moves up stays masked', async () => {
    const user = userEvent.setup();
    renderWith(client(), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    for (const [i, key, value] of [
      [1, 'A', 'alpha-secret'],
      [2, 'B', 'bravo-secret'],
      [3, 'C', 'charlie-secret'],
    ] as const) {
      if (i > 1) await user.click(screen.getByRole('button', { name: 'Add row' }));
      await user.type(screen.getByLabelText(`Key ${i}`), key);
      await user.type(screen.getByLabelText(`Value ${i}`), value);
    }
    await user.click(screen.getByRole('button', { name: 'Show value 2' }));
    expect(screen.getByLabelText('Value 2').getAttribute('type')).toBe('text');

    await user.click(screen.getByRole('button', { name: 'Remove row 1' }));

    // Row B (now the first) is still shown; row C (now the second) was never shown and stays masked.
    const first = screen.getByLabelText('Value 1') as HTMLInputElement;
    const second = screen.getByLabelText('Value 2') as HTMLInputElement;
    expect(first.value).toBe('bravo-secret');
    expect(first.getAttribute('type')).toBe('text');
    expect(second.value).toBe('charlie-secret');
    expect(second.getAttribute('type')).toBe('password');
    expect(screen.getByRole('button', { name: 'Show value 2' }).getAttribute('aria-pressed')).toBe('false');
  });
});
