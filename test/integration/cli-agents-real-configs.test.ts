import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike, randomChars } from '../helpers/lookalike';
import { PASSWORD, tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// `keyhold scan` and `keyhold mcp wrap` over configs as people have them (see also the unit tests
// agents-scan-real-configs and agents-wrap-real-configs, which hold the shapes in detail).

let t: ReturnType<typeof tempDir>;
let home: string;
const env = () => ({ KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, HOME: home });

beforeAll(async () => {
  t = tempDir('keyhold-cli-real-configs-');
  home = join(t.dir, 'home');
  mkdirSync(home);
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: env() })).code).toBe(0);
});
afterAll(() => t.cleanup());

describe('a config written by a Windows editor: byte order mark, CRLF, tabs', () => {
  it('is wrapped (the mark stays), and unwrap gives back every byte', async () => {
    const key = randomChars(40);
    const original = Buffer.from(
      `\uFEFF{\r\n\t// "workbench.colorTheme": "Monokai",\r\n\t"mcp": {\r\n\t\t"servers": {\r\n\t\t\t"linear": {\r\n\t\t\t\t"command": "npx",\r\n\t\t\t\t"env": { "LINEAR_API_KEY": "${key}" }\r\n\t\t\t}\r\n\t\t}\r\n\t},\r\n}`,
      'utf8',
    );
    const file = write(join(home, 'win', 'settings.json'), original);

    const found = await keyhold(['scan', '--no-well-known', file, '--json'], { env: env() });
    expect(found.code, found.stderr).toBe(1);
    expect(found.json<{ findings: { where: string }[] }>().findings.map((f) => f.where)).toEqual(['mcp.servers.linear.env.LINEAR_API_KEY']);

    const r = await keyhold(['mcp', 'wrap', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const wrapped = readFileSync(file);
    expect(wrapped.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(wrapped.toString('utf8')).not.toContain(key);
    expect(readFileSync(`${file}.keyhold-backup`)).toEqual(original);

    const back = await keyhold(['mcp', 'unwrap', file], { env: env() });
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(file)).toEqual(original);
  });
});

describe('what is not a config', () => {
  it.skipIf(process.platform === 'win32')('a device or a file not in UTF-8 is refused by mcp wrap, before the vault is opened', async () => {
    const r = await keyhold(['mcp', 'wrap', '/dev/zero'], { env: {} });
    expect([r.code, r.stderr]).toEqual([2, 'keyhold: /dev/zero is not a file (a folder, a pipe or a device). Nothing was changed.\n']);
    const latin1 = write(join(home, 'latin1', 'mcp.json'), Buffer.concat([Buffer.from('{ // caf'), Buffer.from([0xe9]), Buffer.from('\n}')]));
    expect((await keyhold(['mcp', 'wrap', latin1], { env: {} })).stderr).toMatch(/is not UTF-8 text.*Nothing was changed/);
  });
});

describe('Claude Desktop with its servers in containers and URLs', () => {
  it("moves docker's -e NAME=value into the vault, and names what is left in the file", async () => {
    const slack = lookalike.slack();
    const file = write(
      join(home, '.config', 'Claude', 'claude_desktop_config.json'),
      JSON.stringify(
        {
          mcpServers: {
            slack: { command: 'docker', args: ['run', '-i', '--rm', '-e', `SLACK_BOT_TOKEN=${slack}`, 'mcp/slack'] },
            postgres: { command: 'uvx', args: ['mcp-server-postgres', `postgresql://app:${randomChars(16)}@localhost:5432/app`] },
          },
        },
        null,
        2,
      ),
    );
    const r = await keyhold(['mcp', 'wrap', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Wrapped slack: SLACK_BOT_TOKEN moved to profile slack/mcp');
    expect(r.stderr).toMatch(/Still in .*claude_desktop_config\.json.*\n {2}line \d+ mcpServers\.postgres\.args\[1\]: Password in URL\n/);
    expect(readFileSync(file, 'utf8')).not.toContain(slack);
    expect(existsSync(`${file}.keyhold-backup`)).toBe(true);
    const ran = await keyhold(
      ['run', '--profile', 'slack/mcp', '--', process.execPath, '-e', 'process.stdout.write(String(process.env.SLACK_BOT_TOKEN === process.argv[1]))', slack],
      {
        env: env(),
      },
    );
    expect(ran.stdout, ran.stderr).toBe('true');
  });
});

// A prompt as Claude Code keeps it in its history (words, not random text that could look like a key).
const PROMPT = 'why does the parser test fail after the refactor, please fix it and update the readme '.repeat(5);

describe("Claude Code's ~/.claude.json, grown past a megabyte by its project history", () => {
  it('is scanned, and the import stores the value found', async () => {
    const token = lookalike.github();
    const projects = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`/home/me/p${i}`, { history: Array.from({ length: 100 }, () => ({ display: PROMPT })) }]),
    );
    write(join(home, '.claude.json'), JSON.stringify({ projects, mcpServers: { gh: { command: 'npx', env: { GITHUB_TOKEN: token } } } }, null, 2));
    const r = await keyhold(['scan', '--import', '--json'], { env: env() });
    const findings = r.json<{ findings: { file: string; where: string; import: { result: string; target: string } }[] }>().findings;
    expect(findings.filter((f) => f.file === join(home, '.claude.json'))).toMatchObject([
      { where: 'mcpServers.gh.env.GITHUB_TOKEN', import: { result: 'imported', target: 'profile gh/mcp GITHUB_TOKEN' } },
    ]);
  });
});
