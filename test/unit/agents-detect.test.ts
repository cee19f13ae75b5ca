import { describe, expect, it } from 'vitest';
import { classifyValue, detectDotenv, detectJson, detectShell, detectText, detectToml, formatPath, formatOf, KEY_RULES } from '../../src/core/agents';
import { lookalike, randomChars } from '../helpers/lookalike';

const CASES: [keyof typeof lookalike, string][] = [
  ['anthropic', 'anthropic-api-key'],
  ['openai', 'openai-api-key'],
  ['github', 'github-pat'],
  ['githubFine', 'github-fine-grained-pat'],
  ['aws', 'aws-access-token'],
  ['slack', 'slack-token'],
  ['stripe', 'stripe-access-token'],
  ['google', 'gcp-api-key'],
];

describe('key formats', () => {
  it.each(CASES)('recognises a %s look-alike by pattern, in free text and under any name', (kind, rule) => {
    const key = lookalike[kind]();
    expect(classifyValue('WHATEVER', key)?.rule).toBe(rule);
    const found = detectText(`first line\nconfig: "${key}" # here\n`);
    expect(found.map((f) => [f.rule, f.line, f.value])).toEqual([[rule, 2, key]]);
  });

  it('every rule cites the gitleaks rule it follows', () => {
    for (const rule of KEY_RULES) expect(rule.gitleaks).toMatch(/^[a-z0-9-]+(?:, [a-z0-9-]+)*$/);
  });

  it('ignores placeholders, references and low-entropy look-alikes', () => {
    for (const value of [
      `sk-proj-${'x'.repeat(60)}`,
      `ghp_${'0'.repeat(36)}`,
      'keyhold://profile/a/b/C',
      '${GITHUB_TOKEN}',
      '$(pass show github)',
      '<your-api-key-here>',
      'op://vault/item/field',
    ]) {
      expect(classifyValue('API_KEY', value), value).toBeNull();
    }
  });

  it('takes a random value under a secret-sounding name as a generic secret, not under other names', () => {
    const value = randomChars(32);
    expect(classifyValue('DB_PASSWORD', value)?.rule).toBe('generic-secret');
    expect(classifyValue('BUILD_ID', value)).toBeNull();
    expect(detectText(value)).toEqual([]);
  });

  it('reads a secret word glued to what it belongs to as tools write it (PGPASSWORD, dbPassword, a passphrase)', () => {
    const value = randomChars(32);
    for (const name of ['PGPASSWORD', 'dbPassword', 'adminPasswd', 'GPG_PASSPHRASE', 'signingPassphrase']) {
      expect(classifyValue(name, value)?.rule, name).toBe('generic-secret');
    }
    // Words that only contain one are not secret-sounding: OLDPWD is a folder, the rest say something about a password.
    for (const name of ['OLDPWD', 'passwordless', 'showPasswords', 'passwordHint']) {
      expect(classifyValue(name, value), name).toBeNull();
    }
  });

  it('does not take a key out of the middle of a longer token', () => {
    expect(detectText(`x${lookalike.aws()}Z`)).toEqual([]);
  });
});

describe('detectors', () => {
  it('reads a .env as dotenv does, with the line of each variable', () => {
    const key = lookalike.anthropic();
    const text = `# keys\nPORT=3000\n\nexport ANTHROPIC_API_KEY="${key}"\nSECRET_TOKEN='${randomChars(30)}'\n`;
    const found = detectDotenv(text);
    expect(found.map((f) => [f.name, f.line, f.rule, f.source])).toEqual([
      ['ANTHROPIC_API_KEY', 4, 'anthropic-api-key', 'dotenv'],
      ['SECRET_TOKEN', 5, 'generic-secret', 'dotenv'],
    ]);
    expect(found[0]!.value).toBe(key);
  });

  it('reads exports in a shell start-up file, and keys in other lines', () => {
    const a = lookalike.github();
    const b = lookalike.openai();
    const text = `alias ll='ls -l'\nexport GITHUB_TOKEN=${a}\nexport PATH="$HOME/bin:$PATH"\ncurl -H "Authorization: Bearer ${b}" x\n`;
    expect(detectShell(text).map((f) => [f.line, f.name, f.rule])).toEqual([
      [2, 'GITHUB_TOKEN', 'github-pat'],
      [4, null, 'openai-api-key'],
    ]);
  });

  it('reads MCP env blocks in JSON with comments, with path, server and line', () => {
    const key = lookalike.github();
    const text = `{\n  // servers\n  "servers": {\n    "gh": {\n      "command": "npx",\n      "env": { "GITHUB_TOKEN": "${key}", "LOG": "debug" },\n    },\n  },\n}\n`;
    const [f, ...rest] = detectJson(text);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ line: 6, server: 'gh', name: 'GITHUB_TOKEN', source: 'mcp-env', path: ['servers', 'gh', 'env', 'GITHUB_TOKEN'] });
    expect(formatPath(f!.path)).toBe('servers.gh.env.GITHUB_TOKEN');
  });

  it('reads Codex TOML, both env table forms, with lines', () => {
    const a = lookalike.slack();
    const b = lookalike.stripe();
    const text = `# codex\nmodel = "o3"\n\n[mcp_servers.slack]\ncommand = "npx"\n\n[mcp_servers.slack.env]\n# bot\nSLACK_BOT_TOKEN = "${a}"\n\n[mcp_servers.pay]\ncommand = "pay"\nenv = { STRIPE_KEY = "${b}" }\n`;
    expect(detectToml(text).map((f) => [f.line, formatPath(f.path), f.server, f.source])).toEqual([
      [9, 'mcp_servers.slack.env.SLACK_BOT_TOKEN', 'slack', 'mcp-env'],
      [13, 'mcp_servers.pay.env.STRIPE_KEY', 'pay', 'mcp-env'],
    ]);
  });

  it('falls back to key formats in a file that does not parse', () => {
    const key = lookalike.google();
    expect(detectJson(`{ "a": "${key}", `).map((f) => f.value)).toEqual([key]);
    expect(detectToml(`[x\nk = "${key}"`).map((f) => f.value)).toEqual([key]);
  });

  it('chooses a reader by file name, and none for source code, images or lock files', () => {
    expect(formatOf('/p/.env.local')).toBe('dotenv');
    expect(formatOf('/p/prod.env')).toBe('dotenv');
    expect(formatOf('/h/.zshrc')).toBe('shell');
    expect(formatOf('/p/.vscode/mcp.json')).toBe('json');
    expect(formatOf('/h/.codex/config.toml')).toBe('toml');
    expect(formatOf('/p/keyhold.toml')).toBeNull();
    expect(formatOf('/p/package-lock.json')).toBeNull();
    expect(formatOf('/p/index.ts')).toBeNull();
    expect(formatOf('/p/logo.png')).toBeNull();
  });
});
