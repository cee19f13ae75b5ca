import { connectThroughUi, createVaultThroughUi, expect, inspectVault, test } from './harness';

test('a profile added offline is pending, then syncs when the services come back, and its token is stored', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  await connectThroughUi(page, remotes);
  await page.getByRole('button', { name: 'Test connection' }).first().click();
  await expect(page.getByRole('region', { name: 'Kura' }).getByRole('status')).toBeVisible();
  await keyhold.shot('connections');

  // Offline: both services down, and main says the network is gone.
  await remotes.kura.stop();
  await remotes.backside.stop();
  await keyhold.emit('network', { online: false });
  await expect(page.getByRole('contentinfo', { name: 'Sync status' }).getByText('Offline')).toBeVisible();

  await page.getByRole('button', { name: 'Profiles' }).click();
  await page.keyboard.press('ControlOrMeta+n');
  const form = page.getByRole('form', { name: 'New profile' });
  await form.getByLabel('Agent id').fill('crm-bot');
  await form.getByLabel('Profile name').fill('prod');
  await form.getByRole('button', { name: 'Paste .env' }).click();
  await form.getByLabel(/Paste KEY=VALUE lines/).fill('# CRM\nUSERNAME=ann\nPASSWORD="hunter2 #1"\n');
  await form.getByRole('button', { name: 'Fill rows' }).click();
  await expect(form.getByLabel('Value 2', { exact: true })).toHaveAttribute('type', 'password');
  await form.getByLabel('Save the agent').check();
  await form.getByRole('button', { name: 'Save and sync' }).click();

  const row = page.getByRole('option', { name: /prod/ });
  await expect(row.getByText('Pending')).toBeVisible();
  await expect(page.getByTestId('pending-count')).toHaveText('1 pending');
  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Pending items' }).getByText('crm-bot/prod')).toBeVisible();
  await keyhold.shot('offline-pending');

  // Back online.
  await remotes.kura.start();
  await remotes.backside.start();
  await keyhold.emit('network', { online: true });
  await page.getByRole('main').getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByText('Nothing waiting', { exact: true })).toBeVisible();
  await expect(page.getByTestId('pending-count')).toHaveText('0 pending');

  await page.getByRole('button', { name: 'Profiles' }).click();
  await page.getByRole('option', { name: /prod/ }).click();
  const detail = page.getByRole('region', { name: 'Profile crm-bot/prod' });
  await expect(detail.getByText('Synced')).toBeVisible();
  await expect(detail.getByLabel('Kura token hidden')).toBeVisible();
  await expect(detail.getByText('hunter2 #1')).toHaveCount(0);

  await detail.getByRole('button', { name: 'Reveal PASSWORD' }).click();
  await expect(detail.getByLabel('PASSWORD value', { exact: true })).toHaveText('hunter2 #1');
  await keyhold.shot('profile-revealed');
  await detail.getByRole('button', { name: 'Hide PASSWORD' }).click();
  await detail.getByRole('button', { name: 'Copy USERNAME' }).click();
  await expect(page.getByText('Copied USERNAME. The clipboard clears in 30 seconds.')).toBeVisible();
  expect(keyhold.copied).toEqual(['ann']);
  await keyhold.shot('profile-synced');

  const remote = remotes.kura.profile('crm-bot', 'prod');
  expect(remote?.auth_data).toEqual({ USERNAME: 'ann', PASSWORD: 'hunter2 #1' });
  expect(remote?.should_save_session).toBe(true);
  await keyhold.backend.close();
  const stored = await inspectVault(keyhold.vaultDir, (v) => {
    const [p] = v.profiles.list();
    return p ? v.profiles.load(p.id).remote?.authToken : undefined;
  });
  expect(stored).toBe(remote?.token);
});

test('Kura lost a synced profile: the update fails with a 404, and re-create makes a new remote profile', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  await connectThroughUi(page, remotes);
  await page.getByRole('button', { name: 'Profiles' }).click();
  await page.getByRole('button', { name: '+ New' }).click();
  const form = page.getByRole('form', { name: 'New profile' });
  await form.getByLabel('Agent id').fill('researcher');
  await form.getByLabel('Profile name').fill('lab');
  await form.getByLabel('Key 1', { exact: true }).fill('TOKEN');
  await form.getByLabel('Value 1', { exact: true }).fill('first-value');
  await form.getByRole('button', { name: 'Save and sync' }).click();
  const detail = page.getByRole('region', { name: 'Profile researcher/lab' });
  await expect(detail.getByText('Synced')).toBeVisible();
  const firstToken = remotes.kura.profile('researcher', 'lab')?.token;
  expect(firstToken).toBeDefined();

  // Someone removed it on Kura.
  remotes.kura.state.profiles.clear();
  await detail.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit researcher/lab' });
  await edit.getByLabel('Value 1', { exact: true }).fill('second-value');
  await edit.getByRole('button', { name: 'Save and sync' }).click();
  await expect(detail.getByRole('alert').getByText(/Kura no longer has this profile/)).toBeVisible();
  await expect(detail.getByRole('alert')).not.toContainText('HTTP');
  await keyhold.shot('remote-missing');

  await page.getByRole('button', { name: 'Sync', exact: true }).click();
  // A long pass reports progress; the bars go away when it is done.
  await keyhold.emit('syncProgress', { done: 40, total: 100 });
  await expect(page.getByRole('main').getByRole('progressbar', { name: 'Sent 40 of 100' })).toBeVisible();
  await expect(page.getByRole('contentinfo', { name: 'Sync status' }).getByText('Syncing 40/100')).toBeVisible();
  await keyhold.emit('syncProgress', { done: 100, total: 100 });
  await expect(page.getByRole('progressbar')).toHaveCount(0);
  const failed = page.getByRole('list', { name: 'Failed items' });
  await expect(failed.getByText(/Remote profile missing/)).toBeVisible();
  await keyhold.shot('sync-failed');
  await failed.getByRole('button', { name: 'Re-create' }).click();
  await page.getByRole('main').getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByText('Nothing waiting', { exact: true })).toBeVisible();

  const recreated = remotes.kura.profile('researcher', 'lab');
  expect(recreated?.auth_data).toEqual({ TOKEN: 'second-value' });
  expect(recreated?.token).not.toBe(firstToken);
});
