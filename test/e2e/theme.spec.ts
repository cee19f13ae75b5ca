import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

// The built stylesheet writes each colour once as light-dark(); these check that data-theme and
// the system preference pick the side they should, for the page and for a tone (notes, badges).
const assets = resolve(dirname(fileURLToPath(import.meta.url)), '../../out/renderer/assets');

const LIGHT = { page: 'rgb(246, 247, 249)', note: 'rgb(253, 231, 233)', noteText: 'rgb(180, 35, 44)', badge: 'rgb(17, 99, 41)' };
const DARK = { page: 'rgb(21, 24, 29)', note: 'rgb(61, 28, 31)', noteText: 'rgb(255, 123, 114)', badge: 'rgb(74, 194, 107)' };

const cases = [
  { system: 'light', theme: 'light', want: LIGHT },
  { system: 'light', theme: 'dark', want: DARK },
  { system: 'light', theme: 'system', want: LIGHT },
  { system: 'light', theme: null, want: LIGHT },
  { system: 'dark', theme: 'light', want: LIGHT },
  { system: 'dark', theme: 'dark', want: DARK },
  { system: 'dark', theme: 'system', want: DARK },
  { system: 'dark', theme: null, want: DARK },
] as const;

test('the theme follows data-theme, and the system preference when it is "system" or unset', async ({ page }) => {
  const css = readdirSync(assets)
    .filter((f) => f.endsWith('.css'))
    .map((f) => readFileSync(resolve(assets, f), 'utf8'))
    .join('\n');
  await page.setContent(`<html><head><style>${css}</style></head><body><p class="error-note">x</p><span class="badge badge-synced">y</span></body></html>`);
  for (const { system, theme, want } of cases) {
    await page.emulateMedia({ colorScheme: system });
    const got = await page.evaluate((t) => {
      if (t) document.documentElement.dataset.theme = t;
      else delete document.documentElement.dataset.theme;
      const style = (selector: string) => getComputedStyle(document.querySelector(selector) as Element);
      return {
        page: style('body').backgroundColor,
        note: style('.error-note').backgroundColor,
        noteText: style('.error-note').color,
        badge: style('.badge').color,
      };
    }, theme);
    expect(got, `system ${system}, data-theme ${theme ?? 'unset'}`).toEqual(want);
  }
});
