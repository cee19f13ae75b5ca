import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { createSession, endAllSessions, unlockWithSession } from '../../src/core/vault/sessions';
import { Vault } from '../../src/core/vault/vault';
import { KeyholdError } from '../../src/shared/errors';
import { keyhold } from '../helpers/cli';
import { FAST_KDF, newVault, PASSWORD, tempDir } from '../helpers/vault';

const NEW_PASSWORD = 'a whole new master password';

function sessionCount(dir: string): number {
  const db = new Database(dbPath(dir), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function editSessions(dir: string, statement: string): void {
  const db = new Database(dbPath(dir));
  try {
    db.prepare(statement).run();
  } finally {
    db.close();
  }
}

function expectSessionInvalid(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeyholdError);
    expect((e as KeyholdError).code).toBe('SessionInvalid');
    expect((e as KeyholdError).message).toMatch(message);
    return;
  }
  expect.unreachable('the session was accepted');
}

describe('sessions (core)', () => {
  let v: Awaited<ReturnType<typeof newVault>>;
  let clock: number;
  beforeEach(async () => {
    clock = Date.UTC(2030, 0, 1);
    v = await newVault({ now: () => clock });
  });
  afterEach(() => v.cleanup());

  const reopen = () => Vault.open(v.dir, { now: () => clock });

  it('a token unlocks the vault until it expires, and an expired row is purged', async () => {
    const { token, expiresAt } = createSession(v.vault, 30);
    expect(expiresAt).toBe(new Date(clock + 30 * 60_000).toISOString());
    v.vault.close();
    const vault = reopen();
    try {
      expect(unlockWithSession(vault, token).expiresAt).toBe(expiresAt);
      expect(vault.unlocked).toBe(true);
      vault.lock();
      clock += 30 * 60_000;
      expectSessionInvalid(() => unlockWithSession(vault, token), /expired at 2030-01-01T00:30:00\.000Z/);
      expect(vault.unlocked).toBe(false);
      expect(sessionCount(v.dir)).toBe(0);
    } finally {
      vault.close();
    }
  });

  it('a session use is audited with the first entry it causes, and a listing alone writes nothing', async () => {
    const p = v.vault.profiles.create({ agentId: 'crm', name: 'p', authData: { K: 'v' } });
    const { token, id } = createSession(v.vault, 30);
    v.vault.close();
    const entries = () => {
      const vault = reopen();
      try {
        unlockWithSession(vault, token);
        return vault.audit.list().map((e) => ({ event: e.event, detail: e.detail }));
      } finally {
        vault.close();
      }
    };
    const before = entries().length;

    let vault = reopen();
    unlockWithSession(vault, token);
    expect(vault.profiles.list().map((s) => s.id)).toEqual([p.id]);
    vault.close();
    expect(entries()).toHaveLength(before);

    vault = reopen();
    unlockWithSession(vault, token);
    vault.profiles.get(p.id, { reveal: true });
    vault.close();
    const after = entries();
    expect(after.length).toBe(before + 2);
    // Newest first: the reveal, and the unlock that allowed it just before it.
    expect(after.slice(0, 2).map((e) => e.event)).toEqual(['secret_revealed', 'unlock_ok']);
    expect(after[1]?.detail).toEqual({ via: 'session', session: id });

    // A lock in between forgets it: the next unlock's entries do not claim the earlier session.
    vault = reopen();
    unlockWithSession(vault, token);
    vault.lock();
    await vault.unlock(PASSWORD);
    vault.profiles.get(p.id, { reveal: true });
    vault.close();
    const last = entries()
      .slice(0, 3)
      .map((e) => e.event);
    expect(last).toEqual(['secret_revealed', 'unlock_ok', 'secret_revealed']);
    const verify = reopen();
    await verify.unlock(PASSWORD);
    expect(verify.audit.verify().ok).toBe(true);
    verify.close();
  });

  it('refuses a token whose secret was changed, or a row whose expiry was pushed back outside Keyhold', async () => {
    const { token, id } = createSession(v.vault, 5);
    v.vault.close();
    const vault = reopen();
    try {
      const [tokenId, secret] = token.split('.') as [string, string];
      const flipped = `${tokenId}.${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
      expectSessionInvalid(() => unlockWithSession(vault, flipped), /does not match its session/);
      editSessions(v.dir, `UPDATE sessions SET expires_at = expires_at + 86400000 WHERE id = '${id}'`);
      expectSessionInvalid(() => unlockWithSession(vault, token), /does not match its session/);
      expectSessionInvalid(() => unlockWithSession(vault, 'not-a-token'), /is not a Keyhold session token/);
      expect(vault.unlocked).toBe(false);
    } finally {
      vault.close();
    }
  });

  it('a password change and endAllSessions revoke every session, audited', async () => {
    createSession(v.vault, 5);
    const { token } = createSession(v.vault, 5);
    await v.vault.changePassword(PASSWORD, NEW_PASSWORD, FAST_KDF);
    expect(sessionCount(v.dir)).toBe(0);
    expect(v.vault.audit.list({ event: 'sessions_revoked' })[0]?.detail).toEqual({ count: 2, reason: 'password_changed' });
    v.vault.lock();
    expectSessionInvalid(() => unlockWithSession(v.vault, token), /the session ended/);

    await v.vault.unlock(NEW_PASSWORD);
    createSession(v.vault, 5);
    expect(endAllSessions(v.vault, 'locked')).toBe(1);
    expect(v.vault.audit.list({ event: 'sessions_revoked' })[0]?.detail).toEqual({ count: 1, reason: 'locked' });
    expect(v.vault.audit.list({ event: 'session_created' })).toHaveLength(3);
  });
});

describe('keyhold unlock / lock (CLI)', () => {
  let t: ReturnType<typeof tempDir>;
  let vaultDir: string;
  const withPassword = () => ({ KEYHOLD_VAULT: vaultDir, KEYHOLD_PASSWORD: PASSWORD });
  const withSession = (token: string) => ({ KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: token });
  const unlock = async (args: string[] = []) => {
    const r = await keyhold(['unlock', '--raw', ...args], { env: withPassword() });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    t = tempDir('keyhold-sessions-');
    vaultDir = join(t.dir, 'vault');
    expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: withPassword() })).code).toBe(0);
    const add = await keyhold(['profile', 'add', '--agent', 'bot', '--name', 'prod', '--set', 'TOKEN=tok-session-test-123'], { env: withPassword() });
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(() => t.cleanup());

  it('unlock prints an export line for the shell, or the bare token with --raw', async () => {
    const r = await keyhold(['unlock'], { env: withPassword() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^export KEYHOLD_SESSION=[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).toMatch(/Session valid until .*keyhold lock/s);
    expect(await unlock()).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
  });

  it('a valid session replaces the password: no KEYHOLD_PASSWORD and no terminal needed', async () => {
    const token = await unlock(['--expires', '5']);
    const list = await keyhold(['profile', 'list', '--json'], { env: withSession(token) });
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toMatchObject([{ agentId: 'bot', name: 'prod' }]);
    const ran = await keyhold(
      [
        'run',
        '--profile',
        'bot/prod',
        '--no-mask',
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.TOKEN, process.env.KEYHOLD_SESSION ?? "no session")',
      ],
      {
        env: withSession(token),
      },
    );
    expect(ran.stdout).toBe('tok-session-test-123 no session\n');
    // Without either, the same command cannot ask for a password.
    expect((await keyhold(['profile', 'list'], { env: { KEYHOLD_VAULT: vaultDir } })).code).toBe(2);
  });

  it('refuses unknown, forged and expired tokens with exit 9 and a message without the token', async () => {
    const token = await unlock();
    const [id, secret] = token.split('.') as [string, string];
    const forged = `${id}.${secret.slice(0, 20)}${secret[20] === 'x' ? 'y' : 'x'}${secret.slice(21)}`;
    const unknown = `00000000-0000-4000-8000-000000000000.${secret}`;
    for (const [bad, message] of [
      [forged, /does not match its session/],
      [unknown, /not a session of this vault, or the session ended: it expired, or the vault was locked/],
      ['garbage', /is not a Keyhold session token/],
    ] as const) {
      const r = await keyhold(['profile', 'list'], { env: withSession(bad) });
      expect(r.code, bad).toBe(9);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Run "keyhold unlock"/);
      expect(r.stderr).not.toContain(secret);
    }
    editSessions(vaultDir, `UPDATE sessions SET expires_at = 1000 WHERE id = '${id}'`);
    const expired = await keyhold(['profile', 'list'], { env: withSession(token) });
    expect(expired.code).toBe(9);
    expect(expired.stderr).toMatch(/expired at 1970-01-01T00:00:01\.000Z/);
    // The expired row was purged on the way.
    expect((await keyhold(['profile', 'list'], { env: withSession(token) })).stderr).toMatch(/not a session of this vault/);
  });

  it('unlock always asks for the password and refuses a wrong one without creating a session', async () => {
    const token = await unlock();
    const before = sessionCount(vaultDir);
    const r = await keyhold(['unlock'], { env: { KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: token, KEYHOLD_PASSWORD: 'not the password' } });
    expect(r.code).toBe(3);
    expect(sessionCount(vaultDir)).toBe(before);
    expect((await keyhold(['unlock', '--expires', '0'], { env: withPassword() })).code).toBe(2);
    expect((await keyhold(['unlock', '--expires', '1441'], { env: withPassword() })).stderr).toMatch(/from 1 to 1440/);
  });

  it('Keyhold writes the token to no file of the vault', async () => {
    const token = await unlock();
    expect((await keyhold(['profile', 'show', 'bot/prod', '--reveal'], { env: withSession(token) })).code).toBe(0);
    const secretText = token.split('.')[1] as string;
    const secretBytes = Buffer.from(secretText, 'base64url');
    const files = readdirSync(vaultDir);
    expect(files).toContain('vault.sqlite');
    for (const name of files) {
      const bytes = readFileSync(join(vaultDir, name));
      for (const needle of [Buffer.from(token), Buffer.from(secretText), secretBytes]) {
        expect(bytes.includes(needle), name).toBe(false);
      }
    }
  });

  it('keyhold lock ends every session, with or without one in the environment, and audits it', async () => {
    const first = await unlock();
    const second = await unlock();
    const count = sessionCount(vaultDir);
    expect(count).toBeGreaterThanOrEqual(2);
    const r = await keyhold(['lock'], { env: withSession(first) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Locked: ended ${count} session(s) of this vault.\n`);
    expect(r.stderr).toMatch(/unset KEYHOLD_SESSION/);
    for (const token of [first, second]) expect((await keyhold(['profile', 'list'], { env: withSession(token) })).code).toBe(9);
    const again = await keyhold(['lock'], { env: { KEYHOLD_VAULT: vaultDir } });
    expect(again.stdout).toBe('Locked: ended 0 session(s) of this vault.\n');
    const log = (await keyhold(['log', '--json'], { env: withPassword() })).json<{ entries: { event: string; detail: Record<string, unknown> }[] }>().entries;
    expect(log.find((e) => e.event === 'sessions_revoked')?.detail).toEqual({ count, reason: 'locked' });
    expect(log.filter((e) => e.event === 'session_created').length).toBeGreaterThanOrEqual(count);
  });

  it('keyhold passwd revokes every session', async () => {
    const token = await unlock();
    const r = await keyhold(['passwd'], { env: { ...withPassword(), KEYHOLD_NEW_PASSWORD: NEW_PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
    const refused = await keyhold(['profile', 'list'], { env: withSession(token) });
    expect(refused.code).toBe(9);
    expect(refused.stderr).toMatch(/its master password changed/);
    expect(sessionCount(vaultDir)).toBe(0);
  });
});
