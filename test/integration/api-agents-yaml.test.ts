import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';
import { apiHarness, MASTER } from './api-harness';

// The window's "Found on this computer" with Continue's ~/.continue/config.yaml, a well-known
// place: its findings are listed by YAML path and server, and its servers can be wrapped from there.

const home = tempDir('keyhold-api-agents-yaml-home-');
afterAll(() => home.cleanup());

describe("Continue's config.yaml through the router", () => {
  it('is scanned and wrapped from the window; a workspace file is not, as no other file outside the tools’ own places', async () => {
    const github = lookalike.github();
    const config = write(
      join(home.dir, '.continue', 'config.yaml'),
      `name: Local\nversion: 1.0.0\nschema: v1\nmcpServers:\n  - name: gh\n    command: npx\n    env:\n      GITHUB_TOKEN: ${github} # mine\n`,
    );
    const workspace = write(join(home.dir, 'shop', '.continue', 'mcpServers', 'gh.yaml'), readFileSync(config, 'utf8'));
    const h = apiHarness({ scanEnv: { HOME: home.dir } });
    try {
      await h.ok('vaultCreate', { password: MASTER });
      const found = await h.ok('agentScan');
      expect(JSON.stringify(found)).not.toContain(github);
      expect(found.findings.map((f) => [f.file, f.where, f.server, f.rule])).toEqual([[config, 'mcpServers[0].env.GITHUB_TOKEN', 'gh', 'github-pat']]);

      expect(await h.call('mcpWrapPreview', { file: workspace })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      const shown = await h.ok('mcpWrapPreview', { file: config });
      expect(shown.servers).toEqual(['gh']);
      expect(shown.diff).toContain('-      GITHUB_TOKEN: <concealed by keyhold> # mine');
      expect(shown.diff).not.toContain(github);
      const done = await h.ok('mcpWrap', { file: config, revision: shown.revision });
      expect(done).toEqual({ servers: ['gh'], backup: `${config}.keyhold-backup`, writtenTo: null, left: [] });
      expect(readFileSync(config, 'utf8')).toContain('\n    command: keyhold\n    args:\n      - --vault\n');
      expect(readFileSync(config, 'utf8')).not.toContain(github);
      expect((await h.ok('agentScan')).findings).toEqual([]);
    } finally {
      await h.cleanup();
    }
  });
});
