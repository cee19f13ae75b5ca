import { describe, expect, it } from 'vitest';
import { detect, formatPath, planWrap, type ConfigFormat, type WrapOptions } from '../../src/core/agents';
import { storeWrapSecrets } from '../../src/core/agents/mcp-files';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { newVault } from '../helpers/vault';

// Where `mcp wrap` says, in the history of a server's profile, its values were: the path as scan
// shows it (formatPath). It was the path joined with dots, `mcpServers.0.env` for an entry of
// Continue's list, which scan shows as `mcpServers[0].env.GITHUB_TOKEN`.

const cleanups = useCleanups();
const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

describe('the history of a wrapped server’s profile', () => {
  it('names the server’s env by the path scan shows its values at', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const [gh, db] = [lookalike.github(), lookalike.generic()];
    const configs: { file: string; format: ConfigFormat; text: string; profile: string; source: string }[] = [
      {
        file: '/home/me/.continue/config.yaml',
        format: 'yaml',
        text: `models: []\nmcpServers:\n  - name: github\n    command: npx\n    env:\n      GITHUB_TOKEN: ${gh}\n`,
        profile: 'github/mcp',
        source: '/home/me/.continue/config.yaml (mcpServers[0].env: GITHUB_TOKEN)',
      },
      {
        file: '/home/me/proj/.mcp.json',
        format: 'json',
        text: JSON.stringify({ mcpServers: { 'shop-db': { command: 'uvx', args: ['mcp-server-db'], env: { DB_PASSWORD: db } } } }),
        profile: 'shop-db/mcp',
        source: '/home/me/proj/.mcp.json (mcpServers["shop-db"].env: DB_PASSWORD)',
      },
    ];
    for (const { file, format, text, profile, source } of configs) {
      storeWrapSecrets(v.vault, planWrap(text, format, OPTIONS), file);
      expect(v.vault.profiles.history(profile).map((h) => h.source)).toEqual([source]);
      // The same form as the finding's own place in `keyhold scan`.
      const where = formatPath(detect(format, text)[0]!.path);
      expect(where.startsWith(/\((.*):/.exec(source)![1]!)).toBe(true);
    }
  });

  it('names the command line for what came from it: an mcp-remote header and docker -e beside env', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const [token, gh, key] = [lookalike.generic(), lookalike.github(), lookalike.generic()];
    const text = JSON.stringify({
      mcpServers: {
        linear: {
          command: 'npx',
          args: ['-y', 'mcp-remote', 'https://mcp.linear.app/sse', '--header', `Authorization: Bearer ${token}`],
          env: { GITHUB_TOKEN: gh },
        },
        tools: { command: 'docker', args: ['run', '-i', '--rm', '-e', `TOOLS_API_KEY=${key}`, 'tools:latest'] },
      },
    });
    storeWrapSecrets(v.vault, planWrap(text, 'json', OPTIONS), '/home/me/mcp.json');
    expect(v.vault.profiles.history('linear/mcp').map((h) => h.source)).toEqual([
      '/home/me/mcp.json (mcpServers.linear.env: GITHUB_TOKEN; mcpServers.linear.args: AUTH_HEADER)',
    ]);
    expect(v.vault.profiles.history('tools/mcp').map((h) => h.source)).toEqual(['/home/me/mcp.json (mcpServers.tools.args: TOOLS_API_KEY)']);
  });
});
