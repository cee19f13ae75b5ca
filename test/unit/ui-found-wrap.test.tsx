// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FoundView } from '../../src/renderer/screens/FoundView';
import { KeyholdError } from '../../src/shared/errors';
import { fakeClient, renderWith } from '../helpers/ui';

// The wrap applies only the change the person was shown. When the tool wrote its config meanwhile,
// main refuses (api-agents.test.ts), and the window shows the change as it would be now.

afterEach(cleanup);

const file = '/home/ann/.cursor/mcp.json';
const finding = {
  file,
  line: 3,
  where: 'mcpServers.gh.env.GITHUB_TOKEN',
  label: 'GitHub token',
  rule: 'github-pat',
  masked: 'ghp_…abcd',
  server: 'gh',
  inVault: 'no' as const,
  vaultItem: null,
};

describe('wrapping an MCP config from "Found on this computer"', () => {
  it('a config changed since its change was shown is not wrapped; the change is shown again as it would be now', async () => {
    const user = userEvent.setup();
    const mcpWrapPreview = vi
      .fn()
      .mockResolvedValueOnce({ servers: ['gh'], diff: '- first diff', revision: 'a'.repeat(64) })
      .mockResolvedValueOnce({ servers: ['gh'], diff: '- second diff', revision: 'b'.repeat(64) });
    const mcpWrap = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('Conflict', `${file} changed since the change to it was shown.`, { field: 'configChanged' }))
      .mockResolvedValueOnce({ servers: ['gh'], backup: `${file}.keyhold-backup`, writtenTo: '/home/me/dotfiles/mcp.json' });
    renderWith(fakeClient({ agentScan: async () => ({ findings: [finding], filesRead: 1 }), mcpWrapPreview, mcpWrap }), <FoundView />);

    await user.click(await screen.findByRole('button', { name: 'Wrap MCP servers…' }));
    expect((await screen.findByLabelText('Change to the file')).textContent).toBe('- first diff');
    await user.click(screen.getByRole('button', { name: 'Wrap…' }));
    expect(mcpWrap).toHaveBeenLastCalledWith({ file, revision: 'a'.repeat(64) });
    await waitFor(() => expect(screen.getByLabelText('Change to the file').textContent).toBe('- second diff'));
    expect(screen.getByText(/changed since the change to it was shown/)).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Wrap…' }));
    expect(mcpWrap).toHaveBeenLastCalledWith({ file, revision: 'b'.repeat(64) });
    // The config was a link (dotfiles in a repository): the person learns where the change went.
    expect(await screen.findByText(/The config is a link: the change went to \/home\/me\/dotfiles\/mcp\.json/)).toBeTruthy();
  });
});
