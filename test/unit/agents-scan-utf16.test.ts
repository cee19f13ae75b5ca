import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath, importFindings, scan } from '../../src/core/agents';
import { useCleanups } from '../helpers/cleanup';
import { lookalike, randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// Windows PowerShell 5 writes UTF-16 with a byte order mark (`echo "KEY=…" > .env`, `Out-File`).
// scan listed such a file as "not UTF-8" and read none of it, so a key in it stayed where it was.

const cleanups = useCleanups();

function folder() {
  const t = tempDir('keyhold-utf16-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, write: (path: string, bytes: Buffer) => writeWithFolders(join(t.dir, path), bytes) };
}

const LE_MARK = Buffer.from([0xff, 0xfe]);
const BE_MARK = Buffer.from([0xfe, 0xff]);
const utf16le = (text: string) => Buffer.concat([LE_MARK, Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([BE_MARK, Buffer.from(text, 'utf16le').swap16()]);

describe('a file in UTF-16 with its byte order mark', () => {
  it('is read, little- and big-endian: each key on its own line, by its JSON path in a config', () => {
    const f = folder();
    const [github, anthropic] = [lookalike.github(), lookalike.anthropic()];
    f.write('app/.env', utf16le(`# Réglages\r\nPORT=3000\r\nGITHUB_TOKEN=${github}\r\n`));
    f.write('tool/mcp.json', utf16be(JSON.stringify({ mcpServers: { claude: { command: 'npx', env: { ANTHROPIC_API_KEY: anthropic } } } }, null, 2)));
    const result = scan({ paths: [f.dir], wellKnown: false, env: { HOME: f.dir }, platform: 'linux' });
    expect(result.skipped).toEqual([]);
    expect(result.filesRead).toBe(2);
    expect(result.findings.map((x) => [x.file.slice(f.dir.length), x.line, formatPath(x.path), x.value])).toEqual([
      ['/app/.env', 3, 'GITHUB_TOKEN', github],
      ['/tool/mcp.json', 6, 'mcpServers.claude.env.ANTHROPIC_API_KEY', anthropic],
    ]);
  });

  it('imports a value exactly as written, letters beyond ASCII and characters beyond the BMP included', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const f = folder();
    const password = `pässwörd-€-😀-${randomChars(16)}`;
    const file = f.write('crm/.env', utf16le(`DB_PASSWORD=${password}\r\n`));
    const found = scan({ paths: [file], wellKnown: false, env: { HOME: f.dir }, platform: 'linux' }).findings;
    expect(found.map((x) => x.value)).toEqual([password]);
    const report = importFindings(vault, found);
    expect(report.outcomes.map((o) => o.result)).toEqual(['imported']);
    const id = vault.profiles.list()[0]!.id;
    expect(vault.profiles.load(id).secrets.authData).toEqual({ DB_PASSWORD: password });
  });
});
