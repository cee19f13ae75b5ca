// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionsSection } from '../../src/renderer/screens/SessionsSection';
import type { SessionInfo } from '../../src/shared/contract';
import { fakeClient, renderWith } from '../helpers/ui';

afterEach(cleanup);

const whole: SessionInfo = { id: 'a'.repeat(8), createdAt: '2026-12-04T09:00:00.000Z', expiresAt: '2026-12-04T09:30:00.000Z', holds: null };
const scoped: SessionInfo = {
  id: 'b'.repeat(8),
  createdAt: '2026-12-04T09:05:00.000Z',
  expiresAt: '2026-12-04T17:05:00.000Z',
  holds: 'gh/mcp, byok claude-code',
};

describe('Settings: command-line sessions', () => {
  it('shows what each session holds, and ends them all only after asking', async () => {
    const user = userEvent.setup();
    const list = vi.fn().mockResolvedValueOnce([whole, scoped]).mockResolvedValue([]);
    const end = vi.fn(async () => ({ ended: 2 }));
    renderWith(fakeClient({ sessionsList: list, sessionsEnd: end }), <SessionsSection />);

    const table = await screen.findByRole('table', { name: 'Open sessions' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0]?.textContent)).toEqual(['The whole vault', 'gh/mcp, byok claude-code']);

    await user.click(screen.getByRole('button', { name: 'End all sessions' }));
    const dialog = await screen.findByRole('dialog', { name: 'End every session?' });
    expect(dialog.textContent).toMatch(/2 shells with a session/);
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(end).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'End all sessions' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'End sessions' }));
    expect(end).toHaveBeenCalledTimes(1);
    expect(await screen.findByText(/Ended 2 sessions\./)).toBeTruthy();
    await waitFor(() => expect(screen.getByText('No open sessions')).toBeTruthy());
  });
});
