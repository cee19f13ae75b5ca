import { describe, expect, it } from 'vitest';
import { planWrap, wrapDiff, type ConfigFormat, type WrapOptions } from '../../src/core/agents';
import { mcpRemoteArgsStart } from '../../src/core/agents/mcp-remote';
import { lookalike, randomChars } from '../helpers/lookalike';

// mcp wrap of a credential header on an mcp-remote command line (`--header "Authorization: Bearer …"`,
// how Claude Desktop and Cursor reach remote servers): its value goes to the vault and the argument
// becomes `Authorization:${AUTH_HEADER}`, which mcp-remote fills from the environment keyhold run
// gives it. Before, the header stayed in the file (and was named as left only when its token had a
// known key format).

const OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const server = (command: string, args: string[], env?: Record<string, string>) =>
  JSON.stringify({ mcpServers: { remote: { command, args, ...(env ? { env } : {}) } } }, null, 2);
const argsOf = (text: string) => (JSON.parse(text) as { mcpServers: { remote: { args: string[] } } }).mcpServers.remote.args;

describe('mcp wrap: a credential header of mcp-remote moves to the vault', () => {
  it('Claude Desktop: the header becomes Authorization:${AUTH_HEADER}, its whole value goes to AUTH_HEADER, every other byte stays', () => {
    const token = randomChars(40);
    const before = [
      '{',
      '  "mcpServers": {',
      '    "linear": {',
      '      "command": "npx",',
      `      "args": ["-y", "mcp-remote", "https://mcp.linear.app/sse", "--header", "Authorization: Bearer ${token}"]`,
      '    },',
      '    "filesystem": {',
      '      "command": "npx",',
      '      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]',
      '    }',
      '  },',
      '  "globalShortcut": "Ctrl+Space"',
      '}',
      '',
    ].join('\n');
    const plan = planWrap(before, 'json', OPTIONS);
    expect(plan.text).toBe(
      [
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
        '      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]',
        '    }',
        '  },',
        '  "globalShortcut": "Ctrl+Space"',
        '}',
        '',
      ].join('\n'),
    );
    expect(plan.servers.map((s) => [s.server, s.secrets])).toEqual([
      ['linear', [{ name: 'AUTH_HEADER', value: `Bearer ${token}`, rule: 'authorization-header', from: 'args' }]],
    ]);
    expect(plan.left).toEqual([]);
    const diff = wrapDiff('claude_desktop_config.json', before, plan);
    expect(diff).toContain('"--header", "Authorization: <concealed by keyhold>"]');
    expect(diff).toContain('+        "Authorization:${AUTH_HEADER}"');
    expect(diff).not.toContain(token);
  });

  it('TOML and YAML: the argument keeps its quoting, the header its spelling', () => {
    const [a, b] = [randomChars(40), randomChars(32)];
    const toml = `[mcp_servers.linear]\ncommand = "npx"\nargs = ['-y', 'mcp-remote', 'https://mcp.linear.app/sse', '--header', 'authorization: bearer ${a}']\n`;
    const t = planWrap(toml, 'toml', OPTIONS);
    expect(t.text).toBe(
      `[mcp_servers.linear]\ncommand = "keyhold"\nargs = ["run", "--profile", "linear/mcp", "--", "npx", '-y', 'mcp-remote', 'https://mcp.linear.app/sse', '--header', 'authorization:\${AUTH_HEADER}']\n`,
    );
    expect(t.servers[0]!.secrets).toEqual([{ name: 'AUTH_HEADER', value: `bearer ${a}`, rule: 'authorization-header', from: 'args' }]);
    const yaml = [
      'mcpServers:',
      '  - name: linear',
      '    command: npx',
      '    args:',
      '      - -y',
      '      - mcp-remote',
      '      - https://mcp.linear.app/sse',
      '      - --header',
      `      - 'Authorization: Bearer ${a}' # from linear.app/settings`,
      '  - name: ctx',
      '    command: bunx',
      `    args: [mcp-remote, "https://ctx.example.com/mcp", --header, "X-API-Key:${b}"]`,
      '',
    ].join('\n');
    const y = planWrap(yaml, 'yaml', OPTIONS);
    expect(y.text).toBe(
      [
        'mcpServers:',
        '  - name: linear',
        '    command: keyhold',
        '    args:',
        '      - run',
        '      - --profile',
        '      - linear/mcp',
        '      - --',
        '      - npx',
        '      - -y',
        '      - mcp-remote',
        '      - https://mcp.linear.app/sse',
        '      - --header',
        "      - 'Authorization:${AUTH_HEADER}' # from linear.app/settings",
        '  - name: ctx',
        '    command: keyhold',
        '    args: [run, --profile, ctx/mcp, --, bunx, mcp-remote, "https://ctx.example.com/mcp", --header, "X-API-Key:${X_API_KEY}"]',
        '',
      ].join('\n'),
    );
    expect(y.servers.map((s) => s.secrets)).toEqual([
      [{ name: 'AUTH_HEADER', value: `Bearer ${a}`, rule: 'authorization-header', from: 'args' }],
      [{ name: 'X_API_KEY', value: b, rule: 'api-key-header', from: 'args' }],
    ]);
    expect([t.left, y.left]).toEqual([[], []]);
  });

  it('runs only where mcp-remote reads the header: elsewhere the argument stays and is named as left', () => {
    const token = randomChars(40);
    const header = `Authorization: Bearer ${token}`;
    const moved = (command: string, args: string[]) => {
      const plan = planWrap(server(command, args), 'json', OPTIONS);
      return plan.servers.length === 1 && !plan.text.includes(token) && plan.left.length === 0;
    };
    for (const [command, args] of [
      ['npx', ['-y', 'mcp-remote', 'https://x.example/sse', '--header', header]],
      ['npx', ['--yes', 'mcp-remote@0.1.29', 'https://x.example/sse', '--header', header]],
      ['C:\\Program Files\\nodejs\\npx.cmd', ['mcp-remote@latest', 'https://x.example/sse', '--header', header]],
      ['mcp-remote', ['https://x.example/sse', '--transport', 'http-only', '--header', header]],
      ['bunx', ['--bun', 'mcp-remote', 'https://x.example/sse', '--header', header]],
      ['pnpm', ['dlx', 'mcp-remote', 'https://x.example/sse', '--header', header]],
      ['pnpx', ['mcp-remote', 'https://x.example/sse', '--header', header]],
      ['node', ['C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\mcp-remote\\dist\\proxy.js', 'https://x.example/sse', '--header', header]],
    ] as const) {
      expect(moved(command, [...args]), `${command} ${args.slice(0, 2).join(' ')}`).toBe(true);
    }
    for (const [command, args, index] of [
      // Not mcp-remote, or not a header it reads: curl's -H, --header=…, a `--header` taken as another's value.
      ['uvx', ['mcp-proxy', '--header', header, 'https://x.example/sse'], 2],
      ['npx', ['-y', 'mcp-remote-fork', 'https://x.example/sse', '--header', header], 4],
      ['npx', ['--package=mcp-remote', 'mcp-remote', 'https://x.example/sse', '--header', header], 4],
      ['cmd', ['/c', 'npx', '-y', 'mcp-remote', 'https://x.example/sse', '--header', header], 6],
      ['npx', ['mcp-remote', 'https://x.example/sse', '-H', header], 3],
      ['npx', ['mcp-remote', 'https://x.example/sse', `--header=${header}`], 2],
      ['npx', ['mcp-remote', 'https://x.example/sse', '--header', '--header', header], 4],
      ['node', ['/opt/other/dist/proxy.js', 'https://x.example/sse', '--header', header], 3],
    ] as const) {
      const plan = planWrap(server(command, [...args]), 'json', OPTIONS);
      expect(plan.servers, `${command} ${args.slice(0, 2).join(' ')}`).toEqual([]);
      expect(plan.text).toContain(token);
      expect(plan.left).toEqual([{ line: 6 + index, where: `mcpServers.remote.args[${index}]`, label: 'Authorization header' }]);
    }
  });

  it("a server's other secrets move with it; a name the server's env or an argument already uses for another value is not taken", () => {
    const [token, other, key, gh] = [randomChars(40), randomChars(40), randomChars(32), lookalike.github()];
    const plan = planWrap(
      server(
        'npx',
        [
          '-y',
          'mcp-remote',
          'https://x.example/sse',
          '--header',
          `Authorization: Bearer ${token}`,
          '--header',
          `X-API-Key: ${key}`,
          '--header',
          'X-Org:${X_API_KEY}',
        ],
        { AUTH_HEADER: `Bearer ${other}`, GITHUB_TOKEN: gh, REGION: 'eu' },
      ),
      'json',
      OPTIONS,
    );
    expect(plan.servers[0]!.secrets).toEqual([
      { name: 'AUTH_HEADER', value: `Bearer ${other}`, rule: 'bearer-token', from: 'env' },
      { name: 'GITHUB_TOKEN', value: gh, rule: 'github-pat', from: 'env' },
      { name: 'AUTH_HEADER_2', value: `Bearer ${token}`, rule: 'authorization-header', from: 'args' },
      { name: 'X_API_KEY_2', value: key, rule: 'api-key-header', from: 'args' },
    ]);
    expect(argsOf(plan.text).slice(-6)).toEqual([
      '--header',
      'Authorization:${AUTH_HEADER_2}',
      '--header',
      'X-API-Key:${X_API_KEY_2}',
      '--header',
      'X-Org:${X_API_KEY}',
    ]);
    for (const secret of [token, other, key, gh]) expect(plan.text).not.toContain(secret);
  });

  it('the same value in env and in a header is one variable, and leaves both places', () => {
    const token = randomChars(40);
    const plan = planWrap(
      server('npx', ['mcp-remote', 'https://x.example/sse', '--header', `Authorization:Bearer ${token}`], { AUTH_HEADER: `Bearer ${token}` }),
      'json',
      OPTIONS,
    );
    expect(plan.servers[0]!.secrets).toEqual([{ name: 'AUTH_HEADER', value: `Bearer ${token}`, rule: 'bearer-token', from: 'env' }]);
    expect(plan.text).not.toContain(token);
    expect(argsOf(plan.text).at(-1)).toBe('Authorization:${AUTH_HEADER}');
  });

  it('a value mcp-remote would not send as it is written, and a header whose variable keyhold run would refuse, stay', () => {
    const token = randomChars(40);
    const plan = planWrap(
      server('npx', [
        'mcp-remote',
        'https://x.example/sse',
        // mcp-remote fills ${…} in itself; a value with a line end in it is no header to it.
        ...['--header', `Cookie: theme=\${THEME}; session=${token}`],
        ...['--header', `X-API-Key: ${token}\n`],
        // KEYHOLD_SESSION_TOKEN: a name of Keyhold's own, which no profile may give.
        ...['--header', `Keyhold-Session-Token: ${token}`],
      ]),
      'json',
      OPTIONS,
    );
    expect(plan.servers).toEqual([]);
    expect(plan.left.map((l) => [l.where, l.label])).toEqual([
      ['mcpServers.remote.args[3]', 'Cookie header'],
      ['mcpServers.remote.args[5]', 'API key header'],
      ['mcpServers.remote.args[7]', 'Token header'],
    ]);
  });
});

describe("where mcp-remote's own arguments begin", () => {
  it('after the runner and its flags, and the package with or without a version', () => {
    const cases: [string, string[], number][] = [
      ['mcp-remote', ['https://x.example/sse'], 0],
      ['/usr/local/bin/mcp-remote.cmd', [], 0],
      ['npx', ['-y', 'mcp-remote', 'u'], 2],
      ['NPX.CMD', ['-q', '--prefer-offline', 'mcp-remote@latest', 'u'], 3],
      ['bunx', ['mcp-remote', 'u'], 1],
      ['pnpm', ['dlx', 'mcp-remote@0.1.29', 'u'], 2],
      ['node', ['/home/me/.npm-global/lib/node_modules/mcp-remote/dist/proxy.js', 'u'], 1],
      ['npx', ['-y', '@scope/mcp-remote', 'u'], -1],
      ['npx', ['--registry', 'https://r.example', 'mcp-remote'], -1],
      ['pnpm', ['exec', 'mcp-remote'], -1],
      ['uvx', ['mcp-remote'], -1],
      ['constructor', ['mcp-remote'], -1],
    ];
    expect(cases.map(([command, args]) => mcpRemoteArgsStart(command, args))).toEqual(cases.map((c) => c[2]));
  });
});

/** The formats share the rule: one config per format, each with a header that moves and one that stays. */
describe.each<[ConfigFormat, string, (token: string) => string]>([
  ['json', 'mcpServers', (t) => server('npx', ['mcp-remote', 'u', '--header', `X-API-Key: ${t}`, '-H', `X-API-Key: ${t}x`])],
  [
    'toml',
    'mcp_servers',
    (t) => `[mcp_servers.remote]\ncommand = "npx"\nargs = ["mcp-remote", "u", "--header", "X-API-Key: ${t}", "-H", "X-API-Key: ${t}x"]\n`,
  ],
  ['yaml', 'mcpServers', (t) => `mcpServers:\n  remote:\n    command: npx\n    args: [mcp-remote, u, --header, "X-API-Key: ${t}", -H, "X-API-Key: ${t}x"]\n`],
])('%s', (format, servers, config) => {
  it('moves the header mcp-remote reads, names the other as left', () => {
    const token = randomChars(32);
    const plan = planWrap(config(token), format, OPTIONS);
    expect(plan.servers[0]!.secrets).toEqual([{ name: 'X_API_KEY', value: token, rule: 'api-key-header', from: 'args' }]);
    expect(plan.left.map((l) => [l.where, l.label])).toEqual([[`${servers}.remote.args[10]`, 'API key header']]);
    expect(plan.text).not.toContain(`${token}"`);
    expect(plan.text).toContain(`${token}x`);
  });
});
