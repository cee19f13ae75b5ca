// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, renderWith } from '../helpers/ui';
import { ProfileForm } from '../../src/renderer/screens/profiles/ProfileForm';

afterEach(cleanup);

const ENV = '# crm\nUSERNAME=ann\nPASSWORD="hunter2 secret"\n';
const value = (i: number) => screen.getByLabelText(`Value ${i}`) as HTMLInputElement;
const key = (i: number) => screen.getByLabelText(`Key ${i}`) as HTMLInputElement;

describe('the profile form: a whole .env pasted into one value field', () => {
  it('is not squashed into one value; the form offers to fill rows from it, which main reads', async () => {
    const user = userEvent.setup();
    const dotenvRead = vi.fn(async ({ text }: { text: string }) => {
      expect(text).toBe(ENV);
      return {
        entries: [
          { key: 'USERNAME', value: 'ann' },
          { key: 'PASSWORD', value: 'hunter2 secret' },
        ],
        skipped: [],
      };
    });
    renderWith(fakeClient({ agentsList: vi.fn(async () => []), dotenvRead }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.click(value(1));
    await user.paste(ENV);

    expect(value(1).value).toBe('');
    expect(dotenvRead).not.toHaveBeenCalled();
    expect(screen.getByRole('status').textContent).toMatch(/several KEY=VALUE lines/);
    // What was pasted is held, not shown.
    expect(document.body.innerHTML).not.toContain('hunter2');

    await user.click(screen.getByRole('button', { name: 'Fill rows from the pasted lines' }));
    await waitFor(() => expect(key(1).value).toBe('USERNAME'));
    expect(dotenvRead).toHaveBeenCalledTimes(1);
    expect(value(1).value).toBe('ann');
    expect(key(2).value).toBe('PASSWORD');
    expect(value(2).value).toBe('hunter2 secret');
    expect(value(2).getAttribute('type')).toBe('password');
    expect(screen.queryByRole('button', { name: 'Fill rows from the pasted lines' })).toBeNull();
  });

  it("Don't paste drops it; one line with an = (a base64 value) pastes as usual", async () => {
    const user = userEvent.setup();
    const dotenvRead = vi.fn();
    renderWith(fakeClient({ agentsList: vi.fn(async () => []), dotenvRead }), <ProfileForm onDone={() => undefined} onCancel={() => undefined} />);
    await user.click(value(1));
    await user.paste(ENV);
    await user.click(screen.getByRole('button', { name: "Don't paste" }));
    expect(value(1).value).toBe('');
    expect(key(1).value).toBe('');
    expect(screen.getByRole('status').textContent).toBe('Nothing was pasted.');

    await user.click(value(1));
    await user.paste('c2VjcmV0PQ==');
    expect(value(1).value).toBe('c2VjcmV0PQ==');
    expect(screen.queryByRole('button', { name: 'Fill rows from the pasted lines' })).toBeNull();
    expect(dotenvRead).not.toHaveBeenCalled();
  });
});
