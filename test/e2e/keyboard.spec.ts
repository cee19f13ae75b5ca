import type { Page } from '@playwright/test';
import { expect, KURA_TEST_API_KEY, PASSWORD, test } from './harness';

// The whole first run, keyboard only: create the vault, connect Kura, declare the agent's
// arguments, add the first profile, sync it and copy the token Kura issued. No mouse event is
// sent; each step checks where the focus is before typing.

async function palette(page: Page, query: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+k');
  const box = page.getByRole('combobox', { name: 'Type a command, section, profile or key' });
  await expect(box).toBeFocused();
  await page.keyboard.type(query);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Command palette' })).toHaveCount(0);
}

test('keyboard only: onboarding from nothing to a synced profile and its copied token', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await keyhold.open();

  // 1. Create the vault.
  await expect(page.getByLabel('Master password', { exact: true })).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Repeat the master password')).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');

  // The guide opens on a new vault, with the next step marked.
  await expect(page.getByRole('heading', { name: 'Get started', level: 1 })).toBeVisible();
  await expect(page.getByText('1 of 6 steps done.')).toBeVisible();

  // 2. Connect Kura.
  await palette(page, 'go to connections');
  await expect(page.getByRole('heading', { name: 'Connections', level: 1 })).toBeVisible();
  await page.keyboard.press('Tab');
  const kura = page.getByRole('form', { name: 'Kura connection' });
  await expect(kura.getByLabel('Base URL')).toBeFocused();
  await page.keyboard.type(remotes.kura.url);
  await page.keyboard.press('Tab');
  await expect(kura.getByLabel('API key')).toBeFocused();
  await page.keyboard.type(KURA_TEST_API_KEY);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'Kura' }).getByText(/^Verified /)).toBeVisible();

  // 3. Declare the agent's input arguments.
  await palette(page, 'go to agents');
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: '+ Declare agent' })).toBeFocused();
  await page.keyboard.press('Enter');
  const declare = page.getByRole('dialog', { name: 'Declare an agent' });
  await expect(declare.getByLabel('Agent id')).toBeFocused();
  await page.keyboard.type('crm-bot');
  await page.keyboard.press('Tab');
  await expect(declare.getByLabel('Input arguments')).toBeFocused();
  await page.keyboard.type('USERNAME');
  await page.keyboard.press('Enter');
  await page.keyboard.type('PASSWORD');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(declare.getByRole('button', { name: 'Save' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('listitem', { name: 'Agent crm-bot' })).toContainText('2 input arguments');

  // 4. The first profile, with the keys the agent declares; 5. Save and sync.
  await page.keyboard.press('ControlOrMeta+n');
  const form = page.getByRole('form', { name: 'New profile' });
  await expect(form.getByLabel('Agent id')).toBeFocused();
  await page.keyboard.type('crm-bot');
  await page.keyboard.press('Tab');
  await expect(form.getByLabel('Profile name')).toBeFocused();
  await page.keyboard.type('prod');
  await page.keyboard.press('Tab');
  await expect(form.getByLabel('Key 1')).toBeFocused();
  await page.keyboard.type('USERNAME');
  await page.keyboard.press('Tab');
  await expect(form.getByLabel('Value 1', { exact: true })).toBeFocused();
  await page.keyboard.type('ann');
  await page.keyboard.press('Enter');
  const detail = page.getByRole('region', { name: 'Profile crm-bot/prod' });
  await expect(detail.getByText('Synced')).toBeVisible();
  // Focus is put on the saved profile, not dropped to the page.
  await expect(detail.getByRole('heading', { name: 'prod' })).toBeFocused();

  await page.keyboard.press('ControlOrMeta+Shift+S');
  await expect(page.getByRole('region', { name: 'Notifications' }).getByText('Everything is in sync.')).toBeVisible();

  // 6. The token, copied from the guide's last step.
  await page.keyboard.press('ControlOrMeta+1');
  await expect(page.getByRole('heading', { name: 'Get started', level: 1 })).toBeVisible();
  await expect(page.getByText('5 of 6 steps done.')).toBeVisible();
  await palette(page, 'copy the kura token');
  await expect(page.getByRole('region', { name: 'Notifications' }).getByText(/Copied the Kura token of crm-bot\/prod/)).toBeVisible();
  const [token] = [...remotes.kura.state.profiles.keys()];
  expect(token).toBeTruthy();
  expect(keyhold.copied).toEqual([token]);

  // The shortcut sheet is one key away.
  await page.keyboard.press('Escape');
  await page.locator('#main').focus();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0);
});
