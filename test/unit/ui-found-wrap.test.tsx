// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FoundView } from '../../src/renderer/screens/FoundView';
import { KeyholdError } from '../../src/shared/errors';
import { fakeClient, renderWith, wrapDone, wrapPreview } from '../helpers/ui';

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
      .mockResolvedValueOnce(wrapPreview({ diff: '- first diff', revision: 'a'.repeat(64) }))
      .mockResolvedValueOnce(wrapPreview({ diff: '- second diff', revision: 'b'.repeat(64) }));
    const mcpWrap = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('Conflict', `${file} changed since the change to it was shown.`, { field: 'configChanged' }))
      .mockResolvedValueOnce(wrapDone(file, { writtenTo: '/home/me/dotfiles/mcp.json' }));
    renderWith(fakeClient({ agentScan: async () => ({ findings: [finding], filesRead: 1, skipped: [] }), mcpWrapPreview, mcpWrap }), <FoundView />);

    await user.click(await screen.findByRole('button', { name: 'Wrap MCP servers…' }));
    expect((await screen.findByLabelText('Change to the file')).textContent).toBe('- first diff');
    // Nothing is left in this file: no list, and Wrap… says nothing more.
    expect(screen.queryByRole('region', { name: /stay in the file/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Wrap…' }).getAttribute('aria-describedby')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Wrap…' }));
    expect(mcpWrap).toHaveBeenLastCalledWith({ file, revision: 'a'.repeat(64) });
    await waitFor(() => expect(screen.getByLabelText('Change to the file').textContent).toBe('- second diff'));
    expect(screen.getByText(/changed since the change to it was shown/)).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Wrap…' }));
    expect(mcpWrap).toHaveBeenLastCalledWith({ file, revision: 'b'.repeat(64) });
    // The config was a link (dotfiles in a repository): the person learns where the change went.
    expect(await screen.findByText(/The config is a link: the change went to \/home\/me\/dotfiles\/mcp\.json/)).toBeTruthy();
  });

  // `keyhold mcp wrap` names on stderr each credential it leaves in the file; the window said
  // nothing, so a person who wrapped from it believed every secret had moved.
  const left = [
    { line: 7, where: 'mcpServers.pg.args[1]', label: 'Password in URL' },
    { line: 12, where: '', label: 'GitHub token' },
  ];
  const inArgs = {
    ...finding,
    line: 7,
    where: 'mcpServers.pg.args[1]',
    label: 'Password in URL',
    rule: 'url-password',
    masked: 'postgres://db.example.com',
    server: 'pg',
  };

  it('names what the wrap leaves in the file before the wrap (Wrap… is described by it) and after it, until the person is done', async () => {
    const user = userEvent.setup();
    const agentScan = vi
      .fn()
      .mockResolvedValueOnce({ findings: [finding, inArgs], filesRead: 1, skipped: [] })
      // After the wrap the scan no longer reports this file (a comment is not read as a finding): the list stays all the same.
      .mockResolvedValue({ findings: [], filesRead: 1, skipped: [] });
    const mcpWrap = vi.fn().mockResolvedValue(wrapDone(file, { left }));
    renderWith(fakeClient({ agentScan, mcpWrapPreview: async () => wrapPreview({ left }), mcpWrap }), <FoundView />);

    await user.click(await screen.findByRole('button', { name: 'Wrap MCP servers…' }));
    const before = await screen.findByRole('region', { name: '2 credentials will stay in the file' });
    expect(
      within(before)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Password in URL: line 7, mcpServers.pg.args[1]', 'GitHub token: line 12, in a comment or other text']);
    // A screen reader hears it on the button that commits.
    expect(screen.getByRole('button', { name: 'Wrap…', description: /2 credentials will stay in the file.*Password in URL: line 7/ })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Wrap…' }));
    const after = await screen.findByRole('region', { name: `2 credentials still in ${file}` });
    await waitFor(() => expect(screen.queryByRole('region', { name: file })).toBeNull());
    expect(within(after).getAllByRole('listitem')).toHaveLength(2);
    expect(document.activeElement).toBe(within(after).getByRole('heading'));
    expect(await screen.findByText(/Wrapped gh\..*2 credentials are still in the file: move them by hand\./)).toBeTruthy();
    // The preview is gone with the wrap: its Wrap… would only be refused now.
    expect(screen.queryByRole('button', { name: 'Wrap…' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('region', { name: `2 credentials still in ${file}` })).toBeNull();
  });

  it('a config with nothing to move says so, lists what is in it to move by hand, and offers no Wrap…', async () => {
    const user = userEvent.setup();
    renderWith(
      fakeClient({
        agentScan: async () => ({ findings: [inArgs], filesRead: 1, skipped: [] }),
        mcpWrapPreview: async () => wrapPreview({ servers: [], diff: '', left: left.slice(0, 1) }),
      }),
      <FoundView />,
    );
    await user.click(await screen.findByRole('button', { name: 'Wrap MCP servers…' }));
    expect(await screen.findByText('No server in this file has secret env values to move.')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: '1 credential a wrap cannot move' })).getByRole('listitem').textContent).toBe(
      'Password in URL: line 7, mcpServers.pg.args[1]',
    );
    expect(screen.queryByRole('button', { name: 'Wrap…' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.getByRole('button', { name: 'Wrap MCP servers…' })).toBeTruthy();
  });
});
