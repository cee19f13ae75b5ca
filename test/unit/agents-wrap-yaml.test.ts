import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatOfConfig, planWrap, restoreWrapped, wrapDiff, writeWrapped, type WrapOptions } from '../../src/core/agents';
import { memoryWrapRecords as records } from '../helpers/wrap-records';
import { KeyholdError } from '../../src/shared/errors';
import { lookalike, randomChars } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// `mcp wrap` of YAML MCP configs, as agents-wrap and agents-wrap-real-configs test JSON and TOML:
// Continue's ~/.continue/config.yaml (servers listed, `- name: github`) and a workspace's
// .continue/mcpServers/*.yaml, and the map form other YAML configs use.

const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const wrapped = (server: string, command: string, args: string[]) => ['run', '--profile', `${server}/mcp`, '--', command, ...args];
const data = (text: string) => parseYaml(text) as Record<string, unknown>;
type Servers = Record<string, unknown>[];

function continueConfig(gh: string, slack: string): string {
  return [
    '# Continue: my assistant',
    'name: Local Assistant',
    'version: 1.0.0',
    'schema: v1',
    'models:',
    '  - name: Claude',
    '    provider: anthropic',
    '    apiKey: ${{ secrets.ANTHROPIC_API_KEY }}',
    'mcpServers:',
    '  - name: github   # the official one',
    '    command: npx',
    '    args:',
    '      - "-y"',
    '      - "@modelcontextprotocol/server-github"',
    '    env:',
    '      # from github.com/settings/tokens',
    `      GITHUB_PERSONAL_ACCESS_TOKEN: ${gh} # rotate in June`,
    '      LOG_LEVEL: debug',
    '  - name: slack',
    '    command: npx',
    '    env:',
    `      SLACK_BOT_TOKEN: '${slack}'`,
    '  - name: docs',
    '    type: streamable-http',
    '    url: https://docs.example.com/mcp',
    '',
  ].join('\n');
}

describe('mcp wrap of a YAML config', () => {
  it('is chosen by the file name', () => {
    expect(['/h/.continue/config.yaml', '/p/.continue/mcpServers/gh.YML'].map(formatOfConfig)).toEqual(['yaml', 'yaml']);
  });

  it("Continue's config.yaml: secrets leave, commands run through keyhold, every other byte stays, comments beside the moved value included", () => {
    const [gh, slack] = [lookalike.github(), lookalike.slack()];
    const text = continueConfig(gh, slack);
    const plan = planWrap(text, 'yaml', OPTIONS);
    expect(plan.format).toBe('yaml');
    expect(plan.servers.map((s) => [s.server, s.path, s.secrets.map((x) => [x.name, x.value])])).toEqual([
      ['github', ['mcpServers', '0'], [['GITHUB_PERSONAL_ACCESS_TOKEN', gh]]],
      ['slack', ['mcpServers', '1'], [['SLACK_BOT_TOKEN', slack]]],
    ]);
    expect(plan.text).toBe(
      [
        '# Continue: my assistant',
        'name: Local Assistant',
        'version: 1.0.0',
        'schema: v1',
        'models:',
        '  - name: Claude',
        '    provider: anthropic',
        '    apiKey: ${{ secrets.ANTHROPIC_API_KEY }}',
        'mcpServers:',
        '  - name: github   # the official one',
        '    command: keyhold',
        '    args:',
        '      - "run"',
        '      - "--profile"',
        '      - "github/mcp"',
        '      - "--"',
        '      - "npx"',
        '      - "-y"',
        '      - "@modelcontextprotocol/server-github"',
        '    env:',
        '      # from github.com/settings/tokens',
        '      # rotate in June',
        '      LOG_LEVEL: debug',
        '  - name: slack',
        '    command: keyhold',
        '    args:',
        '      - run',
        '      - --profile',
        '      - slack/mcp',
        '      - --',
        '      - npx',
        '  - name: docs',
        '    type: streamable-http',
        '    url: https://docs.example.com/mcp',
        '',
      ].join('\n'),
    );
    const servers = data(plan.text).mcpServers as Servers;
    expect(servers[0]).toEqual({
      name: 'github',
      command: 'keyhold',
      args: wrapped('github', 'npx', ['-y', '@modelcontextprotocol/server-github']),
      env: { LOG_LEVEL: 'debug' },
    });
    expect(servers[1]).toEqual({ name: 'slack', command: 'keyhold', args: wrapped('slack', 'npx', []) });
    expect(plan.left).toEqual([]);
    // Wrapping a wrapped file changes nothing.
    expect(planWrap(plan.text, 'yaml', OPTIONS).servers).toEqual([]);
    const diff = wrapDiff('config.yaml', text, plan);
    expect(diff).toContain('+    command: keyhold');
    for (const secret of [gh, slack]) expect(diff).not.toContain(secret);
  });

  it("a workspace's .continue/mcpServers block, docker's -e NAME=value in a flow list: the value leaves, -e NAME stays", () => {
    const key = lookalike.slack();
    const text = `name: Slack MCP\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: slack\n    command: docker\n    args: [run, -i, --rm, -e, "SLACK_BOT_TOKEN=${key}", mcp/slack]\n`;
    const plan = planWrap(text, 'yaml', OPTIONS);
    expect(plan.servers[0]!.secrets).toEqual([{ name: 'SLACK_BOT_TOKEN', value: key, rule: 'slack-token', from: 'args' }]);
    expect(plan.text).toBe(
      'name: Slack MCP\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: slack\n    command: keyhold\n    args: [run, --profile, slack/mcp, --, docker, run, -i, --rm, -e, "SLACK_BOT_TOKEN", mcp/slack]\n',
    );
  });

  it('flow style: the server on one line, its env emptied and gone', () => {
    const key = lookalike.stripe();
    const text = `mcpServers: [{ name: stripe, command: npx, args: ['-y', '@stripe/mcp'], env: { STRIPE_SECRET_KEY: "${key}" } }]\n`;
    expect(planWrap(text, 'yaml', OPTIONS).text).toBe(
      "mcpServers: [{ name: stripe, command: keyhold, args: ['run', '--profile', 'stripe/mcp', '--', 'npx', '-y', '@stripe/mcp'] }]\n",
    );
  });

  it('the map form, keyed by server, with keyhold run’s own arguments (--vault) first', () => {
    const key = lookalike.github();
    const text = `mcpServers:\n  gh:\n    command: npx\n    env: { LOG: debug, GITHUB_TOKEN: ${key} }\n`;
    const plan = planWrap(text, 'yaml', { ...OPTIONS, keyholdArgs: ['--vault', '/v'] });
    expect(plan.servers.map((s) => [s.server, s.path])).toEqual([['gh', ['mcpServers', 'gh']]]);
    expect(plan.text).toBe(
      'mcpServers:\n  gh:\n    command: keyhold\n    args:\n      - --vault\n      - /v\n      - run\n      - --profile\n      - gh/mcp\n      - --\n      - npx\n    env: { LOG: debug }\n',
    );
  });

  it('wraps only the named server, and says when it has nothing to move or does not exist', () => {
    const text = continueConfig(lookalike.github(), lookalike.slack());
    const plan = planWrap(text, 'yaml', { ...OPTIONS, server: 'slack' });
    expect(plan.servers.map((s) => s.server)).toEqual(['slack']);
    expect((data(plan.text).mcpServers as Servers)[0]!.command).toBe('npx');
    expect(() => planWrap(text, 'yaml', { ...OPTIONS, server: 'nope' })).toThrow(/No MCP server "nope"/);
    expect(() => planWrap(text, 'yaml', { ...OPTIONS, server: 'docs' })).toThrow(/No MCP server "docs"/);
    expect(() => planWrap('mcpServers:\n  - name: fs\n    command: npx\n    env:\n      ROOT: /tmp\n', 'yaml', { ...OPTIONS, server: 'fs' })).toThrow(
      /holds no secret env values/,
    );
  });

  it("names what it cannot move, at the wrapped file's lines and YAML paths: a URL among args, a key in a comment", () => {
    const [password, old] = [randomChars(20), lookalike.openai()];
    const text = [
      `# the old key was ${old}`,
      'mcpServers:',
      '  - name: pg',
      '    command: uvx',
      `    args: [mcp-server-postgres, "postgresql://app:${password}@db:5432/app"]`,
      '    env:',
      `      PG_TOKEN: ${lookalike.generic()}`,
      '',
    ].join('\n');
    expect(planWrap(text, 'yaml', OPTIONS).left).toEqual([
      { line: 1, where: '', label: 'OpenAI API key' },
      { line: 5, where: 'mcpServers[0].args[6]', label: 'Password in URL' },
    ]);
  });
});

describe('comments, quoting and line ends next to the values a wrap moves', () => {
  it('an env left with only a comment stays, as an empty map; a block scalar goes with its lines', () => {
    const [a, b] = [lookalike.github(), lookalike.slack()];
    const text = [
      'mcpServers:',
      '  - name: gh',
      '    command: npx',
      '    env:',
      '      # the bot of #ops',
      '      GITHUB_TOKEN: |-',
      `        ${a}`,
      '      SLACK_TOKEN: >-',
      `        ${b}`,
      '    disabled: false',
      '',
    ].join('\n');
    const plan = planWrap(text, 'yaml', OPTIONS);
    expect(plan.text).toBe(
      'mcpServers:\n  - name: gh\n    command: keyhold\n    args:\n      - run\n      - --profile\n      - gh/mcp\n      - --\n      - npx\n    env: {}\n      # the bot of #ops\n    disabled: false\n',
    );
    expect((data(plan.text).mcpServers as Servers)[0]!.env).toEqual({});
  });

  it("new arguments take their neighbours' quoting, and quotes where plain would read otherwise", () => {
    const key = lookalike.github();
    const single = planWrap(`mcpServers:\n  - name: gh\n    command: npx\n    args:\n      - '-y'\n    env:\n      GITHUB_TOKEN: ${key}\n`, 'yaml', OPTIONS);
    expect(single.text).toContain("    args:\n      - 'run'\n      - '--profile'\n      - 'gh/mcp'\n      - '--'\n      - 'npx'\n      - '-y'\n");
    const odd = planWrap(`mcpServers:\n  - name: "team: ops, #1"\n    command: "npx"\n    env:\n      GITHUB_TOKEN: ${key}\n`, 'yaml', OPTIONS);
    expect((data(odd.text).mcpServers as Servers)[0]!.args).toEqual(wrapped('team: ops, #1', 'npx', []));
    expect(odd.text).toContain('    command: "keyhold"\n    args:\n      - "run"\n');
  });

  it('a byte order mark, CRLF line ends and no final line end stay', () => {
    const key = lookalike.github();
    const plan = planWrap(`\uFEFF# mine\r\nmcpServers:\r\n  - name: gh\r\n    command: npx\r\n    env:\r\n      GITHUB_TOKEN: ${key}`, 'yaml', OPTIONS);
    expect(plan.text).toBe(
      '\uFEFF# mine\r\nmcpServers:\r\n  - name: gh\r\n    command: keyhold\r\n    args:\r\n      - run\r\n      - --profile\r\n      - gh/mcp\r\n      - --\r\n      - npx',
    );
  });
});

describe('YAML a wrap refuses, changing nothing and quoting no value', () => {
  const key = lookalike.github();
  const server = (extra = '') => `mcpServers:\n  - name: gh\n    command: npx\n    env:\n      GITHUB_TOKEN: ${key}\n${extra}`;
  const refused = (text: string, message: RegExp) => {
    try {
      planWrap(text, 'yaml', OPTIONS);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KeyholdError);
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).toMatch(/Nothing was changed/);
      expect((e as Error).message).not.toContain(key);
    }
  };

  it('a file that is not YAML, or sets a key twice', () => {
    refused(`mcpServers:\n  - name: gh\n    env: { GITHUB_TOKEN: "${key}"\n`, /^The file is not valid YAML \(line \d+: [a-z ]+\)/);
    refused(server(`    env:\n      OTHER: x\n`), /^The file is not valid YAML \(line 6: duplicate key\)/);
  });

  it('several documents in one file', () => {
    refused(`${server()}---\nother: 1\n`, /holds 2 YAML documents/);
  });

  it('a server whose entry shares nodes: an anchor, an alias, a merge', () => {
    refused(`shared: &env\n  GITHUB_TOKEN: ${key}\nmcpServers:\n  - name: gh\n    command: npx\n    env: *env\n`, /uses YAML anchors, aliases or merge keys/);
    refused(
      `base: &base\n  command: npx\nmcpServers:\n  - name: gh\n    <<: *base\n    env:\n      GITHUB_TOKEN: ${key}\n`,
      /uses YAML anchors, aliases or merge keys/,
    );
    refused(
      `mcpServers:\n  - &gh\n    name: gh\n    command: npx\n    env:\n      GITHUB_TOKEN: ${key}\nagain: *gh\n`,
      /uses YAML anchors, aliases or merge keys/,
    );
    refused(`list: &all\n  - name: gh\n    command: npx\n    env:\n      GITHUB_TOKEN: ${key}\nmcpServers: *all\n`, /reached through a YAML alias/);
  });

  it('a tag on what a wrap edits, two servers of one name, a member named __proto__, empty args', () => {
    refused(`mcpServers:\n  - name: gh\n    command: npx\n    env: !vars\n      GITHUB_TOKEN: ${key}\n`, /has a YAML tag/);
    refused(`${server()}  - name: gh\n    command: uvx\n`, /Two MCP servers in this file are named "gh"/);
    refused(server('    __proto__: x\n'), /member named "__proto__"/);
    refused(`mcpServers:\n  - name: gh\n    command: npx\n    args:\n    env:\n      GITHUB_TOKEN: ${key}\n`, /has an empty `args:`/);
  });

  it('an alias bomb, and nesting past what a config has', () => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array<string>(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    refused(`${lines.join('\n')}\n${server()}`, /uses YAML aliases \(\*name\) past what Keyhold follows/);
    refused(`${server()}deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /nests its values more than 100 levels deep/);
  });

  it("docker's -e and env setting one name to two values", () => {
    refused(
      `mcpServers:\n  - name: gh\n    command: docker\n    args: [run, -e, "GITHUB_TOKEN=${lookalike.github()}", img]\n    env:\n      GITHUB_TOKEN: ${key}\n`,
      /sets GITHUB_TOKEN twice/,
    );
  });
});

describe('wrap and unwrap', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  it('the shared writer writes the wrapped YAML, and unwrap gives back every byte', async () => {
    t = tempDir('keyhold-wrap-yaml-');
    const file = join(t.dir, 'config.yaml');
    const text = continueConfig(lookalike.github(), lookalike.slack()).replaceAll('\n', '\r\n');
    writeFileSync(file, text);
    const wraps = records();
    await writeWrapped(file, text, planWrap(text, 'yaml', OPTIONS), wraps);
    expect(readFileSync(file, 'utf8')).toContain('command: keyhold\r\n');
    expect(readFileSync(`${file}.keyhold-backup`, 'utf8')).toBe(text);
    await restoreWrapped(file, wraps);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
