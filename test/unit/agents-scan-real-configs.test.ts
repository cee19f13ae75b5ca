import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectJson, detectShell, formatOf, scan, wellKnownPlaces } from '../../src/core/agents';
import { MAX_FILE_BYTES } from '../../src/core/agents/walk';
import { lookalike, randomChars } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// What people's files look like: written by Windows editors, grown by the tools, set by shells
// other than bash, continued across lines.

describe('JSON configs', () => {
  it('reads one that starts with a byte order mark (Notepad, older VS Code) like any other', () => {
    const value = randomChars(40);
    const text = `\uFEFF{\n    "mcp": { "servers": { "linear": { "command": "npx", "env": { "LINEAR_API_KEY": "${value}" } } } }\n}`;
    expect(detectJson(text).map((f) => [f.line, f.server, f.name, f.rule, f.value])).toEqual([[2, 'linear', 'LINEAR_API_KEY', 'generic-secret', value]]);
  });

  it("reads docker's -e NAME=value among a server's args as the variable NAME, and a key inside an option as the key alone", () => {
    const slack = lookalike.slack();
    const brave = randomChars(31);
    const anthropic = lookalike.anthropic();
    const text = JSON.stringify(
      {
        mcpServers: {
          slack: { command: 'docker', args: ['run', '-i', '-e', `SLACK_BOT_TOKEN=${slack}`, '-e', `BRAVE_API_KEY=${brave}`, 'mcp/slack'] },
          proxy: { command: 'npx', args: ['proxy', `--api-key=${anthropic}`] },
        },
      },
      null,
      2,
    );
    expect(detectJson(text).map((f) => [f.server, f.name, f.source, f.rule, f.value])).toEqual([
      ['slack', 'SLACK_BOT_TOKEN', 'mcp-env', 'slack-token', slack],
      ['slack', 'BRAVE_API_KEY', 'mcp-env', 'generic-secret', brave],
      ['proxy', null, 'config', 'anthropic-api-key', anthropic],
    ]);
  });
});

describe('shell start-up files', () => {
  it('reads a value continued over lines whole, as the shell does', () => {
    const value = randomChars(40);
    const text = `export PATH="$HOME/bin:$PATH"\nexport LONG_SECRET="${value.slice(0, 20)}\\\n${value.slice(20)}"\nalias ll='ls -l'\n`;
    expect(detectShell(text).map((f) => [f.line, f.name, f.value])).toEqual([[2, 'LONG_SECRET', value]]);
  });

  it("reads csh's setenv and fish's set -x, quoted or not", () => {
    const a = randomChars(36);
    const b = randomChars(36);
    const c = randomChars(36);
    const text = `setenv OPENROUTER_API_KEY ${a}\nset -gx LINEAR_API_KEY '${b}'\nset --export --universal DB_PASSWORD "${c}"\nset fish_greeting ""\n`;
    expect(detectShell(text).map((f) => [f.line, f.name, f.value])).toEqual([
      [1, 'OPENROUTER_API_KEY', a],
      [2, 'LINEAR_API_KEY', b],
      [3, 'DB_PASSWORD', c],
    ]);
  });

  it("does not let an apostrophe in a here-document or a comment hide the exports after it, and keeps each line's number", () => {
    const a = randomChars(36);
    const b = lookalike.github();
    const text = `# don't touch\ncat <<EOF\nDon't forget\nEOF\nexport API_TOKEN='${a}'\necho "it's ${b}"\n`;
    expect(detectShell(text).map((f) => [f.line, f.name, f.value])).toEqual([
      [5, 'API_TOKEN', a],
      [6, null, b],
    ]);
  });

  it('are chosen by name: csh and fish files and scripts too, and the fish and csh start-up files are well-known places', () => {
    for (const name of ['.cshrc', '.tcshrc', 'config.fish', 'setenv.sh', 'env.zsh']) expect(formatOf(`/h/${name}`), name).toBe('shell');
    const places = wellKnownPlaces({ HOME: '/h' }, 'linux').map((p) => p.path);
    expect(places).toEqual(expect.arrayContaining(['/h/.cshrc', '/h/.config/fish/config.fish']));
    expect(wellKnownPlaces({ HOME: '/h', XDG_CONFIG_HOME: '/x' }, 'darwin').map((p) => p.path)).toContain('/x/fish/config.fish');
  });
});

// A prompt as Claude Code keeps it in its history (words, not random text that could look like a key).
const PROMPT = 'why does the parser test fail after the refactor, please fix it and update the readme '.repeat(5);

describe('size', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  // Claude Code keeps every project's prompt history in ~/.claude.json, beside the MCP servers.
  const bigClaudeJson = (token: string) =>
    JSON.stringify(
      {
        projects: Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`/home/me/code/p${i}`, { history: Array.from({ length: 100 }, () => ({ display: PROMPT })) }]),
        ),
        mcpServers: { github: { command: 'npx', env: { GITHUB_PERSONAL_ACCESS_TOKEN: token } } },
      },
      null,
      2,
    );

  it("reads an agent tool's own config and a file named to scan past the size a walked file may have", () => {
    t = tempDir('keyhold-scan-size-');
    const home = join(t.dir, 'home');
    mkdirSync(home);
    const token = lookalike.github();
    const text = bigClaudeJson(token);
    expect(text.length).toBeGreaterThan(MAX_FILE_BYTES);
    writeFileSync(join(home, '.claude.json'), text);
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };

    const wellKnown = scan({ paths: [], wellKnown: true, env, platform: 'linux' });
    expect(wellKnown.findings.map((f) => [f.file, f.where, f.value])).toEqual([
      [join(home, '.claude.json'), 'mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN', token],
    ]);
    // Found by a walk of the home folder, or named, without the well-known places.
    for (const paths of [[home], [join(home, '.claude.json')]]) {
      expect(scan({ paths, wellKnown: false, env, platform: 'linux' }).findings.map((f) => f.value)).toEqual([token]);
    }
    // Any other file that large, in a tree, is not a config a person wrote: not read.
    mkdirSync(join(t.dir, 'proj'));
    writeFileSync(join(t.dir, 'proj', 'fixtures.json'), text);
    expect(scan({ paths: [join(t.dir, 'proj')], wellKnown: false, env, platform: 'linux' }).filesRead).toBe(0);
  });
});
