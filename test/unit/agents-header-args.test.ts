import { describe, expect, it } from 'vitest';
import { detect, type Detected } from '../../src/core/agents';
import { lookalike, randomChars } from '../helpers/lookalike';

// A credential header passed on a stdio server's command line: mcp-remote's `--header "Authorization:
// Bearer …"` (how Claude Desktop and Cursor reach remote servers), curl's `-H`, `--header=…`. Before,
// scan found one only when its token had a known format.

const shape = (found: readonly Detected[]) => found.map((f) => [f.line, f.path.join('.'), f.name, f.rule, f.value]);
const server = (command: string, args: string[]) => JSON.stringify({ mcpServers: { remote: { command, args } } }, null, 2);

describe("scan: a credential header among an MCP server's args", () => {
  it("JSON: with a space, without one, as --header=…, after curl's -H; the token alone of Bearer, under the names a headers object gives", () => {
    const [a, b, c, d] = [randomChars(40), randomChars(32), randomChars(24), randomChars(30)];
    const text = JSON.stringify(
      {
        mcpServers: {
          linear: { command: 'npx', args: ['-y', 'mcp-remote', 'https://mcp.linear.example.com/sse', '--header', `Authorization: Bearer ${a}`] },
          ctx: {
            command: 'npx',
            args: ['mcp-remote@latest', 'https://ctx.example.com/mcp', '--header', `Authorization:Bearer ${b}`, `--header=X-API-Key: ${c}`],
          },
          api: { command: 'curl', args: ['-sN', '-H', `Cookie: theme=dark; session=${d}`, 'https://api.example.com/mcp'] },
        },
      },
      null,
      2,
    );
    expect(shape(detect('json', text))).toEqual([
      [10, 'mcpServers.linear.args.4', 'LINEAR_TOKEN', 'authorization-header', a],
      [19, 'mcpServers.ctx.args.3', 'CTX_TOKEN', 'authorization-header', b],
      [20, 'mcpServers.ctx.args.4', 'CTX_API_KEY', 'api-key-header', c],
      [28, 'mcpServers.api.args.2', 'API_COOKIE', 'cookie-header', `theme=dark; session=${d}`],
    ]);
  });

  it('TOML and YAML find the same, at the paths of their args', () => {
    const [a, b] = [randomChars(40), randomChars(32)];
    const toml = [
      '[mcp_servers.linear]',
      'command = "npx"',
      `args = ["-y", "mcp-remote", "https://mcp.linear.example.com/sse", "--header", 'Authorization:Bearer ${a}']`,
      '',
      '[mcp_servers.ctx]',
      'command = "npx"',
      'args = [',
      '  "mcp-remote",',
      `  "--header=X-API-Key: ${b}",`,
      ']',
      '',
    ].join('\n');
    expect(shape(detect('toml', toml))).toEqual([
      [3, 'mcp_servers.linear.args.4', 'LINEAR_TOKEN', 'authorization-header', a],
      [7, 'mcp_servers.ctx.args.1', 'CTX_API_KEY', 'api-key-header', b],
    ]);
    const yaml = [
      'mcpServers:',
      '  - name: linear',
      '    command: npx',
      '    args:',
      '      - -y',
      '      - mcp-remote',
      '      - --header',
      `      - "Authorization: Bearer ${a}"`,
      '  - name: ctx',
      '    command: npx',
      `    args: [mcp-remote, -H, 'X-API-Key:${b}']`,
      '',
    ].join('\n');
    expect(shape(detect('yaml', yaml))).toEqual([
      [8, 'mcpServers.0.args.3', 'LINEAR_TOKEN', 'authorization-header', a],
      [11, 'mcpServers.1.args.2', 'CTX_API_KEY', 'api-key-header', b],
    ]);
  });

  it('placeholders, references, prose and headers that carry no credential are not findings; the credential beside them is', () => {
    const real = randomChars(36);
    const text = server('npx', [
      'mcp-remote',
      'https://mcp.example.com/sse',
      ...['--header', 'Authorization:${AUTH_HEADER}'],
      ...['--header', 'Authorization: Bearer ${TOKEN}'],
      ...['--header', 'Authorization: Bearer <token>'],
      ...['--header', 'X-API-Key: YOUR_API_KEY'],
      ...['--header', 'X-API-Key: ${env:API_KEY}'],
      ...['--header', 'Authorization: Bearer'],
      ...['--header', 'X-Auth-Token: short'],
      ...['-H', 'Token: see the settings page for yours'],
      ...['--header', 'Accept: text/event-stream'],
      ...['--header', 'X-Region: eu-west-1-abcdefgh'],
      ...['--header', `X-Auth-Token: ${real}`],
    ]);
    expect(shape(detect('json', text))).toEqual([[29, 'mcpServers.remote.args.23', 'REMOTE_AUTH_TOKEN', 'token-header', real]]);
  });

  it("a known key keeps its kind, without the scheme, as in a server's headers", () => {
    const gh = lookalike.github();
    const text = server('npx', ['mcp-remote', 'https://gh.example.com/mcp', '--header', `Authorization: Bearer ${gh}`]);
    expect(shape(detect('json', text))).toEqual([[9, 'mcpServers.remote.args.3', 'REMOTE_TOKEN', 'github-pat', gh]]);
  });

  it('hostile arguments of a megabyte get a plain answer', () => {
    // Lower case and digits: no key format can turn up in it by chance (`AIza…` would, one time in fifteen).
    const long = randomChars(1_000_000, 'abcdefghijklmnopqrstuvwxyz0123456789');
    const text = server('npx', [
      'mcp-remote',
      ...['--header', `Authorization: Bearer ${long}`],
      ...['--header', `${'a'.repeat(1_000_000)}-token: ${randomChars(8)}x`],
      ...['--header', `Authorization:${' '.repeat(1_000_000)}\n${'\t'.repeat(1000)}`],
      ...['--header', `X-API-Key:${'\u00a0'.repeat(500_000)}`],
      ':'.repeat(1_000_000),
      `${'-'.repeat(500_000)}:${'Bearer '.repeat(100_000)}`,
      `Cookie: ${'a=b;'.repeat(250_000)}`,
    ]);
    const found = detect('json', text);
    expect(found.map((f) => [f.path.join('.'), f.rule, f.value.length])).toEqual([
      ['mcpServers.remote.args.2', 'authorization-header', 1_000_000],
      ['mcpServers.remote.args.4', 'token-header', 9],
    ]);
    expect(found[0]!.value).toBe(long);
  });
});
