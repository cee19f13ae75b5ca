import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER } from './api-harness';

// Wrapping from the window reads the config as the CLI does: as bytes that must come back.

const home = tempDir('keyhold-api-encodings-home-');
afterAll(() => home.cleanup());

describe('a config wrapped from the window', () => {
  it('keeps a byte order mark, and one that is not UTF-8 is refused before anything is stored or written', async () => {
    const cursor = join(home.dir, '.cursor', 'mcp.json');
    mkdirSync(join(home.dir, '.cursor'));
    const h = apiHarness({ scanEnv: { HOME: home.dir } });
    try {
      await h.ok('vaultCreate', { password: MASTER });

      // Saved as Latin-1 by an old editor: "café" in a comment is one byte 0xE9.
      const latin1 = Buffer.concat([
        Buffer.from('{\n  // caf'),
        Buffer.from([0xe9]),
        Buffer.from(`\n  "mcpServers": { "gh": { "command": "npx", "env": { "GITHUB_TOKEN": "${lookalike.github()}" } } }\n}\n`),
      ]);
      writeFileSync(cursor, latin1);
      expect(await h.call('mcpWrapPreview', { file: cursor })).toMatchObject({
        ok: false,
        error: { code: 'BadInput', message: expect.stringMatching(/not UTF-8/) },
      });
      expect(await h.call('mcpWrap', { file: cursor, revision: '0'.repeat(64) })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
      expect(readFileSync(cursor)).toEqual(latin1);
      expect(existsSync(`${cursor}.keyhold-backup`)).toBe(false);
      expect(await h.ok('profilesList', {})).toEqual([]);

      const token = lookalike.github();
      const withBom = Buffer.from(`\uFEFF{\r\n  "mcpServers": { "gh": { "command": "npx", "env": { "GITHUB_TOKEN": "${token}" } } }\r\n}\r\n`);
      writeFileSync(cursor, withBom);
      const preview = await h.ok('mcpWrapPreview', { file: cursor });
      expect(preview.servers).toEqual(['gh']);
      await h.ok('mcpWrap', { file: cursor, revision: preview.revision });
      const wrapped = readFileSync(cursor);
      expect(wrapped.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(wrapped.toString('utf8')).not.toContain(token);
      expect(readFileSync(`${cursor}.keyhold-backup`)).toEqual(withBom);
    } finally {
      await h.cleanup();
    }
  });
});
