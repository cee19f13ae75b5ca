// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { FoundView } from '../../src/renderer/screens/FoundView';
import type { SkippedFile } from '../../src/shared/contract';
import { fakeClient, renderWith } from '../helpers/ui';

// "Found on this computer" lists the files the scan meant to read and could not, as `keyhold scan`
// does (api-agents-skipped.test.ts has main's side), and the import's word about a profile left as it is.

afterEach(cleanup);

const skipped: SkippedFile[] = [
  { path: '/home/ann/.claude.json', reason: 'too-large', message: '300 MiB: larger than the 256 MiB scan reads' },
  { path: '/home/ann/.zshrc', reason: 'unreadable', message: 'cannot be read: permission denied' },
  { path: '/home/ann/.bashrc', reason: 'not-utf8', message: 'not UTF-8 text: save it as UTF-8 to have it read' },
  { path: '/home/ann/.profile', reason: 'binary', message: 'binary (it holds a NUL byte)' },
  { path: '/home/ann/.cursor/mcp.json', reason: 'not-a-file', message: 'a named pipe, not a file' },
  { path: '/home/ann/code/.env', reason: 'symlink', message: "a symbolic link: a folder's links are not followed (the file it leads to is read when named)" },
];

const finding = {
  file: '/home/ann/.zprofile',
  line: 1,
  where: 'OPENAI_API_KEY',
  label: 'OpenAI API key',
  rule: 'openai-api-key',
  masked: 'sk-proj-…abcd',
  server: null,
  inVault: 'no' as const,
  vaultItem: null,
};

describe('"Found on this computer": files not read', () => {
  it('lists each with its reason, and the empty state counts them', async () => {
    renderWith(fakeClient({ agentScan: async () => ({ findings: [], filesRead: 3, skipped }) }), <FoundView />);
    const list = await screen.findByRole('region', { name: 'Files not read' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(skipped.map((s) => `?${s.path}${s.message}`));
    expect(screen.getByText(/No keys in the 3 config files read\. 6 could not be read: see below\./)).toBeTruthy();
  });

  it('shows them beside what was found, and nothing when every file was read', async () => {
    const first = renderWith(fakeClient({ agentScan: async () => ({ findings: [finding], filesRead: 1, skipped: skipped.slice(0, 1) }) }), <FoundView />);
    const list = await screen.findByRole('region', { name: 'Files not read' });
    expect(within(list).getByText('/home/ann/.claude.json')).toBeTruthy();
    expect(screen.getByRole('region', { name: '/home/ann/.zprofile' })).toBeTruthy();
    first.unmount();
    renderWith(fakeClient({ agentScan: async () => ({ findings: [finding], filesRead: 1, skipped: [] }) }), <FoundView />);
    await screen.findByRole('region', { name: '/home/ann/.zprofile' });
    expect(screen.queryByRole('region', { name: 'Files not read' })).toBeNull();
  });

  it('the import says once that shell/local from an earlier import is left as it is', async () => {
    const user = userEvent.setup();
    renderWith(
      fakeClient({
        agentScan: async () => ({ findings: [finding], filesRead: 1, skipped: [] }),
        agentImport: async () => ({ imported: 1, held: 0, conflicts: 0, refused: 0, earlier: [{ profile: 'shell/local', now: ['shell/zprofile'] }] }),
      }),
      <FoundView />,
    );
    await user.click(await screen.findByRole('button', { name: 'Import 1' }));
    expect(
      await screen.findByText(
        "Imported 1 as drafts; 0 already in the vault. shell/local, from an earlier import, is left as it is: each file's values now go to a profile of its own (shell/zprofile).",
      ),
    ).toBeTruthy();
  });
});
