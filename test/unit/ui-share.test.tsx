// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient as makeClient, NOW, profileSummary, renderWith } from '../helpers/ui';
import { KeyholdError } from '../../src/shared/errors';
import type { ImportPreview, OpenedImportInfo } from '../../src/shared/share';
import { ExportDialog } from '../../src/renderer/screens/sharing/ExportDialog';
import { ImportDialog } from '../../src/renderer/screens/sharing/ImportDialog';
import { AddContactForm } from '../../src/renderer/screens/sharing/SharingView';

const RECIPIENT = `age1${'q'.repeat(58)}`;
const HANDLE = 'a'.repeat(32);

const profile = (i: number, name: string) =>
  profileSummary({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name,
    keys: ['PASSWORD'],
    syncState: 'draft',
    hasToken: false,
    lastSyncType: null,
  });

/** Fresh spies per client, so one test's calls never show in another's. */
const defaults = () => ({
  profilesList: vi.fn(async () => [profile(1, 'prod'), profile(2, 'staging'), profile(3, 'research')]),
  contactsList: vi.fn(async () => [
    { id: '00000000-0000-4000-8000-000000000009', name: 'bob', recipient: RECIPIENT, signingKey: null, fingerprint: null, createdAt: NOW, updatedAt: NOW },
  ]),
});

const fakeClient = (calls: Parameters<typeof makeClient>[1] = {}) => makeClient(defaults(), calls);

afterEach(cleanup);

const counts = { new: 0, identical: 0, differs: 0, create: 0, update: 0, skip: 0 };

function preview(policy: ImportPreview['policy'], over: Partial<ImportPreview> = {}): ImportPreview {
  return {
    exportedAt: NOW,
    signer: { signed: true, fingerprint: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX', publicKey: 'x', contact: null, self: false, trusted: false },
    tokensIncluded: false,
    policy,
    state: 'pending',
    profiles: [
      {
        agentId: 'crm-bot',
        name: 'prod',
        status: 'differs',
        diff: { changed: ['PASSWORD'], added: ['REGION'], removed: [], saveSession: false, authToken: false },
        action: policy === 'overwrite' ? 'update' : 'skip',
        importedAs: null,
        existingId: 'x',
        withToken: false,
        note: null,
        keys: ['PASSWORD', 'REGION'],
        dangerousKeys: [],
        replacesRemote: false,
        state: 'pending',
      },
      {
        agentId: 'crm-bot',
        name: 'research',
        status: 'new',
        diff: null,
        action: 'create',
        importedAs: null,
        existingId: null,
        withToken: false,
        note: null,
        keys: ['PASSWORD'],
        dangerousKeys: [],
        replacesRemote: false,
        state: 'pending',
      },
    ],
    byokKeys: [],
    agents: [],
    counts: {
      profiles: { ...counts, new: 1, differs: 1, create: 1, update: policy === 'overwrite' ? 1 : 0, skip: policy === 'overwrite' ? 0 : 1 },
      byokKeys: counts,
    },
    warnings: ['The signer is not one of your contacts.'],
    ...over,
  };
}

describe('export dialog', () => {
  it('sends the chosen profiles to the chosen contact and pasted key, and shows where it went', async () => {
    const user = userEvent.setup();
    const shareExport = vi.fn(async () => ({
      profiles: 1,
      byokKeys: 0,
      agents: 0,
      tokensIncluded: false,
      tokens: 0,
      recipients: 2,
      passphrase: false,
      armor: true,
      bytes: 2048,
      signer: 'FP',
      path: '/home/ann/team.age',
    }));
    renderWith(fakeClient({ shareExport }), <ExportDialog onClose={() => undefined} />);
    const list = await screen.findByRole('list', { name: 'Profiles to export' });
    await user.type(screen.getByLabelText('Search profiles to export'), 'prod');
    expect(within(list).queryByText('crm-bot/staging')).toBeNull();
    await user.click(within(list).getByLabelText('crm-bot/prod'));

    // Nobody to send it to yet: said next to the recipients, nothing sent.
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByText('Choose a contact or paste an age1… key.')).toBeTruthy();
    await user.type(screen.getByLabelText('Other age recipients'), 'AGE-SECRET-KEY-1ABCDEF');
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    const secretError = await screen.findByText(/Key 1 is a secret key/);
    expect(secretError.textContent).not.toContain('ABCDEF');
    expect(shareExport).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText('Other age recipients'));
    await user.type(screen.getByLabelText('Other age recipients'), `age1${'p'.repeat(58)}`);
    await user.click(await screen.findByLabelText('bob'));
    await user.click(screen.getByLabelText(/ASCII armor/));
    await user.click(screen.getByLabelText('Include Kura auth tokens'));
    expect(screen.getByText('Whoever opens this file can update those profiles on Kura.')).toBeTruthy();
    await user.click(screen.getByLabelText('Include Kura auth tokens'));
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(shareExport).toHaveBeenCalledWith({
      select: ['00000000-0000-4000-8000-000000000001'],
      target: { recipients: ['bob', `age1${'p'.repeat(58)}`] },
      withByok: false,
      includeTokens: false,
      armor: true,
    });
    expect((await screen.findByRole('status', { name: 'Export finished' })).textContent).toContain('/home/ann/team.age');
  });

  it('asks for the passphrase twice, selects all as "all", and is quiet when the save dialog is cancelled', async () => {
    const user = userEvent.setup();
    const shareExport = vi.fn(async () => {
      throw new KeyholdError('Cancelled', 'No file was chosen.');
    });
    renderWith(fakeClient({ shareExport }), <ExportDialog onClose={() => undefined} />);
    await screen.findByRole('list', { name: 'Profiles to export' });
    await user.click(screen.getByLabelText('Select all'));
    expect(screen.getByText('3 of 3 chosen')).toBeTruthy();
    await user.click(screen.getByLabelText('A passphrase'));
    // The rule the engine applies (shared/share.ts), said before anything is sent.
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByText('The passphrase may not be empty.')).toBeTruthy();
    await user.type(screen.getByLabelText('Passphrase'), 'correct horse battery');
    expect(await screen.findByLabelText('Passphrase strength')).toBeTruthy();
    await user.type(screen.getByLabelText('Repeat the passphrase'), 'correct horse batter');
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByText('The two passphrases are not the same.')).toBeTruthy();
    expect(shareExport).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText('Repeat the passphrase'), 'y');
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    await waitFor(() => expect(shareExport).toHaveBeenCalledWith(expect.objectContaining({ select: 'all', target: { passphrase: 'correct horse battery' } })));
    await waitFor(() => expect((screen.getByRole('button', { name: 'Export…' }) as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('import dialog', () => {
  it('shows the signer and the preview, re-previews on a policy change, applies with the choices shown', async () => {
    const user = userEvent.setup();
    const opened: OpenedImportInfo = { handle: HANDLE, signer: preview('skip').signer, preview: preview('skip') };
    const shareImportChoose = vi.fn(async () => ({ file: 'b'.repeat(32), name: 'from-bob.age', bytes: 900 }));
    const shareImportOpen = vi.fn(async () => opened);
    const shareImportPreview = vi.fn(async ({ onConflict }: { onConflict: ImportPreview['policy'] }) => preview(onConflict));
    const shareImportApply = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('Cancelled', 'Nothing was imported.'))
      .mockResolvedValueOnce({
        profiles: { created: 1, updated: 1, skipped: 0 },
        byokKeys: { created: 0, updated: 0, skipped: 0 },
        agents: { declared: 0, notApplied: 0 },
        tokens: 0,
        state: 'pending' as const,
      });
    renderWith(fakeClient({ shareImportChoose, shareImportOpen, shareImportPreview, shareImportApply }), <ImportDialog onClose={() => undefined} />);
    await user.click(screen.getByRole('button', { name: 'Choose file…' }));
    const signer = await screen.findByRole('note', { name: 'Signer' });
    expect(signer.textContent).toContain('Unknown signer');
    expect(signer.textContent).toContain('ABCD-EFGH-IJKL-MNOP-QRST-UVWX');
    expect(shareImportOpen).toHaveBeenCalledWith({ file: 'b'.repeat(32), allowUnsigned: false });

    const table = screen.getByRole('table', { name: 'Import preview' });
    const prod = within(table).getByText('crm-bot/prod').closest('tr') as HTMLElement;
    expect(prod.textContent).toContain('values of PASSWORD; only in the file: REGION');
    expect(prod.textContent).toContain('Skip');

    await user.click(screen.getByLabelText(/^Overwrite/));
    await waitFor(() => expect(prod.textContent).toContain('Update'));
    expect(shareImportPreview).toHaveBeenCalledWith({ handle: HANDLE, onConflict: 'overwrite', draft: false });
    // An unknown signer is vouched for once, in main's own dialog (which names the fingerprint):
    // Import… leads there, and the window asks nothing of its own before it.
    expect(screen.queryByRole('checkbox', { name: /trust this signer/ })).toBeNull();
    const importButton = screen.getByRole('button', { name: 'Import…' });
    await user.click(importButton);
    expect(shareImportApply).toHaveBeenCalledWith({ handle: HANDLE, onConflict: 'overwrite', draft: false, trustSigner: true });
    // Cancel there: nothing imported, no error, the preview stays for another try.
    await waitFor(() => expect(importButton).toHaveProperty('disabled', false));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('table', { name: 'Import preview' })).toBeTruthy();
    await user.click(importButton);
    expect(shareImportApply).toHaveBeenCalledTimes(2);
    expect((await screen.findByRole('status', { name: 'Import finished' })).textContent).toContain('1 profile created, 1 updated');
  });

  it('a file signed by a contact imports on Import, vouching for nobody', async () => {
    const user = userEvent.setup();
    const signer = { signed: true, fingerprint: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX', publicKey: 'x', contact: 'bob', self: false, trusted: true };
    const shown = preview('skip', { signer, warnings: [] });
    const shareImportApply = vi.fn(async () => ({
      profiles: { created: 1, updated: 0, skipped: 1 },
      byokKeys: { created: 0, updated: 0, skipped: 0 },
      agents: { declared: 0, notApplied: 0 },
      tokens: 0,
      state: 'pending' as const,
    }));
    renderWith(
      fakeClient({
        shareImportChoose: async () => ({ file: 'b'.repeat(32), name: 'from-bob.age', bytes: 900 }),
        shareImportOpen: async () => ({ handle: HANDLE, signer, preview: shown }),
        shareImportApply,
      }),
      <ImportDialog onClose={() => undefined} />,
    );
    await user.click(screen.getByRole('button', { name: 'Choose file…' }));
    expect((await screen.findByRole('note', { name: 'Signer' })).textContent).toContain('Signed by bob');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(shareImportApply).toHaveBeenCalledWith({ handle: HANDLE, onConflict: 'skip', draft: false, trustSigner: false });
  });

  it('puts a wrong passphrase next to the field, offers allow-unsigned only with its warning, and keeps other errors in words', async () => {
    const user = userEvent.setup();
    const shareImportChoose = vi.fn(async () => ({ file: 'b'.repeat(32), name: 'x.age', bytes: 10 }));
    const shareImportOpen = vi
      .fn()
      .mockRejectedValueOnce(new KeyholdError('DecryptFailed', 'Wrong passphrase for this file.', { field: 'passphrase' }))
      .mockRejectedValueOnce(new KeyholdError('Unsigned', 'This bundle is not signed, so Keyhold cannot tell who made it.'))
      .mockRejectedValueOnce(new KeyholdError('SignatureInvalid', 'The bundle signature does not match its contents.'));
    renderWith(fakeClient({ shareImportChoose, shareImportOpen }), <ImportDialog onClose={() => undefined} />);
    expect(screen.queryByLabelText('Open it even though it is not signed')).toBeNull();

    await user.type(screen.getByLabelText(/^Passphrase/), 'nope');
    await user.click(screen.getByRole('button', { name: 'Choose file…' }));
    const field = screen.getByLabelText(/^Passphrase/);
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByRole('alert').textContent).toBe('Wrong passphrase for this file.');
    expect(shareImportOpen).toHaveBeenLastCalledWith({ file: 'b'.repeat(32), allowUnsigned: false, passphrase: 'nope' });

    await user.click(screen.getByRole('button', { name: 'Open' }));
    expect(await screen.findByLabelText('Open it even though it is not signed')).toBeTruthy();
    expect(screen.getByText('Nobody vouches for an unsigned file.')).toBeTruthy();
    await user.click(screen.getByLabelText('Open it even though it is not signed'));
    await user.click(screen.getByRole('button', { name: 'Open' }));
    expect(shareImportOpen).toHaveBeenLastCalledWith({ file: 'b'.repeat(32), allowUnsigned: true, passphrase: 'nope' });
    expect((await screen.findByText(/signature does not match/)).textContent).toContain('Do not trust this file');
  });
});

describe('add contact form', () => {
  it('shows a bad recipient inline before sending, and the engine’s field errors next to their field', async () => {
    const user = userEvent.setup();
    const contactAdd = vi.fn(async () => {
      throw new KeyholdError('Conflict', 'A contact named "bob" already exists. Remove it first to replace it.', { field: 'name' });
    });
    renderWith(fakeClient({ contactAdd }), <AddContactForm />);
    await user.type(screen.getByLabelText('Name'), 'bob');
    await user.type(screen.getByLabelText('Age recipient'), 'age1short');
    await user.click(screen.getByRole('button', { name: 'Add contact' }));
    expect(await screen.findByText(/An age recipient is "age1" followed by 58/)).toBeTruthy();
    expect(contactAdd).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText('Age recipient'));
    await user.type(screen.getByLabelText('Age recipient'), RECIPIENT);
    await user.click(screen.getByRole('button', { name: 'Add contact' }));
    await waitFor(() => expect(contactAdd).toHaveBeenCalledWith({ name: 'bob', recipient: RECIPIENT }));
    expect((await screen.findByText(/already exists/)).closest('.field')?.querySelector('input')?.id).toBe(screen.getByLabelText('Name').id);
  });
});
