// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrustedFilesSection } from '../../src/renderer/screens/TrustedFilesSection';
import type { TrustedFile } from '../../src/shared/contract';
import { fakeClient, renderWith } from '../helpers/ui';

afterEach(cleanup);

const project: TrustedFile = {
  path: '/home/ann/code/app/keyhold.toml',
  refs: { GITHUB_TOKEN: 'keyhold://profile/gh/dev/GITHUB_TOKEN', KURA_AUTH_TOKEN: 'keyhold://token/gh/dev' },
  trustedAt: '2026-12-01T09:30:00.000Z',
};
const template: TrustedFile = {
  path: '/home/ann/code/app/.env.tpl',
  refs: { 'keyhold://byok/claude': 'keyhold://byok/claude' },
  trustedAt: '2026-12-02T10:00:00.000Z',
};

describe('Settings: trusted project files', () => {
  it('lists each file with what it may hand out, and revokes one only after asking', async () => {
    const user = userEvent.setup();
    const list = vi
      .fn()
      .mockResolvedValueOnce({ files: [template, project], damaged: [] })
      .mockResolvedValue({ files: [template], damaged: [] });
    const revoke = vi.fn(async ({ path }: { path: string }) => ({ path }));
    renderWith(fakeClient({ trustedFilesList: list, trustedFileRevoke: revoke }), <TrustedFilesSection />);

    const items = await within(await screen.findByRole('list', { name: 'Trusted files' })).findAllByRole('listitem');
    expect(items.map((li) => within(li).getByText(/\.(toml|tpl)$/).textContent)).toEqual([template.path, project.path]);
    const toml = items[1]!;
    expect(within(toml).getByText(/2 references · trusted/)).toBeTruthy();
    // A keyhold.toml names each variable; a template's references are their own names.
    expect(within(toml).getByText('GITHUB_TOKEN')).toBeTruthy();
    expect(within(toml).getByText('keyhold://profile/gh/dev/GITHUB_TOKEN')).toBeTruthy();
    expect(within(items[0]!).getAllByText('keyhold://byok/claude')).toHaveLength(1);

    await user.click(within(toml).getByRole('button', { name: `Stop trusting ${project.path}` }));
    const dialog = await screen.findByRole('dialog', { name: 'Stop trusting this file?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(revoke).not.toHaveBeenCalled();

    await user.click(within(toml).getByRole('button', { name: `Stop trusting ${project.path}` }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke trust' }));
    expect(revoke).toHaveBeenCalledWith({ path: project.path });
    expect(await screen.findByText(`No longer trusted: ${project.path}`)).toBeTruthy();
    await waitFor(() => expect(screen.queryByText(project.path)).toBeNull());
  });

  it('says when nothing is trusted, and when a record could not be read', async () => {
    renderWith(fakeClient({ trustedFilesList: async () => ({ files: [], damaged: ['row-1', 'row-2'] }) }), <TrustedFilesSection />);
    expect(await screen.findByText('No trusted files')).toBeTruthy();
    expect(screen.getByRole('note').textContent).toMatch(/^2 trust records could not be read; those files count as not trusted/);
  });

  it('keeps the dialog open with the reason when the revoke fails', async () => {
    const user = userEvent.setup();
    const { KeyholdError } = await import('../../src/shared/errors');
    renderWith(
      fakeClient({
        trustedFilesList: async () => ({ files: [project], damaged: [] }),
        trustedFileRevoke: async () => {
          throw new KeyholdError('NotFound', `${project.path} is not trusted.`);
        },
      }),
      <TrustedFilesSection />,
    );
    await user.click(await screen.findByRole('button', { name: `Stop trusting ${project.path}` }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke trust' }));
    expect(await within(screen.getByRole('dialog')).findByText(`${project.path} is not trusted.`)).toBeTruthy();
  });
});
