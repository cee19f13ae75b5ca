import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planWrap, wrapDiff } from '../../src/core/agents';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER } from '../integration/api-harness';

// Attack: the desktop window (whose renderer is not trusted with a secret the person did not reveal)
// asks for the preview of `mcp wrap` on a config. The diff concealed only the env values the wrap
// moves; its other lines showed every other credential in the file in clear: a token passed among a
// server's args (which the wrapped command keeps), a secret env value of a server the wrap leaves
// alone, a header of a remote server. `keyhold scan` reports (and masks) each of them. The CLI's
// `mcp wrap --dry-run` printed the same diff.

const t = tempDir('keyhold-sec-wrap-preview-');
afterAll(() => t.cleanup());

const tokenInArgs = lookalike.github();
const moved = lookalike.github();
const otherServers = lookalike.generic();
const header = lookalike.generic();
const SECRETS = { tokenInArgs, moved, otherServers, header };

// Each credential within the diff's three lines of context of a change.
const config = [
  '{',
  '  "mcpServers": {',
  `    "db": { "command": "node", "args": ["db.js"], "env": { "DB_PASSWORD": "${otherServers}" } },`,
  '    "github": {',
  '      "command": "npx",',
  `      "args": ["-y", "@modelcontextprotocol/server-github", "--token", "${tokenInArgs}"],`,
  '      "env": {',
  '        "LOG_LEVEL": "debug",',
  `        "GITHUB_PERSONAL_ACCESS_TOKEN": "${moved}"`,
  '      }',
  '    },',
  `    "linear": { "url": "https://mcp.linear.app/sse", "headers": { "X_API_KEY": "${header}" } }`,
  '  }',
  '}',
  '',
].join('\n');

function expectConcealed(diff: string): void {
  for (const [what, secret] of Object.entries(SECRETS)) expect(diff, what).not.toContain(secret);
  // The structure is still there to read.
  expect(diff).toContain('<concealed by keyhold>');
  expect(diff).toContain('"--token"');
  expect(diff).toContain('"@modelcontextprotocol/server-github"');
  expect(diff).toContain('"LOG_LEVEL": "debug"');
  expect(diff).toContain('"DB_PASSWORD"');
  expect(diff).toContain('"X_API_KEY"');
  expect(diff).toMatch(/^\+.*"run",$/m);
}

describe('the preview of mcp wrap', () => {
  it('shows in every line of the diff none of the credentials keyhold scan finds in the file', () => {
    const plan = planWrap(config, 'json', { server: 'github', keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' });
    expectConcealed(wrapDiff('mcp.json', config, plan));
  });

  it('in the window: mcpWrapPreview', async () => {
    mkdirSync(join(t.dir, 'home', '.cursor'), { recursive: true });
    const file = join(t.dir, 'home', '.cursor', 'mcp.json');
    writeFileSync(file, config);
    const h = apiHarness({ scanEnv: { HOME: join(t.dir, 'home') } });
    try {
      await h.ok('vaultCreate', { password: MASTER });
      const shown = await h.ok('mcpWrapPreview', { file });
      expect(shown.servers.sort()).toEqual(['db', 'github']);
      expectConcealed(shown.diff);
      expect(JSON.stringify(shown)).not.toContain(tokenInArgs);
      expect(readFileSync(file, 'utf8')).toBe(config);
    } finally {
      await h.cleanup();
    }
  });

  it('on the command line: mcp wrap --dry-run, for one server', async () => {
    const file = join(t.dir, '.mcp.json');
    writeFileSync(file, config);
    const r = await keyhold(['mcp', 'wrap', file, '--server', 'github', '--dry-run'], { env: { KEYHOLD_VAULT: join(t.dir, 'vault'), HOME: t.dir } });
    expect(r.code, r.stderr).toBe(0);
    expectConcealed(r.stdout);
    expect(r.stderr).not.toContain(tokenInArgs);
    expect(readFileSync(file, 'utf8')).toBe(config);
  });
});
