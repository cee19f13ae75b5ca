import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

export type Theme = 'light' | 'dark';

/** WCAG 2.2 A and AA (target-size included) plus best practice; what the window must pass. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export async function setTheme(page: Page, theme: Theme): Promise<void> {
  await page.evaluate((t) => {
    document.documentElement.dataset.theme = t;
  }, theme);
}

/** What a theme can change: colours only, so the second theme is checked for contrast alone. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/**
 * Runs axe on what is on screen now, in each theme, and returns the critical and serious
 * violations as readable lines (empty when there are none). The first theme gets every rule; a
 * theme only swaps colours (test/e2e/theme.spec.ts), so the others get the colour rules, which
 * halves the spec's time without checking less.
 */
export async function axeProblems(page: Page, where: string, themes: Theme[] = ['light', 'dark']): Promise<string[]> {
  if (page.frames().length !== 1) throw new Error(`axeProblems checks one frame; ${where} has ${page.frames().length}.`);
  const problems: string[] = [];
  const before = await page.evaluate(() => document.documentElement.dataset.theme ?? 'system');
  for (const [i, theme] of themes.entries()) {
    await setTheme(page, theme);
    // Legacy mode runs axe.run in the page itself. The default mode runs each frame separately and
    // then merges the results in a new blank page, which cost three times as long (1.4 min → 33 s
    // for the spec). The window has no frames, so nothing goes unchecked. Details are gathered for
    // violations only: passes and inapplicable rules are not read.
    const axe = new AxeBuilder({ page })
      .withTags(TAGS)
      .options({ resultTypes: ['violations'] })
      .setLegacyMode();
    const result = await (i === 0 ? axe : axe.withRules(COLOUR_RULES)).analyze();
    for (const v of result.violations) {
      if (v.impact !== 'critical' && v.impact !== 'serious') continue;
      const targets = v.nodes
        .slice(0, 4)
        .map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.split('\n').slice(1, 2).join('').trim()})` : ''}`);
      problems.push(`[${where}, ${theme}] ${v.id} (${v.impact}): ${v.help} → ${targets.join(' | ')}`);
    }
  }
  await setTheme(page, before as Theme);
  return problems;
}
