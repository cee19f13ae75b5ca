import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { setTheme } from '../e2e/a11y';
import { BACKSIDE_TEST_TOKEN, createVaultThroughUi, expect, KURA_TEST_API_KEY, nav, test, unlockThroughUi } from '../e2e/harness';

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await page.screenshot({ path: join(OUT, `${name}-${theme}.png`), caret: 'hide', animations: 'disabled' });
  }
  await setTheme(page, 'light');
}

test('every screen, light and dark, 1280×800', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await page.setViewportSize({ width: 1280, height: 800 });
  await keyhold.open();
  await page.getByLabel('Master password', { exact: true }).fill('violet Anchor 42');
  await expect(page.locator('.strength-label')).toBeVisible();
  await shoot(page, '01-create-vault');
  await page.getByLabel('Master password', { exact: true }).fill('');
  await createVaultThroughUi(page, { stayOnGuide: true });
  await shoot(page, '02-get-started');
  await nav(page, 'Profiles');
  await shoot(page, '03-profiles-empty');

  const h = keyhold.backend.handlers;
  await h.remoteSet({ kind: 'kura', url: remotes.kura.url, credential: KURA_TEST_API_KEY });
  await h.remoteSet({ kind: 'backside', url: remotes.backside.url, credential: BACKSIDE_TEST_TOKEN });
  await h.agentSet({ agentId: 'crm-bot', args: ['USERNAME', 'PASSWORD', 'REGION'] });
  await h.agentSet({ agentId: 'researcher', args: ['OPENAI_API_KEY'] });
  await h.profileCreate({
    agentId: 'crm-bot',
    name: 'prod',
    authData: { USERNAME: 'ann', PASSWORD: 'hunter2', REGION: 'eu' },
    saveSession: true,
    draft: false,
    allowEnv: [],
  });
  await h.profileCreate({
    agentId: 'crm-bot',
    name: 'staging',
    authData: { USERNAME: 'bob', PASSWORD: 'pw-staging' },
    saveSession: false,
    draft: true,
    allowEnv: [],
  });
  await h.profileCreate({ agentId: 'researcher', name: 'lab', authData: { OPENAI_API_KEY: 'sk-lab' }, saveSession: false, draft: false, allowEnv: [] });
  await h.byokSet({ kind: 'claude-code', provider: 'anthropic', apiKey: `sk-ant-api03-${'k'.repeat(30)}AAAA`, draft: false });
  await h.syncNow(undefined);
  await h.contactAdd({ name: 'alice', recipient: (await h.identityGet(undefined)).recipient });
  await page.reload();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();

  await page
    .getByRole('navigation', { name: 'Sections' })
    .getByRole('button', { name: /^Get started/ })
    .click();
  await expect(page.getByText(/steps done/)).toBeVisible();
  await shoot(page, '04-get-started-progress');
  await nav(page, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  await expect(page.getByRole('region', { name: 'Profile crm-bot/prod' }).getByText('Synced')).toBeVisible();
  await shoot(page, '05-profile-detail');
  await page.getByRole('region', { name: 'Profile crm-bot/prod' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('form', { name: 'Edit crm-bot/prod' }).getByLabel('Key 4').fill('TOKEN');
  await page.getByRole('form', { name: 'Edit crm-bot/prod' }).getByRole('button', { name: 'Save as draft' }).click();
  await expect(page.getByText(/does not declare "TOKEN"/)).toBeVisible();
  await shoot(page, '06-profile-edit');
  await nav(page, 'BYOK keys');
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByRole('listitem', { name: 'claude-code key' })).toBeVisible();
  await shoot(page, '07-byok');
  for (const [i, section] of (['Agents', 'Connections', 'Sync', 'Sharing', 'Health', 'Activity', 'Settings'] as const).entries()) {
    await nav(page, section);
    await expect(page.getByRole('heading', { name: section, level: 1 })).toBeVisible();
    await shoot(page, `${String(8 + i).padStart(2, '0')}-${section.toLowerCase()}`);
  }
  await nav(page, 'Sharing');
  await page
    .getByRole('button', { name: /^Export/ })
    .first()
    .click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await shoot(page, '15-export');
  await page.keyboard.press('Escape');
  await page.keyboard.press('ControlOrMeta+k');
  await page.keyboard.type('copy prod');
  await shoot(page, '16-command-palette');
  await page.keyboard.press('Escape');
  await page.locator('#main').focus();
  await page.keyboard.press('?');
  await shoot(page, '17-shortcuts');
  await page.keyboard.press('Escape');
  await page.keyboard.press('ControlOrMeta+l');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  await shoot(page, '18-unlock');

  // Last, so the screens above keep their data: two deleted items in the Trash.
  await unlockThroughUi(page);
  await h.profileDelete({ ref: 'researcher/lab', confirmTokenLoss: true });
  await h.profileDelete({ ref: 'crm-bot/staging', confirmTokenLoss: false });
  await nav(page, 'Trash');
  await expect(page.getByRole('table', { name: 'Deleted items' }).getByText('researcher/lab')).toBeVisible();
  await shoot(page, '19-trash');
});
