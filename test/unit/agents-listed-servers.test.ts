import { describe, expect, it } from 'vitest';
import { detectJson, detectToml, detectYaml, formatPath, importFindings, planWrap, type Detected, type WrapOptions } from '../../src/core/agents';
import type { Finding } from '../../src/core/agents/scan';
import { refusal, useCleanups } from '../helpers/cleanup';
import { lookalike, randomChars } from '../helpers/lookalike';
import { newVault } from '../helpers/vault';

// MCP servers written as a list (`"mcpServers": [{ "name": "github", … }]`), as some clients write
// them in JSON and Continue does in YAML: each is the server its entry's `name` says, in every
// format, by one rule (listed.ts). JSON and TOML read them as servers '0', '1', whose values
// `scan --import` put in profiles named 0/mcp.

const cleanups = useCleanups();
const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const summary = (found: readonly Detected[]) => found.map((f) => [f.line, formatPath(f.path), f.server, f.name, f.source]);

describe('a JSON list of MCP servers', () => {
  it('names each server by its entry, whether the name comes before or after its env, and keeps the order of the file', () => {
    const [gh, slack, other] = [lookalike.github(), lookalike.slack(), lookalike.generic()];
    const text = [
      '{',
      '  // the servers, as a list',
      '  "mcpServers": [',
      `    { "name": "github", "command": "npx", "env": { "GITHUB_TOKEN": "${gh}" } },`,
      `    { "command": "npx", "env": { "SLACK_BOT_TOKEN": "${slack}" }, "name": "slack" }`,
      '  ],',
      `  "apiToken": "${other}"`,
      '}',
    ].join('\n');
    expect(summary(detectJson(text))).toEqual([
      [4, 'mcpServers[0].env.GITHUB_TOKEN', 'github', 'GITHUB_TOKEN', 'mcp-env'],
      [5, 'mcpServers[1].env.SLACK_BOT_TOKEN', 'slack', 'SLACK_BOT_TOKEN', 'mcp-env'],
      [7, 'apiToken', null, 'apiToken', 'config'],
    ]);
  });

  it('reads it the same as the YAML list, under VS Code\'s "servers" and nested in a project too', () => {
    const [gh, token] = [lookalike.github(), randomChars(40)];
    const json = JSON.stringify(
      {
        projects: {
          '/home/me/app': {
            servers: [
              { name: 'gh', command: 'docker', args: ['run', '-e', `GITHUB_TOKEN=${gh}`, 'ghcr.io/github/github-mcp-server'] },
              { name: 'linear', type: 'http', url: 'https://mcp.linear.example/mcp', headers: [{ name: 'Authorization', value: `Bearer ${token}` }] },
            ],
          },
        },
      },
      null,
      2,
    );
    const yaml = [
      'projects:',
      '  /home/me/app:',
      '    servers:',
      '      - name: gh',
      '        command: docker',
      `        args: [run, -e, "GITHUB_TOKEN=${gh}", ghcr.io/github/github-mcp-server]`,
      '      - name: linear',
      '        type: http',
      '        url: https://mcp.linear.example/mcp',
      '        headers:',
      '          - name: Authorization',
      `            value: Bearer ${token}`,
      '',
    ].join('\n');
    const read = (found: readonly Detected[]) => found.map((f) => [formatPath(f.path), f.server, f.name, f.value]);
    const expected = [
      ['projects["/home/me/app"].servers[0].args[2]', 'gh', 'GITHUB_TOKEN', gh],
      ['projects["/home/me/app"].servers[1].headers[0].value', 'linear', 'LINEAR_TOKEN', token],
    ];
    expect(read(detectJson(json))).toEqual(expected);
    expect(read(detectYaml(yaml))).toEqual(expected);
  });

  it('an entry with no name, or a name that is no string, is no server, as in YAML; a map keyed "0" is the server "0"', () => {
    const key = lookalike.github();
    const servers = (text: string) => detectJson(text).map((f) => f.server);
    expect(servers(`{ "mcpServers": [{ "command": "npx", "env": { "GITHUB_TOKEN": "${key}" } }] }`)).toEqual([null]);
    expect(servers(`{ "mcpServers": [{ "name": 7, "command": "npx", "env": { "GITHUB_TOKEN": "${key}" } }] }`)).toEqual([null]);
    expect(servers(`{ "mcpServers": { "0": { "command": "npx", "env": { "GITHUB_TOKEN": "${key}" } } } }`)).toEqual(['0']);
    expect(detectYaml(`mcpServers:\n  - command: npx\n    env:\n      GITHUB_TOKEN: ${key}\n`).map((f) => f.server)).toEqual([null]);
  });

  it('a byte order mark and a name written twice: the last one names it, as the JSON parsers keep it', () => {
    const key = lookalike.github();
    const text = `\uFEFF{ "mcpServers": [{ "name": "old", "env": { "GITHUB_TOKEN": "${key}" }, "name": "gh" }] }`;
    expect(summary(detectJson(text))).toEqual([[1, 'mcpServers[0].env.GITHUB_TOKEN', 'gh', 'GITHUB_TOKEN', 'mcp-env']]);
  });
});

describe('a TOML list of MCP servers', () => {
  it('[[mcp_servers]] with a name is that server', () => {
    const key = lookalike.github();
    const text = `[[mcp_servers]]\nname = "github"\ncommand = "npx"\nenv = { GITHUB_TOKEN = "${key}" }\n\n[[mcp_servers]]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "${key}" }\n`;
    expect(summary(detectToml(text))).toEqual([
      [4, 'mcp_servers[0].env.GITHUB_TOKEN', 'github', 'GITHUB_TOKEN', 'mcp-env'],
      [8, 'mcp_servers[1].env.GITHUB_TOKEN', null, 'GITHUB_TOKEN', 'config'],
    ]);
  });

  it('an env written as its own table ([mcp_servers.env]) belongs to the entry above it, and is reported at its own line', () => {
    const [gh, db] = [lookalike.github(), randomChars(40)];
    const text = [
      '[[mcp_servers]]',
      'name = "github"',
      'command = "npx"',
      '',
      '[mcp_servers.env]',
      `GITHUB_TOKEN = "${gh}"`,
      '',
      '[[mcp_servers]]',
      'name = "db"',
      'command = "uvx"',
      '',
      '[mcp_servers.env]',
      `DB_PASSWORD = "${db}"`,
      '',
    ].join('\n');
    expect(summary(detectToml(text))).toEqual([
      [6, 'mcp_servers[0].env.GITHUB_TOKEN', 'github', 'GITHUB_TOKEN', 'mcp-env'],
      [13, 'mcp_servers[1].env.DB_PASSWORD', 'db', 'DB_PASSWORD', 'mcp-env'],
    ]);
  });
});

describe('scan --import of a listed server', () => {
  it('puts its values in the profile NAME/mcp, never 0/mcp', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const key = lookalike.github();
    const file = '/home/me/.config/client/mcp.json';
    const text = `{ "mcpServers": [{ "name": "github", "command": "npx", "env": { "GITHUB_TOKEN": "${key}" } }] }`;
    const findings: Finding[] = detectJson(text).map((d) => ({
      ...d,
      file,
      where: formatPath(d.path),
      masked: '…',
      inVault: 'unknown',
      vaultItem: null,
      wellKnown: false,
    }));
    const { outcomes } = importFindings(v.vault, findings);
    expect(outcomes.map((o) => [o.target, o.result])).toEqual([[{ type: 'profile', agentId: 'github', name: 'mcp', key: 'GITHUB_TOKEN' }, 'imported']]);
    expect(v.vault.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual(['github/mcp']);
  });
});

describe('mcp wrap of a listed server', () => {
  const text = (key: string) =>
    [
      '{',
      '  "mcpServers": [',
      '    // from github.com/settings/tokens',
      `    { "name": "github", "command": "npx", "args": ["-y", "gh"], "env": { "GITHUB_TOKEN": "${key}" } },`,
      '    { "name": "docs", "command": "npx", "args": ["docs-mcp"] }',
      '  ]',
      '}',
      '',
    ].join('\n');

  it('in JSON or TOML is refused, naming the server and what to do, and never quoting a value; one with nothing to move is left alone, and a YAML list is wrapped', () => {
    const key = lookalike.github();
    const json = refusal(() => planWrap(text(key), 'json', OPTIONS));
    expect(json.code).toBe('BadInput');
    expect(json.message).toMatch(
      /^Server "github" is an entry of a list \(mcpServers\[0\]\), which keyhold mcp wrap rewrites in YAML only, not in JSON\. Nothing was changed/,
    );
    expect(json.message).toContain('github/mcp');
    expect(json.message).not.toContain(key);
    expect(refusal(() => planWrap(text(key), 'json', { ...OPTIONS, server: 'github' })).message).toMatch(/is an entry of a list/);
    const toml = refusal(() => planWrap(`[[mcp_servers]]\nname = "github"\ncommand = "npx"\nenv = { GITHUB_TOKEN = "${key}" }\n`, 'toml', OPTIONS));
    expect(toml.message).toMatch(/^Server "github" is an entry of a list \(mcp_servers\[0\]\), which keyhold mcp wrap rewrites in YAML only, not in TOML\./);
    expect(planWrap('{ "mcpServers": [{ "name": "docs", "command": "npx", "args": ["docs-mcp"] }] }', 'json', OPTIONS).servers).toEqual([]);
    const plan = planWrap(`mcpServers:\n  - name: github\n    command: npx\n    env:\n      GITHUB_TOKEN: ${key}\n`, 'yaml', OPTIONS);
    expect(plan.servers.map((s) => [s.server, s.profile])).toEqual([['github', { agentId: 'github', name: 'mcp' }]]);
  });
});
