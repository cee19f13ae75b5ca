import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { randomChars } from '../helpers/lookalike';
import { cliHome } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// The most common remote MCP setup in Claude Desktop: the mcp-remote bridge with the token in a
// `--header` argument. scan finds it whatever the token looks like; mcp wrap moves it to the vault
// and leaves `Authorization:${AUTH_HEADER}`, which mcp-remote fills from the environment keyhold run
// gives it; unwrap gives every byte back.

let h: Awaited<ReturnType<typeof cliHome>>;
const env = () => h.env;
const TOKEN = randomChars(40);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const CONFIG = [
  '{',
  '  "mcpServers": {',
  '    "linear": {',
  '      "command": "npx",',
  `      "args": ["-y", "mcp-remote", "https://mcp.linear.app/sse", "--header", "Authorization: Bearer ${TOKEN}"]`,
  '    },',
  '    "filesystem": {',
  '      "command": "npx",',
  '      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop", "/Users/me/Downloads"]',
  '    }',
  '  }',
  '}',
  '',
].join('\n');

const WRAPPED = [
  '{',
  '  "mcpServers": {',
  '    "linear": {',
  '      "command": "keyhold",',
  '      "args": [',
  '        "run",',
  '        "--profile",',
  '        "linear/mcp",',
  '        "--",',
  '        "npx",',
  '        "-y",',
  '        "mcp-remote",',
  '        "https://mcp.linear.app/sse",',
  '        "--header",',
  '        "Authorization:${AUTH_HEADER}"',
  '      ]',
  '    },',
  '    "filesystem": {',
  '      "command": "npx",',
  '      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop", "/Users/me/Downloads"]',
  '    }',
  '  }',
  '}',
  '',
].join('\n');

/**
 * Stands in for mcp-remote: takes the argument after `--header`, fills `${NAME}` in its value from
 * the environment, and says whether the header is the one the config had (by digest: no secret in argv).
 */
const HEADER_CHECK = [
  'const a = process.argv.slice(1);',
  "const h = a[a.indexOf('--header') + 1];",
  "const value = h.slice(h.indexOf(':') + 1).replace(/\\$\\{([^}]+)\\}/g, (_, n) => process.env[n] ?? '');",
  "const digest = require('node:crypto').createHash('sha256').update(value).digest('hex');",
  "process.stdout.write(String(h.startsWith('Authorization:') && digest === a[0]));",
].join('\n');

beforeAll(async () => {
  h = await cliHome('keyhold-cli-wrap-headers-');
});
afterAll(() => h.cleanup());

describe('an mcp-remote server in Claude Desktop with its token in --header', () => {
  it('scan finds it, by its path, showing only its last four characters', async () => {
    const file = write(join(h.dir, 'scan', 'claude_desktop_config.json'), CONFIG);
    const r = await keyhold(['scan', file, '--no-well-known', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const found = (JSON.parse(r.stdout) as { findings: { line: number; where: string; server: string; rule: string; masked: string }[] }).findings;
    expect(found.map((f) => [f.line, f.where, f.server, f.rule, f.masked])).toEqual([
      [5, 'mcpServers.linear.args[4]', 'linear', 'authorization-header', `…${TOKEN.slice(-4)}`],
    ]);
    const table = await keyhold(['scan', file, '--no-well-known'], { env: env() });
    expect(table.stdout).toContain('mcpServers.linear.args[4]');
    expect(table.stdout + table.stderr).not.toContain(TOKEN);
  });

  it('wrap moves the header to linear/mcp as AUTH_HEADER, mcp-remote gets it back from keyhold run, and unwrap restores every byte', async () => {
    const file = write(join(h.dir, 'wrap', 'claude_desktop_config.json'), CONFIG);
    const preview = await keyhold(['mcp', 'wrap', file, '--dry-run'], { env: env() });
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain('-      "args": ["-y", "mcp-remote", "https://mcp.linear.app/sse", "--header", "Authorization: <concealed by keyhold>"]');
    expect(preview.stdout + preview.stderr).not.toContain(TOKEN);

    const r = await keyhold(['mcp', 'wrap', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Wrapped linear: AUTH_HEADER moved to profile linear/mcp\n');
    expect(r.stderr).not.toMatch(/Still in/);
    expect(readFileSync(file, 'utf8')).toBe(WRAPPED);
    expect(readFileSync(`${file}.keyhold-backup`, 'utf8')).toBe(CONFIG);

    const shown = await keyhold(['profile', 'show', 'linear/mcp', '--reveal', '--json'], { env: env() });
    expect((JSON.parse(shown.stdout) as { authData: Record<string, string> }).authData).toEqual({ AUTH_HEADER: `Bearer ${TOKEN}` });

    // What Claude Desktop starts, with the program in place of npx: the arguments as the file has them.
    const args = (JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: { linear: { args: string[] } } }).mcpServers.linear.args;
    const upTo = args.indexOf('--') + 1;
    const ran = await keyhold([...args.slice(0, upTo), process.execPath, '-e', HEADER_CHECK, sha256(`Bearer ${TOKEN}`), ...args.slice(upTo + 1)], {
      env: env(),
    });
    expect(ran.stdout, ran.stderr).toBe('true');
    const plain = await keyhold(
      ['run', '--profile', 'linear/mcp', '--', process.execPath, '-e', `console.log(process.env.AUTH_HEADER === 'Bearer ' + process.argv[1])`, TOKEN],
      { env: env() },
    );
    expect(plain.stdout, plain.stderr).toBe('true\n');

    const scan = await keyhold(['scan', file, '--no-well-known', '--json'], { env: env() });
    expect((JSON.parse(scan.stdout) as { findings: unknown[] }).findings).toEqual([]);

    const back = await keyhold(['mcp', 'unwrap', file], { env: env() });
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(file)).toEqual(Buffer.from(CONFIG, 'utf8'));
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
  });

  it('a header on a command line that is not mcp-remote stays, and wrap names it as left', async () => {
    const text = JSON.stringify(
      { mcpServers: { bridge: { command: 'uvx', args: ['mcp-proxy', '--header', `Authorization: Bearer ${TOKEN}`, 'https://mcp.example.com/sse'] } } },
      null,
      2,
    );
    const file = write(join(h.dir, 'left', 'claude_desktop_config.json'), text);
    const r = await keyhold(['mcp', 'wrap', file], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `No server in ${file} has secret env values to move.\n` +
        `Still in ${file}, where a wrap cannot move them (a command's arguments, a comment): move these by hand.\n` +
        '  line 8 mcpServers.bridge.args[2]: Authorization header\n',
    );
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(existsSync(`${file}.keyhold-backup`)).toBe(false);
  });
});
