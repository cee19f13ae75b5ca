import { connectThroughUi, createVaultThroughUi, expect, KURA_TEST_API_KEY, nav as navPage, seedSyncedProfile, test } from './harness';
import type { Keyhold, Remotes } from './harness';

// The window's promises from issue 15, one test each: layout, masking, guarded edits,
// confirmations, toasts, honest badges, fixing actions, plain words, sizes and focus.

const nav = (k: Keyhold, name: string) => navPage(k.page, name);
const withProfile = (keyhold: Keyhold, remotes: Remotes) => seedSyncedProfile(keyhold, remotes, 'hunter2-secret');
const PASTED_KEY = 'sk-ant-api03-' + 'p'.repeat(60);

async function start(keyhold: Keyhold): Promise<void> {
  await keyhold.open();
  await createVaultThroughUi(keyhold.page);
}

test('the credentials grid keeps key and value side by side at 1280 and 1024 px', async ({ keyhold }) => {
  const { page } = keyhold;
  await start(keyhold);
  for (const width of [1280, 1024]) {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 700 });
    await page.keyboard.press('ControlOrMeta+n');
    const form = page.getByRole('form', { name: 'New profile' });
    const legend = await form.getByText('Credentials', { exact: true }).boundingBox();
    const key = await form.getByLabel('Key 1').boundingBox();
    const value = await form.getByLabel('Value 1', { exact: true }).boundingBox();
    const box = await form.boundingBox();
    expect(legend && key && value && box).toBeTruthy();
    if (!legend || !key || !value || !box) return;
    expect(Math.abs(key.y - value.y)).toBeLessThan(2);
    expect(key.y).toBeGreaterThan(legend.y + legend.height - 1);
    expect(key.x + key.width).toBeLessThanOrEqual(value.x);
    expect(value.x + value.width).toBeLessThanOrEqual(box.x + box.width);
  }
});

test('saved values stay out of the form; Reveal shows one and is audited', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await start(keyhold);
  await withProfile(keyhold, remotes);
  await nav(keyhold, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  await page.getByRole('region', { name: 'Profile crm-bot/prod' }).getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit crm-bot/prod' });
  const value = form.getByLabel('Value 2', { exact: true });
  await expect(value).toHaveValue('');
  await expect(value).toHaveAttribute('placeholder', /saved/);
  await expect(form.getByRole('button', { name: 'Show value 2' })).toHaveCount(0);
  await expect(page.getByText('hunter2-secret')).toHaveCount(0);
  await form.getByRole('button', { name: 'Reveal saved value 2' }).click();
  await expect(form.getByLabel('Saved value of PASSWORD')).toHaveText('hunter2-secret');
  await expect(value).toHaveValue('');
  const reveals = await keyhold.backend.handlers.auditList({ limit: 50, event: 'secret_revealed' });
  expect(reveals.map((e) => e.detail.key)).toContain('PASSWORD');
});

test('unsaved edits are kept unless the person chooses to discard them (navigation and lock), with a warning before an idle lock', async ({ keyhold }) => {
  const { page } = keyhold;
  await start(keyhold);
  await page.keyboard.press('ControlOrMeta+n');
  const form = page.getByRole('form', { name: 'New profile' });
  await form.getByLabel('Agent id').fill('crm-bot');
  await nav(keyhold, 'Sync');
  const ask = page.getByRole('dialog', { name: 'Discard unsaved changes?' });
  await expect(ask).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Keep editing' })).toBeFocused();
  await ask.getByRole('button', { name: 'Keep editing' }).click();
  await expect(form.getByLabel('Agent id')).toHaveValue('crm-bot');

  await page.keyboard.press('ControlOrMeta+l');
  await expect(ask).toBeVisible();
  await ask.getByRole('button', { name: 'Keep editing' }).click();
  await expect(form.getByLabel('Agent id')).toHaveValue('crm-bot');
  expect((await keyhold.backend.handlers.vaultStatus(undefined)).unlocked).toBe(true);

  // An idle lock cannot ask; a minute before it, main warns, and the person's next key press
  // (which keeps Keyhold unlocked) takes the alert away.
  keyhold.backend.lockSoon(60);
  const warning = page.getByRole('alert').filter({ hasText: 'Keyhold locks in 60 seconds without activity' });
  await expect(warning).toBeVisible();
  await form.getByLabel('Agent id').press('End');
  await expect(warning).toHaveCount(0);
  await expect(form.getByLabel('Agent id')).toHaveValue('crm-bot');

  await page.getByRole('button', { name: 'Lock' }).click();
  await ask.getByRole('button', { name: 'Discard changes' }).click();
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();

  // Closing the window asks too: the page cancels its unload while a form is dirty.
  await page.getByLabel('Master password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.keyboard.press('ControlOrMeta+n');
  await page.getByRole('form', { name: 'New profile' }).getByLabel('Agent id').fill('x');
  const cancelled = await page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
  expect(cancelled).toBe(true);
});

test("sleep or a screen lock keeps a form's unsaved edits, sealed, and the unlock puts them back", async ({ keyhold }) => {
  const { page } = keyhold;
  await start(keyhold);
  await page.keyboard.press('ControlOrMeta+n');
  const form = page.getByRole('form', { name: 'New profile' });
  await form.getByLabel('Agent id').fill('crm-bot');
  await form.getByLabel('Profile name').fill('prod');
  await form.getByLabel('Value 1', { exact: true }).fill('half-typed-secret');
  // The form hands its state to main a moment after typing pauses.
  await page.waitForTimeout(500);

  // The lid closes: main locks at once, without asking.
  await keyhold.backend.lock('suspend');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  expect(await page.content()).not.toContain('half-typed-secret');

  await page.getByLabel('Master password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  const back = page.getByRole('form', { name: 'New profile' });
  await expect(back.getByLabel('Value 1', { exact: true })).toHaveValue('half-typed-secret');
  await expect(back.getByLabel('Agent id')).toHaveValue('crm-bot');
  await expect(page.getByText('Your unsaved edits are back')).toBeVisible();

  // Given back once: cancelled now, they do not come back after the next lock.
  await back.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog', { name: 'Discard unsaved changes?' }).getByRole('button', { name: 'Discard changes' }).click();
  await keyhold.backend.lock('lock-screen');
  await page.getByLabel('Master password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  // An empty vault may open on the guide after an unlock; the profiles show no form either way.
  await nav(keyhold, 'Profiles');
  await expect(page.getByText('No profiles yet')).toBeVisible();
  await expect(page.getByRole('form', { name: 'New profile' })).toHaveCount(0);
});

test('a BYOK key pasted into its dialog survives a screen lock, and the dialog asks before Escape throws it away', async ({ keyhold }) => {
  const { page } = keyhold;
  await start(keyhold);
  await nav(keyhold, 'BYOK keys');
  await page.getByRole('button', { name: '+ Add key' }).click();
  const form = page.getByRole('form', { name: 'New BYOK key' });
  await form.getByLabel('Agent kind').fill('claude-code');
  await form.getByLabel('API key').fill(PASTED_KEY);
  await page.keyboard.press('Escape');
  const ask = page.getByRole('dialog', { name: 'Discard unsaved changes?' });
  await ask.getByRole('button', { name: 'Keep editing' }).click();
  await expect(form.getByLabel('API key')).toHaveValue(PASTED_KEY);
  await page.waitForTimeout(500);

  await keyhold.backend.lock('lock-screen');
  await expect(page.getByRole('heading', { name: 'Unlock Keyhold' })).toBeVisible();
  expect(await page.content()).not.toContain(PASTED_KEY);
  await page.getByLabel('Master password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  const back = page.getByRole('form', { name: 'New BYOK key' });
  await expect(back.getByLabel('API key')).toHaveValue(PASTED_KEY);
  await expect(back.getByLabel('Agent kind')).toHaveValue('claude-code');
  await expect(page.getByText('Your unsaved edits are back')).toBeVisible();
});

test('removing a connection is asked once, in main’s dialog, and its Cancel shows no error; deleting a profile asks first and puts the focus on the list', async ({
  keyhold,
  remotes,
}) => {
  const { page } = keyhold;
  await start(keyhold);
  await withProfile(keyhold, remotes);
  await nav(keyhold, 'Connections');
  const kura = page.getByRole('region', { name: 'Kura' });
  const remove = kura.getByRole('button', { name: 'Remove' });
  keyhold.confirmations.asked.length = 0;
  keyhold.confirmations.answer = false;
  await remove.click();
  // One click leads to main's question, with no dialog of the window's own before it.
  await expect.poll(() => keyhold.confirmations.asked.length).toBe(1);
  await expect(remove).toBeEnabled();
  expect(keyhold.confirmations.asked[0]?.message).toContain('Remove the Kura connection to http://127.0.0.1:');
  expect(keyhold.confirmations.asked[0]?.detail).toContain('nothing is removed from Kura');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Notifications' })).not.toContainText('not removed');
  expect(await keyhold.backend.handlers.remotesList(undefined)).toHaveLength(1);

  keyhold.confirmations.answer = true;
  await remove.click();
  await expect(kura.getByText('Not set up')).toBeVisible();
  expect(keyhold.confirmations.asked).toHaveLength(2);
  expect(await keyhold.backend.handlers.remotesList(undefined)).toHaveLength(0);

  await nav(keyhold, 'Profiles');
  await page.getByRole('option', { name: /prod/ }).click();
  await page.getByRole('region', { name: 'Profile crm-bot/prod' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete profile' }).click();
  await expect(page.getByText('No profiles yet')).toBeVisible();
  await expect(page.getByRole('listbox', { name: 'Profile list' })).toBeFocused();
});

test('toasts: one region, repeats merged, errors stay, never over a dialog', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await start(keyhold);
  await withProfile(keyhold, remotes);
  const region = page.getByRole('region', { name: 'Notifications' });
  await expect(region).toHaveAttribute('aria-live', 'polite');
  await nav(keyhold, 'Sync');
  const syncNow = page.getByRole('main').getByRole('button', { name: 'Sync now' });
  await syncNow.click();
  await expect(region.getByText('Everything is in sync.')).toBeVisible();
  await syncNow.click();
  await expect(region.getByText('(×2)')).toBeVisible();
  await expect(region.getByRole('status')).toHaveCount(1);

  // An error toast stays, and a dialog opened meanwhile ends above the toasts.
  await remotes.kura.close();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Lock' }).focus();
  await keyhold.backend.handlers.remoteSet({ kind: 'kura', url: 'http://127.0.0.1:9', credential: KURA_TEST_API_KEY });
  await nav(keyhold, 'Connections');
  await page.getByRole('region', { name: 'Kura' }).getByRole('button', { name: 'Test connection' }).click();
  await page.keyboard.press('ControlOrMeta+k');
  const dialog = page.getByRole('dialog', { name: 'Command palette' });
  await expect(dialog).toBeVisible();
  const d = await dialog.boundingBox();
  const t = await region.boundingBox();
  expect(d && t).toBeTruthy();
  if (d && t && t.height > 0) expect(d.y + d.height).toBeLessThanOrEqual(t.y + 1);
});

test('badges say what was checked and when; a rejected BYOK key offers to edit or check it, not Retry', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await start(keyhold);
  await expect(page.getByRole('contentinfo', { name: 'Sync status' }).getByText('Not set up: no connections')).toBeVisible();
  await nav(keyhold, 'Health');
  await expect(page.getByText('Not set up', { exact: true })).toBeVisible();
  await expect(page.getByText('All good')).toHaveCount(0);

  await connectThroughUi(page, remotes);
  await keyhold.backend.handlers.remoteSet({ kind: 'kura', url: remotes.kura.url, credential: KURA_TEST_API_KEY });
  await nav(keyhold, 'Sync');
  await nav(keyhold, 'Connections');
  await expect(page.getByRole('region', { name: 'Kura' }).getByText(/^(Verified .*|Saved, not verified)$/)).toBeVisible();

  const revoked = `sk-ant-api03-${'r'.repeat(30)}DEAD`;
  remotes.backside.state.denyKeys.add(revoked);
  await keyhold.backend.handlers.byokSet({ kind: 'claude-code', provider: 'anthropic', apiKey: revoked, draft: false });
  await keyhold.backend.handlers.syncNow(undefined);
  await nav(keyhold, 'BYOK keys');
  const card = page.getByRole('listitem', { name: 'claude-code key' });
  await expect(card.getByText('Failed')).toBeVisible();
  await expect(card.getByRole('button', { name: 'Edit key' })).toBeVisible();
  await expect(card.getByRole('button', { name: 'Check key' })).toBeVisible();
  await expect(card.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await expect(card).not.toContainText(/HTTP \d{3}/);
  await nav(keyhold, 'Sync');
  const failed = page.getByRole('list', { name: 'Failed items' });
  await expect(failed.getByRole('button', { name: 'Edit key' })).toBeVisible();
  await expect(failed.getByRole('button', { name: 'Retry' })).toHaveCount(0);
});

test('plain words: one profile, names in Activity, no command lines', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await start(keyhold);
  await withProfile(keyhold, remotes);
  await nav(keyhold, 'Profiles');
  await expect(page.getByText('1 profile', { exact: true })).toBeVisible();
  await page.getByRole('option', { name: /prod/ }).click();
  await page.getByRole('region', { name: 'Profile crm-bot/prod' }).getByRole('button', { name: 'Reveal PASSWORD' }).click();
  await nav(keyhold, 'Activity');
  const table = page.getByRole('table', { name: 'Activity' });
  await expect(table.getByText(/crm-bot\/prod/).first()).toBeVisible();
  await expect(table).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  for (const section of ['Profiles', 'Sync', 'Health', 'Connections', 'Agents']) {
    await nav(keyhold, section);
    await expect(page.locator('body')).not.toContainText(/keyhold [a-z]+ [a-z]+|--[a-z]+-[a-z]+|HTTP \d{3}/);
  }
});

test('the export dialog fits an 800 px screen with its buttons in reach', async ({ keyhold, remotes }) => {
  const { page } = keyhold;
  await start(keyhold);
  await withProfile(keyhold, remotes);
  await nav(keyhold, 'Sharing');
  await page
    .getByRole('button', { name: /^Export/ })
    .first()
    .click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('A passphrase').check();
  const box = await dialog.boundingBox();
  expect(box).toBeTruthy();
  if (box) expect(box.y + box.height).toBeLessThanOrEqual(800);
  await expect(dialog.getByRole('button', { name: /^Export/ })).toBeInViewport();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeInViewport();
});

test('a weak master password shows its strength and needs an explicit yes', async ({ keyhold, vaultDir }) => {
  const { page } = keyhold;
  await keyhold.open();
  await page.getByLabel('Master password', { exact: true }).fill('password123');
  await page.getByLabel('Repeat the master password').fill('password123');
  await expect(page.getByLabel('Password strength')).toBeVisible();
  await expect(page.locator('.strength-label')).toHaveText(/weak/i);
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'This password is' })).toBeVisible();
  await expect(page.getByLabel('Use this weak password anyway')).toBeFocused();
  expect((await keyhold.backend.handlers.vaultStatus(undefined)).exists).toBe(false);
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('navigation', { name: 'Sections' })).toBeVisible();
  expect((await keyhold.backend.handlers.vaultStatus(undefined)).dir).toContain(vaultDir);
});

test('the page has no WebRTC: the one way out its content security policy does not govern', async ({ keyhold }) => {
  await start(keyhold);
  const kinds = await keyhold.page.evaluate(() =>
    ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel'].map((name) => typeof (globalThis as Record<string, unknown>)[name]),
  );
  expect(kinds).toEqual(['undefined', 'undefined', 'undefined']);
});
