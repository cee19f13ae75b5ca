import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addContact } from '../../src/core/share/contacts';
import { exportToFile, openImport } from '../../src/core/share/exchange';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { Vault } from '../../src/core/vault/vault';
import { FAST_KDF } from '../helpers/vault';
import { createVaultThroughUi, expect, PASSWORD, test } from './harness';

// Two vaults: the one in the window (this person) and a teammate's, driven through core in the
// test process. Files pass between them through the fake save and open dialogs.
const teammate = test.extend<{ bob: Vault; files: string }>({
  // eslint-disable-next-line no-empty-pattern
  files: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-e2e-share-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  bob: async ({ files }, use) => {
    const vault = await Vault.create(join(files, 'bob-vault'), PASSWORD, { kdf: FAST_KDF });
    await use(vault);
    vault.close();
  },
});

teammate('export to a teammate, import theirs with a preview and a conflict policy, and see the imports pending', async ({ keyhold, bob, files }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);

  // Two profiles of our own, one of which the teammate also has with other values.
  for (const [name, value] of [
    ['prod', 'ours-prod'],
    ['staging', 'ours-staging'],
  ] as const) {
    await page.getByRole('button', { name: '+ New' }).click();
    const form = page.getByRole('form', { name: 'New profile' });
    await form.getByLabel('Agent id').fill('crm-bot');
    await form.getByLabel('Profile name').fill(name);
    await form.getByLabel('Key 1', { exact: true }).fill('PASSWORD');
    await form.getByLabel('Value 1', { exact: true }).fill(value);
    await form.getByRole('button', { name: 'Save as draft' }).click();
    await expect(page.getByRole('region', { name: `Profile crm-bot/${name}` })).toBeVisible();
  }

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Sharing' }).click();
  const recipient = await page.getByLabel('Your age recipient').textContent();
  expect(recipient).toMatch(/^age1/);
  await page.getByRole('button', { name: 'Copy recipient' }).click();
  await expect(page.getByText('Copied your age recipient.')).toBeVisible();
  expect(keyhold.copied).toEqual([recipient]);

  // Add the teammate as a contact; a mistyped key is flagged next to its field first.
  const theirs = await vaultIdentity(bob);
  const add = page.getByRole('form', { name: 'Add a contact' });
  await add.getByLabel('Name').fill('bob');
  await add.getByLabel('Age recipient').fill('age1notakey');
  await add.getByRole('button', { name: 'Add contact' }).click();
  await expect(add.getByRole('alert')).toContainText('An age recipient is "age1" followed by 58');
  await add.getByLabel('Age recipient').fill(theirs.recipient);
  await add.getByLabel('Signing key (optional)').fill(theirs.signingPublicKey);
  await add.getByRole('button', { name: 'Add contact' }).click();
  await expect(page.getByRole('list', { name: 'Contacts' }).getByText('bob', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Dismiss' }).first().click();
  await page.locator('#main').evaluate((main) => main.scrollTo(0, 0));
  await keyhold.shot('sharing');

  // Export one profile to bob.
  await page.getByRole('button', { name: 'Export…' }).click();
  const exp = page.getByRole('form', { name: 'Export' });
  await exp.getByLabel('Search profiles to export').fill('prod');
  await exp.getByRole('list', { name: 'Profiles to export' }).getByLabel('crm-bot/prod').check();
  await exp.getByRole('list', { name: 'Contacts to export to' }).getByLabel('bob').check();
  await exp.getByLabel('Include Kura auth tokens').check();
  await expect(exp.getByText('Whoever opens this file can update those profiles on Kura.')).toBeVisible();
  await exp.getByLabel('Include Kura auth tokens').uncheck();
  // Cancelling the save dialog is quiet: the form stays as it was.
  await exp.getByRole('button', { name: 'Export…' }).click();
  await expect(exp.getByRole('alert')).toHaveCount(0);
  const out = join(files, 'to-bob.age');
  keyhold.dialogs.saves.push(out);
  await exp.getByRole('button', { name: 'Export…' }).click();
  await expect(page.getByRole('status', { name: 'Export finished' })).toContainText('Exported 1 profile to');
  await page.getByRole('button', { name: 'Done' }).click();
  expect(statSync(out).mode & 0o777).toBe(0o600);
  addContact(bob, { name: 'me', recipient: recipient as string });
  const received = await openImport(bob, readFileSync(out));
  expect(received.bundle.items.profiles.map((p) => [p.name, p.authData])).toEqual([['prod', { PASSWORD: 'ours-prod' }]]);

  // Bob sends his versions back: prod differs, research is new.
  bob.profiles.create({ agentId: 'crm-bot', name: 'prod', authData: { PASSWORD: 'bobs-prod', REGION: 'eu' } });
  bob.profiles.create({ agentId: 'crm-bot', name: 'research', authData: { PASSWORD: 'bobs-research' } });
  const back = join(files, 'from-bob.age');
  await exportToFile(bob, back, { all: true, target: { recipients: [recipient as string] }, armor: true });

  await page.getByRole('button', { name: 'Import…' }).click();
  keyhold.dialogs.opens.push(back);
  await page.getByRole('button', { name: 'Choose file…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import a Keyhold export' });
  await expect(dialog.getByRole('note', { name: 'Signer' })).toContainText('Signed by bob');
  const table = dialog.getByRole('table', { name: 'Import preview' });
  const prodRow = table.getByRole('row', { name: /crm-bot\/prod/ });
  await expect(prodRow).toContainText('Differs');
  await expect(prodRow).toContainText('values of PASSWORD; only in the file: REGION');
  await expect(prodRow).toContainText('Skip');
  await expect(table.getByRole('row', { name: /crm-bot\/research/ })).toContainText('New');
  await expect(dialog).not.toContainText('bobs-prod');

  await dialog.getByLabel('Keep both').check();
  await expect(prodRow).toContainText('Create as prod (imported)');
  await keyhold.shot('import-preview');
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Import finished' })).toContainText('2 profiles created, 0 updated, 0 skipped');
  await expect(page.getByRole('status', { name: 'Import finished' })).toContainText('They are pending');
  await page.getByRole('button', { name: 'Done' }).click();

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Profiles' }).click();
  await expect(page.getByRole('option', { name: /prod \(imported\)/ }).getByText('Pending')).toBeVisible();
  // New under bob's own agent and name, without his token: a draft, so it cannot replace his remote profile unasked.
  await expect(page.getByRole('option', { name: /research/ }).getByText('Draft')).toBeVisible();
});

teammate('a file protected by a passphrase: the wrong one is named as such, the right one opens it', async ({ keyhold, bob, files }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  bob.profiles.create({ agentId: 'crm-bot', name: 'shared', authData: { PASSWORD: 'pw' } });
  const file = join(files, 'with-passphrase.age');
  await exportToFile(bob, file, { all: true, target: { passphrase: 'the right passphrase' }, scryptWorkFactor: 10 });

  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Sharing' }).click();
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import a Keyhold export' });
  await dialog.getByLabel('Passphrase (only if the file was protected with one)').fill('a wrong passphrase');
  keyhold.dialogs.opens.push(file);
  await dialog.getByRole('button', { name: 'Choose file…' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Wrong passphrase for this file.');
  await keyhold.shot('import-wrong-passphrase');

  await dialog.getByLabel('Passphrase (only if the file was protected with one)').fill('the right passphrase');
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(dialog.getByRole('note', { name: 'Signer' })).toContainText('Unknown signer');
  await expect(dialog.getByRole('table', { name: 'Import preview' }).getByRole('row', { name: /crm-bot\/shared/ })).toContainText('New');
  await dialog.getByLabel('Drafts').check();
  // An unknown signer is trusted only by a yes in main's own dialog, which names the fingerprint:
  // Import… leads there, and the window asks nothing of its own before it.
  keyhold.confirmations.asked.length = 0;
  await dialog.getByRole('button', { name: 'Import…', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Import finished' })).toContainText('They are drafts');
  expect(keyhold.confirmations.asked.map((q) => q.message)).toEqual(['Import a file signed by a key you have not trusted?']);
});
