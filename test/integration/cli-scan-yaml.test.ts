import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { cliHome, scanFindings } from '../helpers/cli-home';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// `keyhold scan` over YAML configs: Continue's ~/.continue/config.yaml (a well-known place) and a
// workspace's .continue/mcpServers/*.yaml. Read as free text, as .yaml files were, a key of no
// known shape under `apiKey:` or in a server's `env:` was missed.

let h: Awaited<ReturnType<typeof cliHome>>;
let home: string;
const env = () => h.env;
const KEYS = { proxy: lookalike.generic(), linear: lookalike.generic(), db: lookalike.generic() };

const findingsOf = scanFindings;

beforeAll(async () => {
  h = await cliHome('keyhold-cli-scan-yaml-');
  home = h.home;
  write(
    join(home, '.continue', 'config.yaml'),
    [
      'name: Local Assistant',
      'version: 1.0.0',
      'schema: v1',
      'models:',
      '  - name: Local proxy',
      '    provider: openai',
      '    apiBase: https://llm.internal.example/v1',
      `    apiKey: ${KEYS.proxy} # from the proxy's admin page`,
      'mcpServers:',
      '  - name: linear',
      '    command: npx',
      '    args: ["-y", "linear-mcp"]',
      '    env:',
      `      LINEAR_API_KEY: "${KEYS.linear}"`,
      '',
    ].join('\n'),
  );
  write(
    join(h.dir, 'shop', '.continue', 'mcpServers', 'db.yaml'),
    `name: DB\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: shop-db\n    command: uvx\n    args: [mcp-server-db]\n    env:\n      DB_PASSWORD: ${KEYS.db}\n`,
  );
});
afterAll(() => h.cleanup());

describe('keyhold scan over YAML configs', () => {
  it("finds what free text missed in Continue's config.yaml and a workspace's server block, by path, never printing a value", async () => {
    const r = await keyhold(['scan', join(h.dir, 'shop'), '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    for (const key of Object.values(KEYS)) expect(r.stdout + r.stderr).not.toContain(key);
    expect(findingsOf(r.stdout).map((f) => [f.file, f.line, f.where, f.server, f.rule, f.masked, f.wellKnown])).toEqual([
      [join(home, '.continue', 'config.yaml'), 8, 'models[0].apiKey', null, 'generic-secret', `…${KEYS.proxy.slice(-4)}`, true],
      [join(home, '.continue', 'config.yaml'), 14, 'mcpServers[0].env.LINEAR_API_KEY', 'linear', 'generic-secret', `…${KEYS.linear.slice(-4)}`, true],
      [
        join(h.dir, 'shop', '.continue', 'mcpServers', 'db.yaml'),
        9,
        'mcpServers[0].env.DB_PASSWORD',
        'shop-db',
        'generic-secret',
        `…${KEYS.db.slice(-4)}`,
        false,
      ],
    ]);
    const table = await keyhold(['scan', join(h.dir, 'shop')], { env: env() });
    expect(table.stdout).toContain('mcpServers[0].env.LINEAR_API_KEY');
  });

  it("--import puts each server's value in that server's profile, which run injects", async () => {
    const r = await keyhold(['scan', join(h.dir, 'shop'), '--import', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(findingsOf(r.stdout).map((f) => [f.where, f.import])).toEqual([
      ['models[0].apiKey', { result: 'imported', target: 'profile .continue/config.yaml apiKey' }],
      ['mcpServers[0].env.LINEAR_API_KEY', { result: 'imported', target: 'profile linear/mcp LINEAR_API_KEY' }],
      ['mcpServers[0].env.DB_PASSWORD', { result: 'imported', target: 'profile shop-db/mcp DB_PASSWORD' }],
    ]);
    const ran = await keyhold(
      [
        'run',
        '--profile',
        'linear/mcp',
        '--',
        process.execPath,
        '-e',
        'process.stdout.write(String(process.env.LINEAR_API_KEY === process.argv[1]))',
        KEYS.linear,
      ],
      { env: env() },
    );
    expect(ran.stdout, ran.stderr).toBe('true');
  });
});
