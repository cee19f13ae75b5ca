import { createVaultThroughUi, expect, PASSWORD, test, unlockThroughUi } from './harness';

test('first run: create a vault, lock with the shortcut, a wrong password, then an idle auto-lock', async ({ keyhold }) => {
  const { page } = keyhold;
  await keyhold.open();
  await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
  await expect(page.getByText('There is no way to recover this password.')).toBeVisible();

  await page.getByLabel('Master password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the master password').fill(`${PASSWORD}!`);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByText('The two passwords are not the same.')).toBeVisible();
  await keyhold.shot('create-vault-mismatch');
  await createVaultThroughUi(page);

  await page.keyboard.press('ControlOrMeta+l');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  await expect(page.getByText('You locked the vault.')).toBeVisible();

  await unlockThroughUi(page, 'not the right password');
  await expect(page.getByText(/That is not the master password for this vault/)).toBeVisible();
  await expect(page.getByLabel('Master password')).toBeFocused();
  await keyhold.shot('unlock-wrong-password');

  await unlockThroughUi(page);
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();

  // Main's auto-lock: the backend locks and pushes `locked`; the page must drop to the unlock screen.
  keyhold.lock('idle');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  await expect(page.getByText('Locked after a period without activity.')).toBeVisible();
  expect(keyhold.emitted).toContain('locked');
  await keyhold.shot('auto-locked');

  // Activity shows the failed attempt, and the chain verifies.
  await unlockThroughUi(page);
  await page.getByRole('button', { name: 'Activity' }).click();
  await expect(page.getByRole('table', { name: 'Activity' }).getByText('unlock failed')).toBeVisible();
  await page.getByRole('button', { name: 'Verify the log' }).click();
  await expect(page.getByText(/The log is intact/)).toBeVisible();
  await page.getByLabel('Show').selectOption('unlock_failed');
  await expect(page.getByRole('table', { name: 'Activity' }).locator('tbody tr')).toHaveCount(1);
  await keyhold.shot('activity');
});

test('settings: preferences and theme are saved, and a changed master password is the one that unlocks', async ({ keyhold }) => {
  const { page } = keyhold;
  await keyhold.open();
  await createVaultThroughUi(page);
  await page.getByRole('button', { name: 'Settings' }).click();
  const prefs = page.getByRole('form', { name: 'Preferences' });
  await prefs.getByLabel('Lock after (minutes without activity)').fill('0');
  await expect(prefs.getByRole('alert')).toBeVisible();
  await prefs.getByLabel('Lock after (minutes without activity)').fill('5');
  await prefs.getByLabel('Theme').selectOption('dark');
  await prefs.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const saved = await keyhold.backend.handlers.settingsGet(undefined);
  expect(saved).toMatchObject({ autoLockMinutes: 5, theme: 'dark' });

  const pw = page.getByRole('form', { name: 'Master password and key strength' });
  await pw.getByLabel('Current master password').fill(PASSWORD);
  await pw.getByLabel('New master password').fill('a brand new passphrase 7');
  await pw.getByLabel('Repeat the new password').fill('a brand new passphrase 7');
  await pw.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Master password changed. Use the new one from now on.')).toBeVisible();
  await keyhold.shot('settings-dark');

  await page.getByRole('button', { name: 'Health' }).click();
  await expect(page.getByText('Not set up', { exact: true }).first()).toBeVisible();

  await page.keyboard.press('ControlOrMeta+l');
  await unlockThroughUi(page, PASSWORD);
  await expect(page.getByText(/That is not the master password/)).toBeVisible();
  await unlockThroughUi(page, 'a brand new passphrase 7');
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
});
