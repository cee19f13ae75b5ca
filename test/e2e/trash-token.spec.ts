import { createVaultThroughUi, expect, nav, seedSyncedProfile, test } from './harness';

test('the Kura token is revealed and copied on the profile screen; a deleted profile goes to the Trash, comes back, and can be deleted forever', async ({
  keyhold,
  remotes,
}) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  const h = keyhold.backend.handlers;
  await seedSyncedProfile(keyhold, remotes, 'hunter2');
  const token = remotes.kura.profile('crm-bot', 'prod')?.token;
  expect(token).toBeTruthy();
  await page.reload();

  // The token: masked, revealed on Reveal, copied in main.
  await nav(page, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  const detail = page.getByRole('region', { name: 'Profile crm-bot/prod' });
  await expect(detail.getByLabel('Kura token hidden')).toBeVisible();
  await expect(detail.getByText('Created on Kura')).toBeVisible();
  await expect(detail.getByText(token as string)).toHaveCount(0);
  await detail.getByRole('button', { name: 'Reveal the Kura token of crm-bot/prod' }).click();
  await expect(detail.getByTestId('token-value')).toHaveText(token as string);
  await keyhold.shot('profile-token-revealed');
  await detail.getByRole('button', { name: 'Hide the Kura token of crm-bot/prod' }).click();
  await expect(detail.getByText(token as string)).toHaveCount(0);
  await detail.getByRole('button', { name: 'Copy the Kura token of crm-bot/prod' }).click();
  await expect(
    page.getByRole('region', { name: 'Notifications' }).getByText(/Copied the Kura token of crm-bot\/prod\. The clipboard clears in \d+ seconds/),
  ).toBeVisible();
  expect(keyhold.copied).toEqual([token]);

  // Delete: to the Trash, with the token.
  await detail.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete crm-bot/prod?' });
  await expect(dialog.getByText(/goes to the Trash for 30 days/)).toBeVisible();
  await expect(dialog.getByText('The remote profile stays on Kura.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Delete profile' }).click();
  await expect(page.getByRole('option', { name: /prod/ })).toHaveCount(0);

  await nav(page, 'Trash');
  const table = page.getByRole('table', { name: 'Deleted items' });
  const row = table.getByRole('row').filter({ hasText: 'crm-bot/prod' });
  await expect(row).toContainText('Profile');
  await expect(row).toContainText('Kept');
  await keyhold.shot('trash');
  await row.getByRole('button', { name: 'Restore the profile crm-bot/prod' }).click();
  await expect(page.getByText('The trash is empty')).toBeVisible();

  await nav(page, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  await expect(detail.getByLabel('Kura token hidden')).toBeVisible();

  // Delete again, then forever: the page says the token goes for good, and one click leads to main's
  // question (no dialog of the window's own), which names the item and says so too.
  await detail.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete crm-bot/prod?' }).getByRole('button', { name: 'Delete profile' }).click();
  await nav(page, 'Trash');
  await expect(page.getByRole('note')).toContainText('Kura cannot issue it again; the remote profile stays on Kura.');
  keyhold.confirmations.asked.length = 0;
  await page.getByRole('button', { name: 'Delete the profile crm-bot/prod forever' }).click();
  await expect(page.getByText('The trash is empty')).toBeVisible();
  expect(keyhold.confirmations.asked).toEqual([
    { message: 'Delete crm-bot/prod for good?', detail: expect.stringContaining('Kura cannot issue that token again') },
  ]);
  expect(await h.trashList(undefined)).toEqual([]);
  // The remote profile stays on Kura.
  expect(remotes.kura.profile('crm-bot', 'prod')?.token).toBe(token);

  // A BYOK key: its delete dialog says Trash too, and it lands there.
  await h.byokSet({ kind: 'claude-code', provider: 'anthropic', apiKey: `sk-ant-api03-${'k'.repeat(30)}AAAA`, draft: true });
  await nav(page, 'BYOK keys');
  await page.getByRole('listitem', { name: 'claude-code key' }).getByRole('button', { name: 'Delete' }).click();
  const byokDialog = page.getByRole('dialog', { name: 'Delete the claude-code key?' });
  await expect(byokDialog.getByText(/moves to the Trash for 30 days/)).toBeVisible();
  await byokDialog.getByRole('button', { name: 'Delete key' }).click();
  await nav(page, 'Trash');
  await expect(page.getByRole('table', { name: 'Deleted items' }).getByRole('row').filter({ hasText: 'claude-code' })).toContainText('BYOK key');
});
