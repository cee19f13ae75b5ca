import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbPath } from '../../src/core/vault/db';
import { Vault } from '../../src/core/vault/vault';
import { keyhold } from '../helpers/cli';
import { apiHarness, MASTER } from '../integration/api-harness';
import { newVault, PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';
import { smallDisk } from '../helpers/small-disk';

// A disk fills up (or another process holds the vault's write lock past the wait) just when a person
// needs a credential, perhaps the one that lets them clean that disk. Reads used to fail with "the
// disk is full, so nothing was saved": opening the vault needs room for SQLite's shared memory, and
// every unlock and reveal writes an audit entry first. Now the read happens and the entry it could
// not store is named as missing; writes still fail and save nothing.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const API_KEY = 'sk-full-disk-0123456789';

describe('an audit entry that cannot be stored', () => {
  it('does not stop an unlock or a reveal, is named to listeners, and is recorded again once the vault is free', async () => {
    const { dir, vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const { id } = vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY } });
    vault.close();

    const reader = Vault.open(dir);
    cleanups.push(() => reader.close());
    reader.db.pragma('busy_timeout = 50');
    const heard: string[] = [];
    reader.audit.onUnrecorded((m) => heard.push(m));
    const holder = new Database(dbPath(dir));
    holder.exec('BEGIN IMMEDIATE');
    try {
      await reader.unlock(PASSWORD);
      expect(reader.profiles.get('crm/prod', { reveal: true }).authData).toEqual({ API_KEY });
      // A write still fails as before, saving nothing.
      expect(() => reader.profiles.edit('crm/prod', { set: { API_KEY: 'sk-changed-0123456789' } })).toThrow(/busy/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const busy = 'Another Keyhold window or command kept the vault busy for more than 5 seconds, so nothing was saved. Try again when it is done.';
    expect(heard).toEqual([
      `This unlock was not recorded in the vault's audit log. ${busy}`,
      `Reading this secret was not recorded in the vault's audit log. ${busy}`,
    ]);
    expect(heard.join('\n')).not.toContain(API_KEY);
    expect(reader.audit.list({ event: 'secret_revealed' })).toEqual([]);

    // The next entry this connection writes takes the two it could not, before itself.
    reader.profiles.get('crm/prod', { reveal: true });
    const newest = reader.audit.list({ limit: 3 }).map((e) => [e.event, e.detail]);
    expect(newest.reverse()).toEqual([
      ['unlock_ok', {}],
      ['secret_revealed', { item: 'profile', id }],
      ['secret_revealed', { item: 'profile', id }],
    ]);
    expect(heard).toHaveLength(2);
  });

  it('is an ordinary failure inside a transaction the caller has open', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { API_KEY } });
    const heard: string[] = [];
    vault.audit.onUnrecorded((m) => heard.push(m));
    vault.db.pragma('query_only = ON');
    try {
      // Outside one, the same failure is only heard...
      expect(vault.profiles.get('crm/prod', { reveal: true }).authData).toEqual({ API_KEY });
      expect(heard).toHaveLength(1);
      // ...inside one, the caller's transaction fails as a whole.
      expect(() => vault.db.transaction(() => vault.profiles.get('crm/prod', { reveal: true }))()).toThrow();
      expect(heard).toHaveLength(1);
    } finally {
      vault.db.pragma('query_only = OFF');
    }
  });
});

describe('the window', () => {
  it('reveals on a busy vault, and tells the page that Activity will not show it', async () => {
    const h = apiHarness();
    cleanups.push(() => void h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { API_KEY }, draft: true });
    const holder = new Database(dbPath(h.vaultDir));
    holder.exec('BEGIN IMMEDIATE');
    try {
      // After SQLite's wait for the write lock (5 s), the reveal goes on without its entry.
      expect(await h.ok('profileReveal', { ref: 'crm/prod', key: 'API_KEY' })).toEqual({ value: API_KEY });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(h.named('auditUnrecorded')).toEqual([
      {
        message:
          "Reading this secret was not recorded in the vault's audit log. Another Keyhold window or command kept the vault busy for more than 5 seconds, so nothing was saved. Try again when it is done.",
      },
    ]);
    expect(JSON.stringify(h.events)).not.toContain(API_KEY);
  }, 20_000);
});

// A real full disk: a 1 MiB tmpfs, where it can be mounted.
const small = smallDisk('keyhold-full-read-', 'reading-on-a-full-disk', 'the busy-vault test above');
const { mounted } = small;

describe('a disk that is really full', () => {
  it.runIf(mounted)('lists, shows and runs with the secrets, warns that the reads went unrecorded, and still saves nothing', async () => {
    const v = await cliVault('keyhold-sec-full-read-');
    cleanups.push(v.cleanup);
    const env = { ...v.env, KEYHOLD_VAULT: join(small.dir, 'vault') };
    const run = (args: string[]) => keyhold(args, { env });
    expect((await run(['init', '--kdf-memory', '1', '--kdf-iterations', '1'])).code).toBe(0);
    expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', `API_KEY=${API_KEY}`])).code).toBe(0);
    const filler = join(small.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(0));
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', 'count=2000']);
    try {
      const full = 'The disk holding the vault is full, so nothing was saved. Free some space and try again.';
      const list = await run(['profile', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.json<{ name: string }[]>().map((p) => p.name)).toEqual(['prod']);
      expect(list.stderr).toBe(`keyhold: warning: This unlock was not recorded in the vault's audit log. ${full}\n`);

      const show = await run(['profile', 'show', 'crm/prod', '--reveal', '--json']);
      expect(show.code, show.stderr).toBe(0);
      expect(show.json<{ authData: Record<string, string> }>().authData).toEqual({ API_KEY });
      expect(show.stderr).toBe(
        `keyhold: warning: This unlock was not recorded in the vault's audit log. ${full}\n` +
          `keyhold: warning: Reading this secret was not recorded in the vault's audit log. ${full}\n`,
      );

      const agent = await run(['run', '--profile', 'crm/prod', '--', process.execPath, '-e', 'process.stdout.write(String(process.env.API_KEY.length))']);
      expect(agent.code, agent.stderr).toBe(0);
      expect(agent.stdout).toBe(String(API_KEY.length));

      const add = await run(['profile', 'add', '--agent', 'crm', '--name', 'other', '--set', 'API_KEY=sk-0123456789']);
      expect(add.code).toBe(4);
      expect(add.stderr).toContain(`keyhold: ${full}\n`);
    } finally {
      spawnSync('rm', ['-f', filler]);
    }
    // Once there is room, nothing is missing and the next reveal is recorded.
    expect((await run(['profile', 'list', '--json'])).json<unknown[]>()).toHaveLength(1);
    await run(['profile', 'show', 'crm/prod', '--reveal']);
    const log = await run(['log', '--json']);
    expect(log.stdout).toContain('secret_revealed');
  });
});
