import { test as plain, type Page } from '@playwright/test';
import { sessionSnapshot } from '../../src/core/vault/session-items';
import { createSession } from '../../src/core/vault/sessions';
import { axeProblems } from './a11y';
import { BACKSIDE_TEST_TOKEN, createVaultThroughUi, expect, inspectVault, KURA_TEST_API_KEY, nav, test } from './harness';
import type { Keyhold, Remotes } from './harness';

// Every screen and dialog, light and dark, empty and with data: zero critical and zero serious
// axe violations (WCAG 2.2 AA, target size included).

const SECTIONS = ['Profiles', 'BYOK keys', 'Agents', 'Connections', 'Sync', 'Sharing', 'Health', 'Activity', 'Trash', 'Settings'];

async function visitSections(page: Page, tag: string, found: string[]): Promise<void> {
  for (const section of SECTIONS) {
    await nav(page, section);
    await expect(
      page
        .getByRole('heading', { level: 1 })
        .or(page.getByRole('region', { name: 'Profiles' }))
        .first(),
    ).toBeVisible();
    found.push(...(await axeProblems(page, `${section} (${tag})`)));
  }
}

async function seed(keyhold: Keyhold, remotes: Remotes): Promise<void> {
  const h = keyhold.backend.handlers;
  await h.remoteSet({ kind: 'kura', url: remotes.kura.url, credential: KURA_TEST_API_KEY });
  await h.remoteSet({ kind: 'backside', url: remotes.backside.url, credential: BACKSIDE_TEST_TOKEN });
  await h.agentSet({ agentId: 'crm-bot', args: ['USERNAME', 'PASSWORD'] });
  await h.profileCreate({
    agentId: 'crm-bot',
    name: 'prod',
    authData: { USERNAME: 'ann', PASSWORD: 'hunter2' },
    saveSession: false,
    draft: false,
    allowEnv: [],
  });
  await h.profileCreate({ agentId: 'crm-bot', name: 'staging', authData: { USERNAME: 'bob' }, saveSession: false, draft: true, allowEnv: [] });
  await h.byokSet({ kind: 'claude-code', provider: 'anthropic', apiKey: `sk-ant-api03-${'k'.repeat(30)}AAAA`, draft: false });
  await h.syncNow(undefined);
}

test('every screen and dialog has no critical or serious accessibility violation, light and dark, empty and with data', async ({ keyhold, remotes }) => {
  test.setTimeout(240_000);
  const { page } = keyhold;
  const found: string[] = [];
  await keyhold.open();
  await expect(page.getByRole('heading', { name: 'Create your vault' })).toBeVisible();
  await page.getByLabel('Master password', { exact: true }).fill('password123');
  await expect(page.getByText('Use this weak password anyway')).toBeVisible();
  found.push(...(await axeProblems(page, 'create vault, weak password')));
  await page.getByLabel('Master password', { exact: true }).fill('');
  await createVaultThroughUi(page);

  // Empty.
  await visitSections(page, 'empty', found);

  // With data.
  await seed(keyhold, remotes);
  await page.reload();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
  await visitSections(page, 'data', found);

  // Dialogs and forms.
  await nav(page, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  const detail = page.getByRole('region', { name: 'Profile crm-bot/prod' });
  await expect(detail).toBeVisible();
  found.push(...(await axeProblems(page, 'profile detail')));
  await detail.getByRole('button', { name: 'History' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  found.push(...(await axeProblems(page, 'history dialog')));
  await page.keyboard.press('Escape');
  await detail.getByRole('button', { name: 'Delete' }).click();
  found.push(...(await axeProblems(page, 'delete profile dialog')));
  await page.keyboard.press('Escape');
  await detail.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit crm-bot/prod' });
  await expect(edit).toBeVisible();
  found.push(...(await axeProblems(page, 'edit profile form')));
  await edit.getByLabel('Key 3').fill('TOKEN');
  await edit.getByRole('button', { name: 'Save as draft' }).click();
  await expect(edit.getByText(/does not declare "TOKEN"/)).toBeVisible();
  found.push(...(await axeProblems(page, 'edit profile form with errors')));
  await nav(page, 'Sync');
  await expect(page.getByRole('dialog', { name: 'Discard unsaved changes?' })).toBeVisible();
  found.push(...(await axeProblems(page, 'discard changes dialog')));
  await page.getByRole('button', { name: 'Discard changes' }).click();

  await nav(page, 'BYOK keys');
  await page.getByRole('button', { name: '+ Add key' }).click();
  found.push(...(await axeProblems(page, 'add BYOK key dialog')));
  // A typed key makes Escape ask first: the question stands over the key's dialog.
  await page.getByRole('form', { name: 'New BYOK key' }).getByLabel('Agent kind').fill('codex');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Discard unsaved changes?' })).toBeVisible();
  found.push(...(await axeProblems(page, 'discard changes over the BYOK key dialog')));
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByRole('form', { name: 'New BYOK key' })).toHaveCount(0);

  await nav(page, 'Sharing');
  await page
    .getByRole('button', { name: /^Export/ })
    .first()
    .click();
  await expect(page.getByRole('dialog')).toBeVisible();
  found.push(...(await axeProblems(page, 'export dialog')));
  await page.keyboard.press('Escape');

  // The Trash, with an item (Delete forever and Empty trash ask in main's own dialog, not in the page).
  await keyhold.backend.handlers.profileDelete({ ref: 'crm-bot/staging', confirmTokenLoss: false });
  await nav(page, 'Trash');
  await expect(page.getByRole('table', { name: 'Deleted items' })).toBeVisible();
  found.push(...(await axeProblems(page, 'trash with an item')));

  // Settings with what a terminal made (another process): a trusted file with its references shown,
  // two sessions, and the questions before revoking or ending them.
  await inspectVault(keyhold.vaultDir, (v) => {
    v.trustedFiles.trust({ path: '/home/ann/code/app/keyhold.toml', refs: { GITHUB_TOKEN: 'keyhold://profile/gh/dev/GITHUB_TOKEN' } });
    createSession(v, 30);
    createSession(v, 60, sessionSnapshot(v, ['crm-bot/prod'], ['claude-code']));
  });
  await nav(page, 'Settings');
  const trusted = page.getByRole('list', { name: 'Trusted files' });
  await trusted.getByText('What it may hand out').click();
  await expect(trusted.getByText('keyhold://profile/gh/dev/GITHUB_TOKEN')).toBeVisible();
  found.push(...(await axeProblems(page, 'settings with a trusted file')));
  await trusted.getByRole('button', { name: 'Stop trusting /home/ann/code/app/keyhold.toml' }).click();
  await expect(page.getByRole('dialog', { name: 'Stop trusting this file?' })).toBeVisible();
  found.push(...(await axeProblems(page, 'revoke trust dialog')));
  await page.keyboard.press('Escape');
  await expect(page.getByRole('table', { name: 'Open sessions' }).getByText('crm-bot/prod, byok claude-code')).toBeVisible();
  await page.getByRole('button', { name: 'End all sessions' }).click();
  await expect(page.getByRole('dialog', { name: 'End every session?' })).toBeVisible();
  found.push(...(await axeProblems(page, 'end sessions dialog')));
  await page.keyboard.press('Escape');

  await page.keyboard.press('ControlOrMeta+k');
  await expect(page.getByRole('dialog', { name: 'Command palette' })).toBeVisible();
  found.push(...(await axeProblems(page, 'command palette')));
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  found.push(...(await axeProblems(page, 'shortcuts help')));
  await page.keyboard.press('Escape');

  await page.keyboard.press('ControlOrMeta+l');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  found.push(...(await axeProblems(page, 'unlock')));

  expect(found).toEqual([]);
});

// The check itself must fail when it should: a nameless button for the full rule set (first theme)
// and text that only the dark theme makes unreadable, for the colour rules of the second.
plain('the accessibility check reports a violation in either theme', async ({ page }) => {
  await page.setContent(
    '<html lang="en"><head><title>canary</title><style>[data-theme=dark] p { color: #777; background: #808080 }</style></head>' +
      '<body><main><h1>Canary</h1><button></button><p>Readable only in light</p></main></body></html>',
  );
  const found = await axeProblems(page, 'canary');
  expect(found.filter((p) => p.startsWith('[canary, light] button-name'))).toHaveLength(1);
  expect(found.filter((p) => p.startsWith('[canary, dark] color-contrast'))).toHaveLength(1);
  expect(found).toHaveLength(2);
});
