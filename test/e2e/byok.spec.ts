import { connectThroughUi, createVaultThroughUi, expect, test } from './harness';

const KEY = (tail: string) => `sk-ant-api03-${'k'.repeat(30)}${tail}`;

test('a BYOK key is set, synced with its Backside status, validated, rotated and restored from history', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  await connectThroughUi(page, remotes);
  await page.getByRole('button', { name: 'BYOK keys' }).click();
  await page.getByRole('button', { name: '+ Add key' }).click();

  const dialog = page.getByRole('dialog', { name: 'Add a BYOK key' });
  await dialog.getByLabel('Agent kind').fill('claude-code');
  await dialog.getByLabel('API key').fill('sk-proj-not-an-anthropic-key-000');
  await expect(dialog.getByText('anthropic keys start with "sk-ant-".')).toBeVisible();
  await dialog.getByLabel('API key').fill(KEY('AAAA'));
  await expect(dialog.getByText(/Looks right/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Save and sync' }).click();

  const card = page.getByRole('listitem', { name: 'claude-code key' });
  await expect(card.getByText('Synced')).toBeVisible();
  // Backside's status word is shown verbatim (the fake writes "active", as the seed allows).
  await expect(card.getByText('active', { exact: true })).toBeVisible();
  await expect(card.getByLabel('API key hint')).toHaveText(/…AAAA$/);
  await card.getByRole('button', { name: 'Validate' }).click();
  await expect(card.getByText('Probe: valid')).toBeVisible();
  expect(remotes.backside.state.keys.get('claude-code')).toBe(KEY('AAAA'));

  await card.getByRole('button', { name: 'Rotate' }).click();
  const rotate = page.getByRole('dialog', { name: 'Rotate the claude-code key' });
  await rotate.getByLabel('New API key').fill(KEY('BBBB'));
  await rotate.getByRole('button', { name: 'Rotate and sync' }).click();
  await expect(card.getByLabel('API key hint')).toHaveText(/…BBBB$/);
  await expect(card.getByText('Synced')).toBeVisible();
  await expect.poll(() => remotes.backside.state.keys.get('claude-code')).toBe(KEY('BBBB'));
  await keyhold.shot('byok-rotated');

  await card.getByRole('button', { name: 'History' }).click();
  const history = page.getByRole('dialog', { name: 'Key history for claude-code' });
  await expect(history.getByRole('listitem')).toHaveCount(2);
  await keyhold.shot('byok-history');
  await history.getByRole('button', { name: 'Restore' }).click();
  await expect(card.getByLabel('API key hint')).toHaveText(/…AAAA$/);
  await page.getByRole('button', { name: 'Sync now' }).first().click();
  await expect.poll(() => remotes.backside.state.keys.get('claude-code')).toBe(KEY('AAAA'));

  // Rejected credentials pause the connection, and the Connections page says so.
  remotes.backside.state.tokens.clear();
  await card.getByRole('button', { name: 'Validate' }).click();
  await expect(card.getByRole('alert')).toContainText(/Update the credentials under Connections/);
  await page.getByRole('button', { name: 'Connections' }).click();
  await expect(page.getByRole('region', { name: 'Backside' }).getByText(/Sync to Backside is paused/)).toBeVisible();
  await expect(page.getByRole('contentinfo', { name: 'Sync status' }).getByText('Backside paused')).toBeVisible();
  await keyhold.shot('connection-paused');
});
