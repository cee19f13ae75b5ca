import { chmodSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planWrap, restoreWrapped, writeWrapped, type WrapOptions } from '../../src/core/agents';
import { memoryWrapRecords as records } from '../helpers/wrap-records';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// MCP configs as people have them: written by Windows editors, commented, containers with their
// keys in docker options, files kept read-only.

const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const BOM = '\uFEFF';

describe('a config that starts with a byte order mark', () => {
  it('JSON: is wrapped, and the new text keeps the mark and every other byte outside the change', () => {
    const key = lookalike.github();
    const text = `${BOM}{\r\n\t// mine\r\n\t"mcpServers": {\r\n\t\t"gh": {\r\n\t\t\t"command": "npx",\r\n\t\t\t"env": { "GITHUB_TOKEN": "${key}" }\r\n\t\t}\r\n\t}\r\n}`;
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.servers.map((s) => s.secrets.map((x) => x.value))).toEqual([[key]]);
    expect(plan.text.startsWith(`${BOM}{\r\n\t// mine\r\n`)).toBe(true);
    expect(plan.text).not.toContain(key);
    expect(plan.text.replaceAll('\r\n', '')).not.toContain('\n'); // CRLF throughout
    expect(plan.text.endsWith('}')).toBe(true); // no final newline added
  });

  it('TOML: the same', () => {
    const key = lookalike.github();
    const plan = planWrap(`${BOM}[mcp_servers.gh]\ncommand = "npx"\n\n[mcp_servers.gh.env]\nGITHUB_TOKEN = "${key}"\n`, 'toml', OPTIONS);
    expect(plan.servers).toHaveLength(1);
    expect(plan.text.startsWith(`${BOM}[mcp_servers.gh]\n`)).toBe(true);
    expect(plan.text).not.toContain(key);
  });
});

describe('comments next to the values a wrap moves', () => {
  it('stay: above the key, after it on its line, and alone in an env block the wrap empties', () => {
    const a = lookalike.github();
    const b = lookalike.slack();
    const text = [
      '{',
      '  "mcpServers": {',
      '    "gh": {',
      '      "command": "npx",',
      '      "env": {',
      '        "LOG": "debug",',
      '        // from github.com/settings/tokens',
      `        "GITHUB_TOKEN": "${a}", /* rotate in June */`,
      '      },',
      '    },',
      '    "slack": {',
      '      "command": "npx",',
      '      "env": {',
      '        // the bot of #ops',
      `        "SLACK_BOT_TOKEN": "${b}"`,
      '      }',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    const plan = planWrap(text, 'json', OPTIONS);
    for (const comment of ['// from github.com/settings/tokens', '/* rotate in June */', '// the bot of #ops']) expect(plan.text).toContain(comment);
    expect(plan.text).not.toContain(a);
    expect(plan.text).not.toContain(b);
    expect(plan.text).toContain('        "LOG": "debug",\n        // from github.com/settings/tokens\n        /* rotate in June */\n      },');
  });

  it('TOML (Codex): stay above the key, after it, and in an env table the wrap empties; a table with nothing left goes', () => {
    const [a, b, c] = [lookalike.github(), lookalike.slack(), lookalike.stripe()];
    const text = [
      '[mcp_servers.gh]',
      'command = "npx" # runner',
      '',
      '[mcp_servers.gh.env]',
      '# from 1password',
      `GITHUB_TOKEN = "${a}" # rotate in June`,
      "LOG_LEVEL = 'info'",
      '',
      '[mcp_servers.slack]',
      'command = "npx"',
      '[mcp_servers.slack.env]',
      '# the bot of #ops',
      `SLACK_BOT_TOKEN = "${b}"`,
      '',
      '[mcp_servers.pay]',
      'command = "pay"',
      '',
      '[mcp_servers.pay.env]',
      `STRIPE_KEY = "${c}"`,
      '',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\r\n');
    const plan = planWrap(text, 'toml', OPTIONS);
    expect(plan.servers.map((s) => s.server)).toEqual(['gh', 'slack', 'pay']);
    for (const secret of [a, b, c]) expect(plan.text).not.toContain(secret);
    expect(plan.text).toContain("[mcp_servers.gh.env]\r\n# from 1password\r\n# rotate in June\r\nLOG_LEVEL = 'info'\r\n");
    expect(plan.text).toContain('[mcp_servers.slack.env]\r\n# the bot of #ops\r\n\r\n');
    expect(plan.text).not.toContain('[mcp_servers.pay.env]');
    expect(plan.text).toContain('command = "keyhold" # runner');
    expect(plan.text.endsWith('[profiles.fast]\r\nmodel = "o4-mini"\r\n')).toBe(true);
  });

  it('a strict JSON file (Claude Desktop reads it with JSON.parse) stays strict JSON: no trailing comma is left', () => {
    const key = lookalike.github();
    const oneLine = `{"mcpServers": {"gh": {"command": "npx", "env": {"LOG": "debug", "GITHUB_TOKEN": "${key}"}}}}`;
    const lines = JSON.stringify({ mcpServers: { gh: { command: 'npx', env: { LOG: 'debug', GITHUB_TOKEN: key } } } }, null, 2);
    for (const text of [oneLine, lines]) {
      const plan = planWrap(text, 'json', OPTIONS);
      expect((JSON.parse(plan.text) as { mcpServers: { gh: { env: unknown } } }).mcpServers.gh.env).toEqual({ LOG: 'debug' });
    }
    const inline = `{\n  "mcpServers": {\n    "gh": {\n      "command": "npx",\n      "env": { "LOG": "debug", "GITHUB_TOKEN": "${key}" }\n    }\n  }\n}\n`;
    expect(planWrap(inline, 'json', OPTIONS).text).toContain('      "env": { "LOG": "debug" }\n');
  });
});

describe("a config's indentation", () => {
  // jsonc-parser's cache of indentations ends at 200 characters: a file indented by 50 spaces (or 40,
  // 100…) had a line of exactly 200 at a level the wrap inserts into, and the wrap failed inside.
  it('is kept in what the wrap inserts, whatever its width, tabs included', () => {
    const key = lookalike.github();
    // JSON.stringify indents by 10 characters at most: a one-character gap, then widened.
    const indented = (value: unknown, unit: string) => JSON.stringify(value, null, '\u0001').replaceAll('\u0001', unit);
    for (const unit of ['\t', ...Array.from({ length: 60 }, (_, i) => ' '.repeat(i + 1)), ' '.repeat(100), ' '.repeat(200)]) {
      const text = indented({ mcpServers: { gh: { command: 'npx', env: { GITHUB_TOKEN: key } } } }, unit);
      const plan = planWrap(text, 'json', OPTIONS);
      const wrapped = { mcpServers: { gh: { command: 'keyhold', args: ['run', '--profile', 'gh/mcp', '--', 'npx'] } } };
      expect(plan.text, `indented by ${JSON.stringify(unit)}`).toBe(indented(wrapped, unit));
    }
  });
});

describe('docker run -e NAME=value', () => {
  const docker = (args: string[], env?: Record<string, string>) =>
    JSON.stringify({ mcpServers: { slack: { command: 'docker', args, ...(env ? { env } : {}) } } }, null, 2);
  const argsOf = (text: string) => (JSON.parse(text) as { mcpServers: { slack: { args: string[] } } }).mcpServers.slack.args;

  it('moves the value into the profile and leaves -e NAME, which docker fills from keyhold run', () => {
    const key = lookalike.slack();
    const plan = planWrap(docker(['run', '-i', '--rm', '-e', `SLACK_BOT_TOKEN=${key}`, '--env=SLACK_TEAM_ID=T01234567', 'mcp/slack']), 'json', OPTIONS);
    expect(plan.servers[0]!.secrets).toEqual([{ name: 'SLACK_BOT_TOKEN', value: key, rule: 'slack-token', from: 'args' }]);
    expect(plan.text).not.toContain(key);
    expect(argsOf(plan.text)).toEqual([
      ...['run', '--profile', 'slack/mcp', '--', 'docker'],
      ...['run', '-i', '--rm', '-e', 'SLACK_BOT_TOKEN', '--env=SLACK_TEAM_ID=T01234567', 'mcp/slack'],
    ]);
    expect(plan.left).toEqual([]);
  });

  it("leaves what follows the image alone (the container's own command line), and says it is still there", () => {
    const key = lookalike.slack();
    const plan = planWrap(docker(['run', '--rm', '-v', '/data:/data', 'mcp/slack', '-e', `SLACK_BOT_TOKEN=${key}`]), 'json', OPTIONS);
    expect(plan.servers).toEqual([]);
    expect(plan.left).toEqual([{ line: 12, where: 'mcpServers.slack.args[6]', label: 'Slack token' }]);
  });

  it('refuses a name set to different values in env and in the docker options, changing nothing', () => {
    const text = docker(['run', '-e', `SLACK_BOT_TOKEN=${lookalike.slack()}`, 'mcp/slack'], { SLACK_BOT_TOKEN: lookalike.slack() });
    expect(() => planWrap(text, 'json', OPTIONS)).toThrow(/sets SLACK_BOT_TOKEN twice/);
  });

  it('names a credential it cannot move (a URL among the args) in the plan', () => {
    const text = JSON.stringify(
      { mcpServers: { pg: { command: 'uvx', args: ['mcp-server-postgres', 'postgresql://app:Zq9xLm2pRt7vKw4@db:5432/app'] } } },
      null,
      2,
    );
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.servers).toEqual([]);
    expect(plan.left).toEqual([{ line: 7, where: 'mcpServers.pg.args[1]', label: 'Password in URL' }]);
  });
});

describe('permissions', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  it.skipIf(process.platform === 'win32')(
    'the wrapped file keeps the permissions it had (read-only stays read-only); unwrap gives its owner those back, no one else',
    async () => {
      t = tempDir('keyhold-wrap-mode-');
      const wraps = records();
      for (const mode of [0o444, 0o644]) {
        const file = join(t.dir, `mcp-${mode.toString(8)}.json`);
        const text = JSON.stringify({ mcpServers: { gh: { command: 'npx', env: { GITHUB_TOKEN: lookalike.github() } } } }, null, 2);
        writeFileSync(file, text);
        chmodSync(file, mode);
        await writeWrapped(file, text, planWrap(text, 'json', OPTIONS), wraps);
        expect(statSync(file).mode & 0o777).toBe(mode);
        await restoreWrapped(file, wraps);
        expect(readFileSync(file, 'utf8')).toBe(text);
        expect(statSync(file).mode & 0o777).toBe(mode & 0o700);
      }
    },
  );
});
