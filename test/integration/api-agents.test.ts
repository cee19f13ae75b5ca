import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookalike, randomChars } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER } from './api-harness';

const home = tempDir('keyhold-api-agents-home-');
afterAll(() => home.cleanup());

describe('"Found on this computer" through the router', () => {
  it('lists the credentials in the agent configs without values, and imports them once', async () => {
    const github = lookalike.github();
    const anthropic = lookalike.anthropic();
    mkdirSync(join(home.dir, '.cursor'));
    writeFileSync(join(home.dir, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { gh: { command: 'npx', env: { GITHUB_TOKEN: github } } } }, null, 2));
    writeFileSync(join(home.dir, '.zshrc'), `export ANTHROPIC_API_KEY=${anthropic}\n`);
    const h = apiHarness({ scanEnv: { HOME: home.dir } });
    try {
      expect(await h.call('agentScan')).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
      await h.ok('vaultCreate', { password: MASTER });
      const found = await h.ok('agentScan');
      expect(JSON.stringify(found)).not.toContain(github);
      expect(JSON.stringify(found)).not.toContain(anthropic);
      expect(found.findings.map((f) => [f.where, f.rule, f.inVault]).sort()).toEqual([
        ['ANTHROPIC_API_KEY', 'anthropic-api-key', 'no'],
        ['mcpServers.gh.env.GITHUB_TOKEN', 'github-pat', 'no'],
      ]);
      expect(await h.ok('agentImport')).toEqual({ imported: 2, held: 0, conflicts: 0, refused: 0, earlier: [] });
      expect(await h.ok('agentImport')).toEqual({ imported: 0, held: 2, conflicts: 0, refused: 0, earlier: [] });
      expect((await h.ok('agentScan')).findings.map((f) => f.inVault)).toEqual(['yes', 'yes']);
      expect((await h.ok('byokList')).map((b) => [b.kind, b.syncState])).toEqual([['anthropic', 'draft']]);

      // Wrapping from the window: only the agent tools' own configs, previewed with the secret concealed.
      const cursor = join(home.dir, '.cursor', 'mcp.json');
      const before = readFileSync(cursor, 'utf8');
      expect(await h.call('mcpWrapPreview', { file: join(home.dir, '.zshrc') })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      const anyRevision = '0'.repeat(64);
      expect(await h.call('mcpWrap', { file: '/etc/passwd', revision: anyRevision })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      expect(await h.call('mcpWrap', { file: cursor, revision: 'not-a-digest' })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      const shown = await h.ok('mcpWrapPreview', { file: cursor });
      expect(shown.servers).toEqual(['gh']);
      expect(shown.diff).toContain('<concealed by keyhold>');
      expect(shown.diff).not.toContain(github);
      expect(readFileSync(cursor, 'utf8')).toBe(before);

      // Cursor writes its config while the person reads the change: what they approved is not what
      // would be written any more, so nothing is written.
      const theirs = before.replace('"command": "npx"', '"command": "npx",\n      "disabled": false');
      writeFileSync(cursor, theirs);
      expect(await h.call('mcpWrap', { file: cursor, revision: shown.revision })).toMatchObject({
        ok: false,
        error: { code: 'Conflict', message: expect.stringMatching(/changed since the change to it was shown/) },
      });
      expect(readFileSync(cursor, 'utf8')).toBe(theirs);

      const preview = await h.ok('mcpWrapPreview', { file: cursor });
      expect(preview.revision).not.toBe(shown.revision);
      expect(await h.ok('mcpWrap', { file: cursor, revision: preview.revision })).toEqual({
        servers: ['gh'],
        backup: `${cursor}.keyhold-backup`,
        writtenTo: null,
        left: [],
      });
      expect(readFileSync(cursor, 'utf8')).not.toContain(github);
      expect(readFileSync(cursor, 'utf8')).toContain('"disabled": false');
      expect(readFileSync(`${cursor}.keyhold-backup`, 'utf8')).toBe(theirs);
      expect(await h.call('mcpWrap', { file: cursor, revision: preview.revision })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    } finally {
      await h.cleanup();
    }
  });

  it("a wrap names what it leaves in the file, before and after, without a value: a URL among args, a remote server's header", async () => {
    const own = tempDir('keyhold-api-agents-left-');
    const moved = lookalike.github();
    const password = randomChars(24);
    const header = lookalike.github();
    mkdirSync(join(own.dir, '.cursor'));
    const cursor = join(own.dir, '.cursor', 'mcp.json');
    const config = {
      mcpServers: {
        gh: { command: 'npx', env: { GITHUB_TOKEN: moved } },
        pg: { command: 'uvx', args: ['mcp-server-postgres', `postgresql://app:${password}@db.example.com:5432/app`] },
        linear: { url: 'https://mcp.linear.example.com/sse', headers: { Authorization: `Bearer ${header}` } },
      },
    };
    writeFileSync(cursor, JSON.stringify(config, null, 2));
    const h = apiHarness({ scanEnv: { HOME: own.dir } });
    try {
      await h.ok('vaultCreate', { password: MASTER });
      const shown = await h.ok('mcpWrapPreview', { file: cursor });
      expect(shown.servers).toEqual(['gh']);
      // Lines of the file once wrapped, where the person will look for them.
      expect(shown.left).toEqual([
        { line: 19, where: 'mcpServers.pg.args[1]', label: 'Password in URL' },
        { line: 25, where: 'mcpServers.linear.headers.Authorization', label: 'GitHub token' },
      ]);
      const done = await h.ok('mcpWrap', { file: cursor, revision: shown.revision });
      expect(done.left).toEqual(shown.left);
      // They are still in the file; across IPC only their kind and place went.
      expect(readFileSync(cursor, 'utf8')).toContain(password);
      for (const answer of [shown, done]) {
        for (const value of [moved, password, header]) expect(JSON.stringify(answer)).not.toContain(value);
      }
    } finally {
      await h.cleanup();
      own.cleanup();
    }
  });
});
