import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { cliHome } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// `keyhold mcp wrap` and `unwrap` of Continue's YAML configs, through the CLI, as cli-agents does
// for JSON: the secret goes to the vault, the wrapped server gets it from keyhold run, and unwrap
// gives back every byte.

let h: Awaited<ReturnType<typeof cliHome>>;
let home: string;
const env = () => h.env;
const KEYS = { github: lookalike.github(), db: lookalike.generic() };

const CONFIG = [
  '# my assistant',
  'name: Local Assistant',
  'version: 1.0.0',
  'schema: v1',
  'models:',
  '  - name: Claude',
  '    provider: anthropic',
  '    apiKey: ${{ secrets.ANTHROPIC_API_KEY }}',
  'mcpServers:',
  '  - name: github',
  '    command: npx',
  '    args:',
  '      - "-y"',
  '      - "@modelcontextprotocol/server-github"',
  '    env:',
  '      # from github.com/settings/tokens',
  `      GITHUB_PERSONAL_ACCESS_TOKEN: ${KEYS.github} # rotate in June`,
  '',
].join('\n');

beforeAll(async () => {
  h = await cliHome('keyhold-cli-wrap-yaml-');
  home = h.home;
});
afterAll(() => h.cleanup());

describe("keyhold mcp wrap / unwrap of Continue's YAML", () => {
  it('--dry-run shows the change with the secret concealed and changes nothing', async () => {
    const file = write(join(home, '.continue', 'config.yaml'), CONFIG);
    const r = await keyhold(['mcp', 'wrap', file, '--dry-run'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+    command: keyhold');
    expect(r.stdout).toContain('-      GITHUB_PERSONAL_ACCESS_TOKEN: <concealed by keyhold> # rotate in June');
    expect(r.stdout + r.stderr).not.toContain(KEYS.github);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('config.yaml: the secret moves to the vault, the wrapped command gets it from keyhold run, and unwrap restores every byte', async () => {
    const file = write(join(home, '.continue', 'config.yaml'), CONFIG);
    const r = await keyhold(['mcp', 'wrap', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Wrapped github: GITHUB_PERSONAL_ACCESS_TOKEN moved to profile github/mcp\n');
    const wrapped = readFileSync(file, 'utf8');
    expect(wrapped).not.toContain(KEYS.github);
    // The env block is left with comments only: kept for them, as an empty map.
    expect(wrapped).toContain('    env: {}\n      # from github.com/settings/tokens\n      # rotate in June\n');
    expect(readFileSync(`${file}.keyhold-backup`, 'utf8')).toBe(CONFIG);
    const server = (parseYaml(wrapped) as { mcpServers: { command: string; args: string[] }[] }).mcpServers[0]!;
    expect([server.command, ...server.args]).toEqual(['keyhold', 'run', '--profile', 'github/mcp', '--', 'npx', '-y', '@modelcontextprotocol/server-github']);
    const ran = await keyhold(
      [
        ...server.args.slice(0, server.args.indexOf('--') + 1),
        process.execPath,
        '-e',
        'process.stdout.write(String(process.env.GITHUB_PERSONAL_ACCESS_TOKEN === process.argv[1]))',
        KEYS.github,
      ],
      { env: env() },
    );
    expect(ran.stdout, ran.stderr).toBe('true');
    const scan = await keyhold(['scan', '--json'], { env: env() });
    expect((JSON.parse(scan.stdout) as { findings: unknown[] }).findings).toEqual([]);

    const back = await keyhold(['mcp', 'unwrap', file], { env: env() });
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
  });

  it("a workspace's .continue/mcpServers/*.yaml is wrapped the same way, by its server's name", async () => {
    const text = `name: DB\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: shop-db\n    command: uvx\n    args: [mcp-server-db]\n    env:\n      DB_PASSWORD: "${KEYS.db}"\n`;
    const file = write(join(h.dir, 'shop', '.continue', 'mcpServers', 'db.yaml'), text);
    const r = await keyhold(['mcp', 'wrap', file, '--server', 'shop-db'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      `name: DB\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: shop-db\n    command: keyhold\n    args: [run, --profile, shop-db/mcp, --, uvx, mcp-server-db]\n`,
    );
    expect((await keyhold(['mcp', 'unwrap', file], { env: env() })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a file that is not YAML is refused in one line, before the vault is opened, and left as it is', async () => {
    const text = `mcpServers:\n  - name: gh\n    env: { GITHUB_TOKEN: "${KEYS.github}"\n`;
    const file = write(join(h.dir, 'broken', 'config.yaml'), text);
    const r = await keyhold(['mcp', 'wrap', file], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^keyhold: The file is not valid YAML \(line \d+: [a-z ]+\)\. Nothing was changed\.\n$/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
