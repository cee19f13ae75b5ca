import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookalike, randomChars } from '../helpers/lookalike';
import { axeProblems } from './a11y';
import { createVaultThroughUi, expect, nav, test } from './harness';

// Wrapping an agent tool's MCP config from the window, through the real contract and core: what
// the wrap cannot move (a URL with a password among a server's args) is named before the wrap and
// after it, in plain words, without its value, and the person lands on it.

test('the wrap names what it leaves in the file, before and after, without a value', async ({ keyhold }) => {
  const { page } = keyhold;
  const token = lookalike.github();
  const password = randomChars(24);
  const cursor = join(keyhold.vaultDir, '..', 'home', '.cursor', 'mcp.json');
  mkdirSync(join(cursor, '..'), { recursive: true });
  const config = {
    mcpServers: {
      gh: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: token } },
      pg: { command: 'uvx', args: ['mcp-server-postgres', `postgresql://app:${password}@db.example.com:5432/app`] },
    },
  };
  writeFileSync(cursor, JSON.stringify(config, null, 2));

  await keyhold.open();
  await createVaultThroughUi(page);
  await nav(page, 'Found on this computer');
  await page.getByRole('button', { name: 'Wrap MCP servers…' }).click();
  const before = page.getByRole('region', { name: '1 credential will stay in the file' });
  await expect(before.getByRole('listitem')).toHaveText(['Password in URL: line 21, mcpServers.pg.args[1]']);
  await expect(page.getByRole('button', { name: 'Wrap…' })).toHaveAccessibleDescription(/1 credential will stay in the file.*Password in URL/);
  const problems = await axeProblems(page, 'wrap preview with a credential left');

  await page.getByRole('button', { name: 'Wrap…' }).click();
  const after = page.getByRole('region', { name: `1 credential still in ${cursor}` });
  await expect(after.getByRole('listitem')).toHaveText(['Password in URL: line 21, mcpServers.pg.args[1]']);
  await expect(after.getByRole('heading')).toBeFocused();
  expect(keyhold.confirmations.asked).toHaveLength(1);
  expect(readFileSync(cursor, 'utf8')).toContain(password);
  expect(readFileSync(cursor, 'utf8')).not.toContain(token);
  problems.push(...(await axeProblems(page, 'wrap result with a credential left')));
  expect(problems).toEqual([]);
  const shown = await page.evaluate(() => document.body.innerText);
  expect(shown).not.toContain(password);
  expect(shown).not.toContain(token);

  await page.getByRole('button', { name: 'Done' }).click();
  await expect(after).toHaveCount(0);
});
