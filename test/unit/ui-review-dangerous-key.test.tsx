// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, renderWith } from '../helpers/ui';
import { assertEnvNamesAllowed } from '../../src/core/devflow/env-names';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';

afterEach(cleanup);

/** What main answers a profile holding LD_PRELOAD: the engine's own refusal. */
function refuse(): never {
  assertEnvNamesAllowed(['HOME_URL', 'LD_PRELOAD'], [], 'Profile "bot/prod"');
  throw new Error('the engine allowed LD_PRELOAD');
}

describe('the profile form: a key the engine refuses because it changes how a program runs', () => {
  it('says so next to that key, with the focus on it, keeps what was typed, and says what to do in the window', async () => {
    const user = userEvent.setup();
    const profileCreate = vi.fn(async () => refuse());
    renderWith(fakeClient({ agentsList: vi.fn(async () => []), profileCreate }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByLabelText('Agent id'), 'bot');
    await user.type(screen.getByLabelText('Profile name'), 'prod');
    await user.type(screen.getByLabelText('Key 1'), 'HOME_URL');
    await user.type(screen.getByLabelText('Value 1'), 'https://example.test');
    await user.click(screen.getByRole('button', { name: 'Add row' }));
    await user.type(screen.getByLabelText('Key 2'), 'LD_PRELOAD');
    await user.type(screen.getByLabelText('Value 2'), '/tmp/evil.so');
    await user.click(screen.getByRole('button', { name: 'Save as draft' }));
    await waitFor(() => expect(profileCreate).toHaveBeenCalledTimes(1));

    const key = screen.getByLabelText('Key 2') as HTMLInputElement;
    await waitFor(() => expect(key.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByLabelText('Key 1').getAttribute('aria-invalid')).toBe('false');
    const described = (key.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '');
    expect(described.join(' ')).toContain('"LD_PRELOAD"');
    expect(described.join(' ')).toContain('change how a program loads or runs');
    expect(described.join(' ')).toContain('The window cannot allow such a key');
    expect(document.activeElement).toBe(key);
    // Said once, beside the key, not again below the form.
    expect(screen.getAllByText(/change how a program loads or runs/)).toHaveLength(1);
    // Nothing typed is lost, and the value stays masked.
    expect(key.value).toBe('LD_PRELOAD');
    expect((screen.getByLabelText('Value 2') as HTMLInputElement).value).toBe('/tmp/evil.so');
    expect(screen.getByLabelText('Value 2').getAttribute('type')).toBe('password');
    expect(document.body.textContent).not.toContain('/tmp/evil.so');

    // Renamed, the row's error goes.
    await user.clear(key);
    await user.type(key, 'LIB_PATH_EXTRA');
    await waitFor(() => expect(screen.queryByText(/change how a program loads or runs/)).toBeNull());
  });
});
