import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { openSession, unlockWithSession } from '../../src/core/vault/sessions';
import { Vault } from '../../src/core/vault/vault';
import { KeyholdError } from '../../src/shared/errors';
import { CLI, keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { cliVault } from './cli-env';

// Attack: an agent tool started from a shell with KEYHOLD_SESSION (so that its wrapped MCP servers
// and its apiKeyHelper can reach their keys) can run `keyhold profile show --reveal` on anything:
// a session token stood for the whole vault. `keyhold unlock --profile REF --byok KIND` now opens a
// session that holds those items only: its row seals their values, not the vault key, so neither
// Keyhold nor someone holding the token and the vault file gets anything else out of it.

const GH = 'ghp_dev0123456789abcdefDEV';
const PROD = 'prod-secret-0123456789-PROD';
const CLAUDE = `sk-ant-api03-${'c'.repeat(40)}`;

let v: Awaited<ReturnType<typeof cliVault>>;
let token: string;

/** keyhold with only the scoped session: no password in the environment. */
const withSession = (args: string[], session = token, input?: string) =>
  keyhold(args, {
    env: { KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: session, KEYHOLD_INSECURE_TEST_KDF: '1' },
    ...(input === undefined ? {} : { input }),
  });

function expectRefused(r: { code: number; stdout: string; stderr: string }, what: RegExp): void {
  expect(r.code).toBe(9);
  expect(r.stderr).toMatch(what);
  expect(r.stdout + r.stderr).not.toContain(PROD);
}

beforeAll(async () => {
  v = await cliVault('keyhold-sec-scoped-');
  await v.ok(['profile', 'add', '--agent', 'mcp', '--name', 'github', '--set', `GITHUB_TOKEN=${GH}`]);
  await v.ok(['profile', 'add', '--agent', 'prod', '--name', 'main', '--set', `AWS_SECRET=${PROD}`]);
  await v.ok(['byok', 'set', '--kind', 'claude-code', '--provider', 'anthropic', '--key-stdin'], CLAUDE);
  await v.ok(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], `sk-proj-${'r'.repeat(40)}`);
  token = (await v.ok(['unlock', '--raw', '--profile', 'mcp/github', '--byok', 'claude-code'])).stdout.trim();
});
afterAll(() => v.cleanup());

describe('a session for some items only', () => {
  it('fills a template on standard input with what it holds; a token it holds none of says why', async () => {
    const r = await withSession(['inject', '-i', '-'], token, 'GH={{ keyhold://profile/mcp/github/GITHUB_TOKEN }}\nKEY=keyhold://byok/claude-code\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`GH=${GH}\nKEY=${CLAUDE}\n`);
    const noToken = await withSession(['inject', '-i', '-'], token, 'T=keyhold://token/mcp/github\n');
    expect(noToken.code).toBe(5);
    expect(noToken.stdout).toBe('');
    expect(noToken.stderr).toContain('"mcp/github" had no Kura token when this session began; once it has one, unlock again.');
  });

  it('hands out what it holds: run --profile and byok print, without the password', async () => {
    const r = await withSession([
      'run',
      '--no-mask',
      '--profile',
      'mcp/github',
      '--byok',
      'claude-code',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(process.env.GITHUB_TOKEN + " " + process.env.ANTHROPIC_API_KEY)',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${GH} ${CLAUDE}`);
    expect((await withSession(['byok', 'print', 'claude-code'])).stdout).toBe(`${CLAUDE}\n`);
  });

  it('hands out nothing else: another item, a listing, a reveal, an export or a template are refused with exit 9', async () => {
    const marker = join(v.dir, 'started');
    const other = await withSession([
      'run',
      '--profile',
      'prod/main',
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
    ]);
    expectRefused(other, /is a session for mcp\/github, byok claude-code only, and it does not hold the profile "prod\/main"/);
    expect(existsSync(marker)).toBe(false);
    expectRefused(await withSession(['byok', 'print', 'research']), /does not hold the BYOK key for research/);
    for (const args of [
      ['profile', 'list'],
      ['profile', 'show', 'prod/main', '--reveal'],
      ['export', '-o', join(v.dir, 'x.age'), '--all', '--passphrase-stdin'],
    ]) {
      const r = await withSession(args, token, `keyhold://profile/prod/main/AWS_SECRET\n`);
      expectRefused(r, /is a session for mcp\/github, byok claude-code only, and this needs the whole vault\. Unset KEYHOLD_SESSION/);
    }
    expect(existsSync(join(v.dir, 'x.age'))).toBe(false);
    // A template on standard input is filled from what the session holds, and only from that.
    const template = 'A={{ keyhold://profile/mcp/github/GITHUB_TOKEN }}\nB=keyhold://profile/prod/main/AWS_SECRET\n';
    expectRefused(await withSession(['inject', '-i', '-', '-o', join(v.dir, 'out.env')], token, template), /does not hold the profile "prod\/main"/);
    expect(existsSync(join(v.dir, 'out.env'))).toBe(false);
    // A template file is checked against what was trusted, which only the whole vault holds.
    const file = join(v.dir, 'held.env.tpl');
    writeFileSync(file, 'A={{ keyhold://profile/mcp/github/GITHUB_TOKEN }}\n');
    await v.ok(['trust', file, '--yes']);
    expectRefused(await withSession(['inject', '-i', file]), /this needs the whole vault/);
  });

  it('holds no vault key: with the token and the vault file, only its own items come out, and a row made to look like a full session opens nothing', async () => {
    const vault = Vault.open(join(v.dir, 'vault'));
    try {
      const opened = openSession(vault, token);
      expect(opened.snapshot?.profiles.map((p) => `${p.agentId}/${p.name}`)).toEqual(['mcp/github']);
      expect(opened.snapshot?.byok.map((b) => b.kind)).toEqual(['claude-code']);
      expect(JSON.stringify(opened)).not.toContain(PROD);
      expect(() => unlockWithSession(vault, token)).toThrow(/this needs the whole vault/);
      expect(vault.unlocked).toBe(false);
    } finally {
      vault.close();
    }

    // Flip the row's kind outside Keyhold: its sealed bytes are bound to being a snapshot.
    const db = new Database(dbPath(join(v.dir, 'vault')));
    db.prepare('UPDATE sessions SET scoped = 0 WHERE id = ?').run(token.split('.')[0]);
    db.close();
    const flipped = Vault.open(join(v.dir, 'vault'));
    try {
      expect(() => unlockWithSession(flipped, token)).toThrow(KeyholdError);
      expect(() => unlockWithSession(flipped, token)).toThrow(/does not match its session/);
      expect(flipped.unlocked).toBe(false);
    } finally {
      flipped.close();
    }
    const restore = new Database(dbPath(join(v.dir, 'vault')));
    restore.prepare('UPDATE sessions SET scoped = 1 WHERE id = ?').run(token.split('.')[0]);
    restore.close();
    expect((await withSession(['byok', 'print', 'claude-code'])).code).toBe(0);
  });

  it('lets redact conceal what it holds, for the tool it serves', async () => {
    const r = await withSession(['redact'], token, `token ${GH} and key ${CLAUDE} and ${Buffer.from(GH).toString('base64')}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('token <concealed by keyhold> and key <concealed by keyhold> and <concealed by keyhold>\n');
  });

  it('is audited when it begins: the session, what it holds, and each reveal', async () => {
    const entries = (await v.ok(['log', '--json', '--limit', '50'])).json<{ entries: { event: string; detail: Record<string, unknown> }[] }>().entries;
    const created = entries.find((e) => e.event === 'session_created' && e.detail.only !== undefined);
    expect(created?.detail.only).toBe('mcp/github, byok claude-code');
    expect(entries.filter((e) => e.event === 'secret_revealed').length).toBeGreaterThanOrEqual(2);
  });

  it('holds the values as they were when it began; unlock again for new ones', async () => {
    await v.ok(['profile', 'edit', 'mcp/github', '--set', 'GITHUB_TOKEN=ghp_rotated_0123456789abcdef']);
    const r = await withSession([
      'run',
      '--no-mask',
      '--profile',
      'mcp/github',
      '--',
      process.execPath,
      '-e',
      'process.stdout.write(process.env.GITHUB_TOKEN)',
    ]);
    expect(r.stdout).toBe(GH);
    const fresh = (await v.ok(['unlock', '--raw', '--profile', 'mcp/github'])).stdout.trim();
    expect(
      (
        await withSession(
          ['run', '--no-mask', '--profile', 'mcp/github', '--', process.execPath, '-e', 'process.stdout.write(process.env.GITHUB_TOKEN)'],
          fresh,
        )
      ).stdout,
    ).toBe('ghp_rotated_0123456789abcdef');
  });

  it('lets scan run (its answers "unknown"), is refused for an item the vault does not hold, and ends with keyhold lock', async () => {
    const home = join(v.dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.env'), `ANTHROPIC_API_KEY=${lookalike.anthropic()}\n`);
    const scan = await keyhold(['scan', home, '--json'], { env: { KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: token, HOME: home } });
    expect(scan.code).toBe(1); // credentials were found
    expect(scan.json<{ findings: { inVault: string }[] }>().findings.map((f) => f.inVault)).toEqual(['unknown']);
    rmSync(home, { recursive: true });

    const missing = await v.run(['unlock', '--raw', '--profile', 'nobody/here']);
    expect(missing.code).toBe(5);
    expect(missing.stdout).toBe('');

    // The owner sees what it holds, never a value.
    const listed = await v.ok(['sessions']);
    expect(listed.stdout).toMatch(/mcp\/github, byok claude-code/);
    expect(listed.stdout).not.toContain(GH);

    // A real process with no terminal, as an agent tool starts its wrapped servers.
    const env = { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: token, KEYHOLD_INSECURE_TEST_KDF: '1' };
    expect(spawnSync(process.execPath, [CLI, 'byok', 'print', 'claude-code'], { env }).stdout.toString()).toBe(`${CLAUDE}\n`);
    await withSession(['lock']);
    expectRefused(await withSession(['byok', 'print', 'claude-code']), /the session ended/);
  });
});
