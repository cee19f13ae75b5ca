import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from '@decimalturn/toml-patch';
import { describe, expect, it } from 'vitest';
import { planWrap, wrapDiff, type ConfigFormat, type WrapOptions } from '../../src/core/agents';
import { KeyholdError } from '../../src/shared/errors';
import { lookalike } from '../helpers/lookalike';

const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const wrapped = (server: string, command: string, args: string[]) => ['run', '--profile', `${server}/mcp`, '--', command, ...args];

interface Shape {
  tool: string;
  format: ConfigFormat;
  text: string;
  secrets: string[];
  /** Text the wrap must leave exactly as it is. */
  untouched: string[];
  expected: (data: Record<string, unknown>) => void;
}

function shapes(): Shape[] {
  const gh = lookalike.github();
  const slack = lookalike.slack();
  const stripe = lookalike.stripe();
  const openai = lookalike.openai();
  const aws = lookalike.aws();
  const claudeFs = `    "filesystem": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]\n    }`;
  return [
    {
      tool: 'Claude Desktop (claude_desktop_config.json)',
      format: 'json',
      secrets: [gh],
      text: `{\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-github"],\n      "env": {\n        "GITHUB_PERSONAL_ACCESS_TOKEN": "${gh}"\n      }\n    },\n${claudeFs}\n  },\n  "globalShortcut": "Ctrl+Space"\n}\n`,
      untouched: [claudeFs, '  "globalShortcut": "Ctrl+Space"\n}\n'],
      expected: (d) => {
        const servers = d.mcpServers as Record<string, Record<string, unknown>>;
        expect(servers.github).toEqual({ command: 'keyhold', args: wrapped('github', 'npx', ['-y', '@modelcontextprotocol/server-github']) });
        expect(servers.filesystem!.command).toBe('npx');
      },
    },
    {
      tool: 'Claude Code (.mcp.json)',
      format: 'json',
      secrets: [slack],
      text: `{\n  "mcpServers": {\n    "slack": {\n      "type": "stdio",\n      "command": "npx",\n      "args": ["-y", "@modelcontextprotocol/server-slack"],\n      "env": {\n        "SLACK_BOT_TOKEN": "${slack}",\n        "SLACK_TEAM_ID": "T01234567"\n      }\n    }\n  }\n}\n`,
      untouched: ['      "type": "stdio",\n', '        "SLACK_TEAM_ID": "T01234567"\n'],
      expected: (d) => {
        const slackEntry = (d.mcpServers as Record<string, Record<string, unknown>>).slack;
        expect(slackEntry).toEqual({
          type: 'stdio',
          command: 'keyhold',
          args: wrapped('slack', 'npx', ['-y', '@modelcontextprotocol/server-slack']),
          env: { SLACK_TEAM_ID: 'T01234567' },
        });
      },
    },
    {
      tool: 'Cursor (.cursor/mcp.json, four spaces)',
      format: 'json',
      secrets: [stripe],
      text: `{\n    "mcpServers": {\n        "stripe": {\n            "command": "npx",\n            "args": ["-y", "@stripe/mcp", "--tools=all"],\n            "env": { "STRIPE_SECRET_KEY": "${stripe}" }\n        },\n        "docs": { "url": "https://example.test/mcp" }\n    }\n}\n`,
      untouched: ['        "docs": { "url": "https://example.test/mcp" }\n    }\n}\n'],
      expected: (d) => {
        expect((d.mcpServers as Record<string, unknown>).stripe).toEqual({
          command: 'keyhold',
          args: wrapped('stripe', 'npx', ['-y', '@stripe/mcp', '--tools=all']),
        });
      },
    },
    {
      tool: 'VS Code (.vscode/mcp.json, "servers", comments, inputs)',
      format: 'json',
      secrets: [openai],
      text: `// Workspace MCP servers\n{\n\t"inputs": [\n\t\t{ "type": "promptString", "id": "github_token", "password": true }\n\t],\n\t"servers": {\n\t\t// GitHub reads its token from an input: nothing to move\n\t\t"github": {\n\t\t\t"type": "stdio",\n\t\t\t"command": "docker",\n\t\t\t"args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],\n\t\t\t"env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "\${input:github_token}" }\n\t\t},\n\t\t"openai": {\n\t\t\t"type": "stdio",\n\t\t\t"command": "uvx",\n\t\t\t"args": ["openai-mcp"],\n\t\t\t"env": { "OPENAI_API_KEY": "${openai}" }\n\t\t}\n\t}\n}\n`,
      untouched: [
        '// Workspace MCP servers\n',
        '\t\t// GitHub reads its token from an input: nothing to move\n',
        '"env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${input:github_token}" }',
      ],
      expected: (d) => {
        const servers = d.servers as Record<string, Record<string, unknown>>;
        expect(servers.openai).toEqual({ type: 'stdio', command: 'keyhold', args: wrapped('openai', 'uvx', ['openai-mcp']) });
        expect(servers.github!.command).toBe('docker');
      },
    },
    {
      tool: 'Codex (~/.codex/config.toml, comments, env table and inline env)',
      format: 'toml',
      secrets: [gh, aws],
      text: `# Codex settings\nmodel = "o3"  # the default model\napproval_policy = "on-request"\n\n# GitHub, through its official server\n[mcp_servers.github]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-github"]\n\n[mcp_servers.github.env]\n# my token\nGITHUB_PERSONAL_ACCESS_TOKEN = "${gh}"\n\n[mcp_servers.aws]\ncommand = "uvx"\nargs = ["awslabs.core-mcp-server@latest"]\nenv = { AWS_ACCESS_KEY_ID = "${aws}", AWS_REGION = "eu-west-1" }\n\n[profiles.fast]\nmodel = "o4-mini" # quick\n`,
      untouched: [
        '# Codex settings\nmodel = "o3"  # the default model\napproval_policy = "on-request"\n\n# GitHub, through its official server\n[mcp_servers.github]\n',
        '\n[profiles.fast]\nmodel = "o4-mini" # quick\n',
        '[mcp_servers.github.env]\n# my token\n\n',
      ],
      expected: (d) => {
        const servers = d.mcp_servers as Record<string, Record<string, unknown>>;
        // The env table stays for the comment in it (a wrap keeps every comment), empty.
        expect(servers.github).toEqual({ command: 'keyhold', args: wrapped('github', 'npx', ['-y', '@modelcontextprotocol/server-github']), env: {} });
        expect(servers.aws).toEqual({ command: 'keyhold', args: wrapped('aws', 'uvx', ['awslabs.core-mcp-server@latest']), env: { AWS_REGION: 'eu-west-1' } });
        expect(d.profiles).toEqual({ fast: { model: 'o4-mini' } });
      },
    },
  ];
}

const parse = (format: ConfigFormat, text: string) =>
  (format === 'toml' ? parseToml(text) : parseJsonc(text, [], { allowTrailingComma: true })) as Record<string, unknown>;

describe('mcp wrap planning', () => {
  it.each(shapes().map((s) => [s.tool, s] as const))('%s: secrets leave, commands run through keyhold, the rest stays byte for byte', (_tool, shape) => {
    const plan = planWrap(shape.text, shape.format, OPTIONS);
    expect(plan.servers.flatMap((s) => s.secrets.map((x) => x.value)).sort()).toEqual([...shape.secrets].sort());
    for (const secret of shape.secrets) expect(plan.text).not.toContain(secret);
    for (const part of shape.untouched) expect(plan.text).toContain(part);
    shape.expected(parse(shape.format, plan.text));
    // Wrapping a wrapped file changes nothing.
    expect(planWrap(plan.text, shape.format, OPTIONS).servers).toEqual([]);
    const diff = wrapDiff('config', shape.text, plan);
    expect(diff).toContain('+');
    for (const secret of shape.secrets) expect(diff).not.toContain(secret);
  });

  it('wraps only the named server, and says when it has nothing to move or does not exist', () => {
    const shape = shapes()[4]!;
    const plan = planWrap(shape.text, 'toml', { ...OPTIONS, server: 'aws' });
    expect(plan.servers.map((s) => s.server)).toEqual(['aws']);
    expect(plan.text).toContain(shape.secrets[0]);
    expect(() => planWrap(shape.text, 'toml', { ...OPTIONS, server: 'nope' })).toThrow(/No MCP server "nope"/);
    const vscode = shapes()[3]!;
    expect(() => planWrap(vscode.text, 'json', { ...OPTIONS, server: 'github' })).toThrow(KeyholdError);
  });

  it('passes the vault folder on to the wrapped command', () => {
    const plan = planWrap(shapes()[0]!.text, 'json', { ...OPTIONS, keyholdArgs: ['--vault', '/v'] });
    const data = parse('json', plan.text) as { mcpServers: { github: { args: string[] } } };
    expect(data.mcpServers.github.args.slice(0, 4)).toEqual(['--vault', '/v', 'run', '--profile']);
  });

  it('refuses a file that does not parse, with no value in the message', () => {
    const key = lookalike.github();
    expect(() => planWrap(`{ "mcpServers": { "a": { "env": { "T": "${key}" } }`, 'json', OPTIONS)).toThrow(/not valid JSON/);
    try {
      planWrap(`[mcp_servers.a\nT = "${key}"`, 'toml', OPTIONS);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/not valid TOML/);
      expect((e as Error).message).not.toContain(key);
    }
  });
});
