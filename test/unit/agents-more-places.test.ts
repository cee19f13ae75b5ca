import { parse as parseJsonc } from 'jsonc-parser';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath, planWrap, scan, wellKnownPlaces, type WrapOptions } from '../../src/core/agents';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// The agent tools people run beside Claude, Cursor and Codex keep MCP servers (and keys) in their
// own files: Gemini CLI, Zed, the Cline and Roo Code extensions of VS Code, Amazon Q Developer.
// scan did not look there unless the person named each file.

const cleanups = useCleanups();
const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

const server = (key: string, name: string) =>
  JSON.stringify({ mcpServers: { [name]: { command: 'npx', args: ['-y', `${name}-mcp`], env: { API_TOKEN: key } } } }, null, 2);

describe('the agent tools’ own files', () => {
  it('are well-known places on each OS, under the folders each tool documents', () => {
    const linux = wellKnownPlaces({ HOME: '/h' }, 'linux').map((p) => `${p.what}: ${p.path}`);
    expect(linux).toEqual(
      expect.arrayContaining([
        'Gemini CLI settings: /h/.gemini/settings.json',
        'Gemini CLI environment file: /h/.gemini/.env',
        'Zed settings: /h/.config/zed/settings.json',
        'Cline MCP config: /h/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
        'Roo Code MCP config: /h/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json',
        'Amazon Q Developer MCP config: /h/.aws/amazonq/mcp.json',
      ]),
    );
    const mac = wellKnownPlaces({ HOME: '/Users/me' }, 'darwin').map((p) => p.path);
    expect(mac).toEqual(
      expect.arrayContaining([
        '/Users/me/.config/zed/settings.json',
        '/Users/me/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
      ]),
    );
    const windows = wellKnownPlaces({ USERPROFILE: '/u/me', APPDATA: '/u/me/AppData/Roaming' }, 'win32').map((p) => p.path);
    expect(windows).toEqual(expect.arrayContaining(['/u/me/.gemini/settings.json', '/u/me/AppData/Roaming/Zed/settings.json']));
  });

  it('are scanned without being named: each key by its file, line and path', () => {
    const t = tempDir('keyhold-more-places-');
    cleanups.push(t.cleanup);
    const home = join(t.dir, 'home');
    const keys = {
      gemini: lookalike.github(),
      geminiEnv: lookalike.anthropic(),
      zed: lookalike.github(),
      cline: lookalike.github(),
      roo: lookalike.github(),
      q: lookalike.github(),
    };
    const write = (path: string, text: string) => writeWithFolders(join(home, path), text);
    write('.gemini/settings.json', server(keys.gemini, 'gh'));
    write('.gemini/.env', `GEMINI_MODEL=gemini-2.5-pro\nANTHROPIC_API_KEY=${keys.geminiEnv}\n`);
    // Zed's settings are JSON with comments, its servers under context_servers.
    write(
      '.config/zed/settings.json',
      `// Zed settings\n{\n  "theme": "One Dark",\n  "context_servers": {\n    "linear": { "command": "npx", "args": ["linear-mcp"], "env": { "API_TOKEN": "${keys.zed}" } }\n  }\n}\n`,
    );
    write('.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', server(keys.cline, 'jira'));
    write('.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json', server(keys.roo, 'sentry'));
    write('.aws/amazonq/mcp.json', server(keys.q, 'notion'));
    const result = scan({ paths: [], wellKnown: true, env: { HOME: home }, platform: 'linux' });
    expect(result.skipped).toEqual([]);
    const found = result.findings.map((f) => [f.file.slice(home.length), f.line, formatPath(f.path), f.server, f.value]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['/.gemini/settings.json', 10, 'mcpServers.gh.env.API_TOKEN', 'gh', keys.gemini],
        ['/.gemini/.env', 2, 'ANTHROPIC_API_KEY', null, keys.geminiEnv],
        ['/.config/zed/settings.json', 5, 'context_servers.linear.env.API_TOKEN', 'linear', keys.zed],
        ['/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json', 10, 'mcpServers.jira.env.API_TOKEN', 'jira', keys.cline],
        ['/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json', 10, 'mcpServers.sentry.env.API_TOKEN', 'sentry', keys.roo],
        ['/.aws/amazonq/mcp.json', 10, 'mcpServers.notion.env.API_TOKEN', 'notion', keys.q],
      ]),
    );
    expect(found).toHaveLength(6);
    expect(result.findings.every((f) => f.wellKnown)).toBe(true);
  });

  it("Zed's servers are wrapped like every other tool's, comments kept", () => {
    const key = lookalike.github();
    const text = `// Zed settings\n{\n  "context_servers": {\n    // issues\n    "linear": { "command": "npx", "args": ["linear-mcp"], "env": { "API_TOKEN": "${key}" } }\n  }\n}\n`;
    const plan = planWrap(text, 'json', OPTIONS);
    expect(plan.servers.map((s) => s.server)).toEqual(['linear']);
    expect(plan.text).not.toContain(key);
    expect(plan.text).toContain('// Zed settings\n');
    expect(plan.text).toContain('    // issues\n');
    const wrapped = parseJsonc(plan.text) as { context_servers: { linear: Record<string, unknown> } };
    expect(wrapped.context_servers.linear).toEqual({ command: 'keyhold', args: ['run', '--profile', 'linear/mcp', '--', 'npx', 'linear-mcp'] });
  });
});
