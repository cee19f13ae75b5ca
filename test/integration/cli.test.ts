import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { keyhold } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

let t: ReturnType<typeof tempDir>;
let env: Record<string, string>;
const ANTHROPIC = `sk-ant-api03-${'q'.repeat(40)}a1b2`;

beforeAll(async () => {
  t = tempDir('keyhold-cli-');
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
  const init = await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1', '--json'], { env });
  expect(init.code, init.stderr).toBe(0);
});
afterAll(() => t.cleanup());

const run = (args: string[], input?: string | Buffer) => keyhold(args, { env, ...(input === undefined ? {} : { input }) });

/** A vault of its own, for a test that must not add to the shared vault's items and log. */
async function ownVault(name: string) {
  const own = { KEYHOLD_VAULT: join(t.dir, name), KEYHOLD_PASSWORD: PASSWORD };
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: own })).code).toBe(0);
  return { env: own, run: (args: string[], input?: string) => keyhold(args, { env: own, ...(input === undefined ? {} : { input }) }) };
}

describe('keyhold CLI', () => {
  it('init refuses to overwrite an existing vault (exit 4)', async () => {
    const r = await run(['init']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^keyhold: A vault already exists/);
    // Said before a password is asked for: without one, the vault is still what stops init.
    const asked = await keyhold(['init'], { env: { KEYHOLD_VAULT: env.KEYHOLD_VAULT as string } });
    expect([asked.code, asked.stderr]).toEqual([4, `keyhold: A vault already exists in ${env.KEYHOLD_VAULT}.\n`]);
  });

  it('a wrong password has its own exit code and a one-line message', async () => {
    const r = await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_PASSWORD: 'not the right one' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('keyhold: Wrong master password.\n');
  });

  it('without a terminal or KEYHOLD_PASSWORD it says how to provide the password', async () => {
    const r = await keyhold(['profile', 'list'], { env: { KEYHOLD_VAULT: env.KEYHOLD_VAULT as string } });
    expect([r.code, r.stderr]).toEqual([
      2,
      'keyhold: No terminal to ask for the master password: set KEYHOLD_PASSWORD or use "keyhold unlock" for a session.\n',
    ]);
    // keyhold unlock itself is not sent to keyhold unlock.
    const unlock = await keyhold(['unlock'], { env: { KEYHOLD_VAULT: env.KEYHOLD_VAULT as string } });
    expect([unlock.code, unlock.stderr]).toEqual([2, 'keyhold: No terminal to ask for the master password: set KEYHOLD_PASSWORD.\n']);
  });

  it('passwd without a terminal names the variable it lacks, and no session, which cannot stand in for a password', async () => {
    const own = await ownVault('passwd-without-terminal');
    const next = await own.run(['passwd']);
    expect([next.code, next.stderr]).toEqual([2, 'keyhold: No terminal to ask for the new master password: set KEYHOLD_NEW_PASSWORD.\n']);
    const current = await keyhold(['passwd'], { env: { KEYHOLD_VAULT: own.env.KEYHOLD_VAULT, KEYHOLD_NEW_PASSWORD: 'the brand new password' } });
    expect([current.code, current.stderr]).toEqual([2, 'keyhold: No terminal to ask for the master password: set KEYHOLD_PASSWORD.\n']);
    const init = await keyhold(['init'], { env: { KEYHOLD_VAULT: join(t.dir, 'no-password') } });
    expect([init.code, init.stderr]).toEqual([2, 'keyhold: No terminal to ask for the new master password: set KEYHOLD_PASSWORD.\n']);
    expect((await own.run(['profile', 'list'])).code).toBe(0);
  });

  it('refuses plain http:// to another machine as bad input (exit 2), as ftp:// is: nothing was contacted', async () => {
    const own = await ownVault('insecure-url');
    for (const url of ['http://example.com', 'ftp://example.com']) {
      const r = await own.run(['remote', 'set', 'kura', '--url', url]);
      expect(r.code, url).toBe(2);
      expect(r.stderr, url).toMatch(/^keyhold: .*https:\/\/.*\n$/);
    }
    expect((await own.run(['remote', 'list', '--json'])).json()).toEqual([]);
  });

  it('refuses an expiry date that is not on the calendar instead of rolling it into the next month', async () => {
    const own = await ownVault('dates');
    await own.run(['profile', 'add', '--agent', 'dates', '--name', 'p', '--set', 'K=v']);
    await own.run(['byok', 'set', '--kind', 'dates', '--key-stdin'], ANTHROPIC);
    const state = async () => [(await own.run(['profile', 'show', 'dates/p', '--json'])).stdout, (await own.run(['byok', 'show', 'dates', '--json'])).stdout];
    const before = await state();
    for (const date of ['2026-02-30', '2027-02-29', '2026-04-31', '2026-02-29', '2100-02-29', '2026-13-01', '2026-00-10', '2026-01-00']) {
      for (const args of [
        ['profile', 'expiry', 'dates/p', 'K', '--expires', date],
        ['byok', 'expiry', 'dates', '--expires', date],
      ]) {
        const r = await own.run(args);
        expect([r.code, r.stderr], args.join(' ')).toEqual([2, `keyhold: --expires: ${date} is not a date.\n`]);
      }
    }
    expect(await state()).toEqual(before);
    for (const date of ['2028-02-29', '2000-02-29', '2026-12-31']) {
      expect((await own.run(['profile', 'expiry', 'dates/p', 'K', '--expires', date])).stdout).toMatch(new RegExp(`expires ${date},`));
      expect((await own.run(['byok', 'expiry', 'dates', '--expires', date])).stdout).toMatch(new RegExp(`expires ${date},`));
    }
  });

  it('sets connections with credentials from stdin and never prints them', async () => {
    expect((await run(['remote', 'set', 'kura', '--url', 'https://kura.example', '--api-key-stdin'], 'kura-secret-key\n')).code).toBe(0);
    expect((await run(['remote', 'set', 'backside', '--url', 'https://backside.example', '--token-stdin'], 'backside-bearer')).code).toBe(0);
    const list = await run(['remote', 'list', '--json']);
    expect(list.json()).toMatchObject([
      { kind: 'backside', url: 'https://backside.example', hasCredential: true },
      { kind: 'kura', url: 'https://kura.example', hasCredential: true },
    ]);
    expect(list.stdout).not.toContain('kura-secret-key');
    expect((await run(['remote', 'set', 'gitlab', '--url', 'https://x'])).code).toBe(2);
    expect((await run(['remote', 'set', 'kura', '--url', 'https://x', '--token-stdin'], 'x')).stderr).toMatch(/--api-key-stdin/);
  });

  it('manages profiles end to end with masked output by default', async () => {
    expect((await run(['agent', 'set', 'crm', '--args', 'USER,PASS,OTP'])).code).toBe(0);
    expect((await run(['agent', 'list', '--json'])).json()).toMatchObject([{ agentId: 'crm', args: ['USER', 'PASS', 'OTP'] }]);

    const add = await run(
      ['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=ann', '--set-stdin', 'PASS', '--save-session', '--json'],
      's3cr3t-from-stdin\n',
    );
    expect(add.code, add.stderr).toBe(0);
    const added = add.json<{ id: string; syncState: string }>();
    expect(added.syncState).toBe('pending');
    expect(add.stdout).not.toContain('s3cr3t');

    const draft = await run(['profile', 'add', '--agent', 'crm', '--name', 'later', '--set', 'USER=bob', '--draft', '--json']);
    expect(draft.json()).toMatchObject({ syncState: 'draft' });

    const list = (await run(['profile', 'list', '--json'])).json<Record<string, unknown>[]>();
    expect(list).toHaveLength(2);
    for (const item of list) {
      for (const field of ['id', 'agentId', 'name', 'keys', 'saveSession', 'syncState', 'hasToken', 'updatedAt']) expect(item).toHaveProperty(field);
    }
    expect(list[1]).toMatchObject({ agentId: 'crm', name: 'prod', keys: ['USER', 'PASS'], saveSession: true, hasToken: false });
    expect((await run(['profile', 'list', '--search', 'LATER', '--json'])).json()).toMatchObject([{ name: 'later' }]);

    const shown = await run(['profile', 'show', 'crm/prod']);
    expect(shown.stdout).toContain('PASS = ••••••••');
    expect(shown.stdout).not.toContain('s3cr3t');
    const revealed = (await run(['profile', 'show', added.id, '--reveal', '--json'])).json<{ authData: Record<string, string> }>();
    expect(revealed.authData).toEqual({ USER: 'ann', PASS: 's3cr3t-from-stdin' });

    expect((await run(['profile', 'edit', 'crm/prod', '--unset', 'USER', '--set', 'OTP=123456', '--no-save-session'])).code).toBe(0);
    expect((await run(['profile', 'show', 'crm/prod', '--json'])).json()).toMatchObject({ keys: ['PASS', 'OTP'], saveSession: false, version: 2 });
    const history = (await run(['profile', 'history', 'crm/prod', '--json'])).json<{ version: number }[]>();
    expect(history.map((h) => h.version)).toEqual([2, 1]);
    expect((await run(['profile', 'restore', 'crm/prod', '1'])).code).toBe(0);
    expect((await run(['profile', 'show', 'crm/prod', '--json'])).json()).toMatchObject({ keys: ['USER', 'PASS'], version: 3 });
    expect((await run(['profile', 'ready', 'crm/later', '--json'])).json()).toMatchObject({ syncState: 'pending' });

    expect((await run(['profile', 'rm', 'crm/later'])).code).toBe(0);
    expect((await run(['profile', 'show', 'crm/later'])).code).toBe(5);
  });

  it('refuses bad profile input with specific exit codes and changes nothing', async () => {
    const before = (await run(['profile', 'list', '--json'])).stdout;
    const cases: [string[], string | Buffer | undefined, number, RegExp][] = [
      [['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=x'], undefined, 6, /already exists/],
      [['profile', 'add', '--agent', 'crm', '--name', 'x', '--set', 'EVIL=1'], undefined, 2, /does not declare "EVIL"/],
      [['profile', 'add', '--agent', 'crm', '--name', '', '--set', 'USER=1'], undefined, 2, /may not be empty/],
      [['profile', 'add', '--agent', 'crm', '--name', 'x', '--set', 'novalue'], undefined, 2, /KEY=VALUE/],
      [['profile', 'add', '--agent', 'crm', '--name', 'x', '--set-stdin', 'USER'], Buffer.from([0x66, 0xff, 0xfe, 0x0a]), 2, /not valid UTF-8/],
      [['profile', 'add', '--agent', 'crm', '--name', 'x', '--set-stdin', 'USER'], 'v'.repeat(70_000), 2, /larger than 64 KiB/],
      [['profile', 'restore', 'crm/prod', 'abc'], undefined, 2, /positive whole number/],
      [['profile', 'add', '--name', 'x'], undefined, 2, /--agent/],
    ];
    for (const [args, input, exitCode, message] of cases) {
      const r = await run(args, input);
      expect(r.code, args.join(' ')).toBe(exitCode);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n').length, 'one line').toBeLessThanOrEqual(2);
    }
    expect((await run(['profile', 'list', '--json'])).stdout).toBe(before);
  });

  it('reads numbers as decimal digits only, and refuses one too long to hold exactly (not an internal error)', async () => {
    await run(['profile', 'add', '--agent', 'crm', '--name', 'numbers', '--set', 'USER=n']);
    await run(['profile', 'edit', 'crm/numbers', '--set', 'USER=m']);
    const before = (await run(['profile', 'show', 'crm/numbers', '--json'])).stdout;
    const cases: [string[], RegExp][] = [
      // 20 digits: Number() rounds it, and SQLite got a float it cannot use as a LIMIT.
      [['log', '--limit', '99999999999999999999'], /--limit must be a positive whole number/],
      [['log', '--limit', '0x10'], /--limit must be a positive whole number/],
      [['log', '--limit', '1e3'], /--limit must be a positive whole number/],
      [['log', '--limit', ' 5'], /--limit must be a positive whole number/],
      [['profile', 'diff', 'crm/numbers', '1e0', '2'], /VERSION must be a positive whole number, not "1e0"/],
      [['profile', 'diff', 'crm/numbers', '99999999999999999999', '2'], /VERSION must be a positive whole number, not "99999999999999999999"/],
      [['profile', 'restore', 'crm/numbers', '0x1'], /VERSION must be a positive whole number/],
      [['profile', 'expiry', 'crm/numbers', 'USER', '--rotate-days', '+30'], /--rotate-days takes a whole number of days/],
      [['profile', 'expiry', 'crm/numbers', 'USER', '--rotate-days', '99999999999999999999'], /--rotate-days takes a whole number of days/],
      [['profile', 'expiry', 'crm/numbers', 'USER', '--rotate-days', '4000'], /from 1 to 3650/],
      [['sync', '--timeout', '0x10'], /--timeout is a number of seconds above 0/],
      [['sync', '--timeout', 'Infinity'], /--timeout is a number of seconds above 0/],
      [['sync', '--timeout', '0'], /--timeout is a number of seconds above 0/],
      [['unlock', '--expires', '1e1'], /--expires is a whole number of minutes/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect((await run(['profile', 'show', 'crm/numbers', '--json'])).stdout).toBe(before);
    const other = join(t.dir, 'not-made');
    const init = await keyhold(['init', '--kdf-memory', '0x40', '--kdf-iterations', '1'], { env: { ...env, KEYHOLD_VAULT: other } });
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/--kdf-memory is a whole number of MiB/);
    expect(existsSync(other)).toBe(false);
    expect((await run(['log', '--limit', '0002', '--json'])).json()).toEqual({ entries: [expect.any(Object), expect.any(Object)], verify: null });
    expect((await run(['profile', 'diff', 'crm/numbers', '1', '2'])).code).toBe(0);
  });

  it("says limits in words, not in the schema library's", async () => {
    const many = Array.from({ length: 201 }, (_, i) => `K${i}`);
    const args = await run(['agent', 'set', 'limits', '--args', many.join(',')]);
    expect([args.code, args.stderr]).toEqual([2, 'keyhold: args: An agent declares at most 200 arguments.\n']);
    const allow = await run(['profile', 'add', '--agent', 'limits', '--name', 'x', '--set', 'K0=v', ...many.flatMap((k) => ['--allow-env', k])]);
    expect(allow.code).toBe(2);
    expect(allow.stderr).toMatch(/At most 200 keys can be allowed by name\./);
    for (const r of [args, allow]) expect(r.stderr).not.toMatch(/Too big|expected/);
  });

  it('manages BYOK keys, showing only a hint unless revealed', async () => {
    const set = await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin', '--json'], `${ANTHROPIC}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(ANTHROPIC);
    const list = (await run(['byok', 'list', '--json'])).json<Record<string, unknown>[]>();
    expect(list).toMatchObject([{ kind: 'claude-code', provider: 'anthropic', syncState: 'pending', keyHint: 'sk-ant-…a1b2' }]);
    expect((await run(['byok', 'show', 'claude-code'])).stdout).not.toContain(ANTHROPIC);
    expect((await run(['byok', 'show', 'claude-code', '--reveal', '--json'])).json()).toMatchObject({ apiKey: ANTHROPIC });
    const bad = await run(['byok', 'set', '--kind', 'x', '--key-stdin'], 'sk-live-nope-nope-nope-nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('sk-live-nope');
    expect((await run(['byok', 'rm', 'claude-code'])).code).toBe(0);
    expect((await run(['byok', 'show', 'claude-code'])).code).toBe(5);
  });

  it('log --verify passes on an intact chain and exits 8 when an entry was altered', async () => {
    const ok = await run(['log', '--verify', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ verify: { ok: true, problem: null } });
    const events = ok.json<{ entries: { event: string }[] }>().entries.map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining([
        'vault_created',
        'unlock_ok',
        'unlock_failed',
        'item_created',
        'item_changed',
        'item_deleted',
        'secret_revealed',
        'remote_changed',
      ]),
    );

    const db = new Database(dbPath(env.KEYHOLD_VAULT as string));
    db.prepare("UPDATE audit_log SET event = 'unlock_ok' WHERE seq = 2").run();
    db.close();
    const broken = await run(['log', '--verify']);
    expect(broken.code).toBe(8);
    expect(broken.stdout).toMatch(/CHAIN BROKEN .*entry 2 was altered/);
  });

  it('passwd changes the master password', async () => {
    const r = await keyhold(['passwd'], { env: { ...env, KEYHOLD_NEW_PASSWORD: 'the brand new password' } });
    expect(r.code, r.stderr).toBe(0);
    expect((await run(['profile', 'list'])).code).toBe(3);
    expect((await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_PASSWORD: 'the brand new password' } })).code).toBe(0);
  });

  it('points at a directory that is not a vault with exit 4', async () => {
    const r = await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_VAULT: t.dir } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/No vault found in /);
    // A tired user's typo and a file given for the folder get different words, the same exit code.
    const missing = await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_VAULT: join(t.dir, 'typo', 'vault') } });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/does not exist/);
    const file = await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_VAULT: '/dev/null' } });
    expect(file.code).toBe(4);
    expect(file.stderr).toMatch(/\/dev\/null is not a folder/);
  });
});
