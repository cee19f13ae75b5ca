import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { cliHome } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// A JSON MCP config that lists its servers (`"mcpServers": [{ "name": "github", … }]`), through the
// CLI: `scan --import` stores each server's values in NAME/mcp (they went to 0/mcp), and `mcp wrap`
// refuses it, changing nothing, rather than saying it had nothing to move.

let h: Awaited<ReturnType<typeof cliHome>>;
const env = () => h.env;
const KEY = lookalike.github();
const CONFIG = [
  '{',
  '  // servers as a list',
  '  "mcpServers": [',
  `    { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": { "GITHUB_TOKEN": "${KEY}" }, "name": "github" }`,
  '  ]',
  '}',
  '',
].join('\n');

beforeAll(async () => {
  h = await cliHome('keyhold-cli-listed-');
});
afterAll(() => h.cleanup());

describe('a JSON config that lists its MCP servers', () => {
  it('scan --import puts the server’s value in github/mcp, which run injects', async () => {
    const file = write(join(h.dir, 'proj', 'mcp.json'), CONFIG);
    const r = await keyhold(['scan', '--no-well-known', file, '--import', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const found = (JSON.parse(r.stdout) as { findings: { where: string; server: string | null; import: { result: string; target: string } }[] }).findings;
    expect(found.map((f) => [f.where, f.server, f.import])).toEqual([
      ['mcpServers[0].env.GITHUB_TOKEN', 'github', { result: 'imported', target: 'profile github/mcp GITHUB_TOKEN' }],
    ]);
    const ran = await keyhold(
      ['run', '--profile', 'github/mcp', '--', process.execPath, '-e', 'process.stdout.write(String(process.env.GITHUB_TOKEN === process.argv[1]))', KEY],
      { env: env() },
    );
    expect(ran.stdout, ran.stderr).toBe('true');
  });

  it('mcp wrap refuses it, naming the server, and leaves the file as it was', async () => {
    const file = write(join(h.dir, 'wrap', 'mcp.json'), CONFIG);
    for (const args of [[], ['--dry-run'], ['--server', 'github']]) {
      const r = await keyhold(['mcp', 'wrap', file, ...args], { env: env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Server "github" is an entry of a list (mcpServers[0]), which keyhold mcp wrap rewrites in YAML only, not in JSON.');
      expect(r.stdout + r.stderr).not.toContain(KEY);
    }
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });
});
