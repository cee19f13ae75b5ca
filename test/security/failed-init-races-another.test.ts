import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Header from '../../src/core/vault/header';
import { FAST_KDF, tempDir } from '../helpers/vault';

// Two `keyhold init`s (or an init and the window's "create vault") on one folder at once, one of
// which fails after it made its database file (its key derivation could not have the memory it
// asked for, its disk filled up). The failed one cleans up what it made; that cleanup removed the
// database's name first and its -wal and -shm after, so a second init that took the name in
// between lost its WAL, the vault it had just written. Here the steps are interleaved on purpose:
// the other init runs, as a separate process, at each step of the failed one's cleanup.

/** Runs before each file or folder removal this process makes, while set. */
let beforeRemove: ((path: string) => void) | null = null;
/** Runs just before this process creates a vault's database file, while set. */
let beforeCreate: ((path: string) => void) | null = null;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  return {
    ...real,
    rmSync: (...args: Parameters<typeof real.rmSync>) => {
      beforeRemove?.(String(args[0]));
      real.rmSync(...args);
    },
    rmdirSync: (...args: Parameters<typeof real.rmdirSync>) => {
      beforeRemove?.(String(args[0]));
      real.rmdirSync(...args);
    },
    openSync: (...args: Parameters<typeof real.openSync>) => {
      if (args[1] === 'wx' && String(args[0]).endsWith('vault.sqlite')) beforeCreate?.(String(args[0]));
      return real.openSync(...args);
    },
  };
});

/** While set, deriving a new vault's key runs this and then fails. */
let keyFails: (() => void) | null = null;
const KEY_FAILED = 'Argon2id could not allocate the memory it was asked for';
vi.mock('../../src/core/vault/header', async (importOriginal) => {
  const real = await importOriginal<typeof Header>();
  return {
    ...real,
    prepareHeader: async (...args: Parameters<typeof real.prepareHeader>) => {
      if (keyFails) {
        keyFails();
        throw new Error(KEY_FAILED);
      }
      return real.prepareHeader(...args);
    },
  };
});

const { DB_FILES, dbPath } = await import('../../src/core/vault/db');
const { Vault } = await import('../../src/core/vault/vault');

const LOSER = 'the password of the init that fails';
const WINNER = 'the password of the init that wins';
const racer = join(import.meta.dirname, '../fixtures/init-racer.ts');

interface Winner {
  child: ChildProcess;
  report: { created: boolean; code?: string; message?: string };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  beforeRemove = null;
  beforeCreate = null;
  keyFails = null;
  for (const c of cleanups.splice(0)) c();
});

/**
 * Runs the other init to its end, synchronously (the failed init's cleanup is synchronous, and it
 * is to wait at the step it reached): starts the child, then sleeps until it reports.
 */
function otherInit(dir: string, reportDir: string): Winner {
  const report = join(reportDir, 'report.json');
  const child = spawn(process.execPath, ['--import', 'tsx', racer, dir, WINNER, report], { stdio: ['pipe', 'ignore', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 20_000;
  while (!existsSync(report)) {
    if (Date.now() > deadline) throw new Error('the other init did not finish in 20 seconds');
    Atomics.wait(nap, 0, 0, 10);
  }
  return { child, report: JSON.parse(readFileSync(report, 'utf8')) as Winner['report'] };
}

async function stop(winner: Winner): Promise<void> {
  const exited = new Promise((resolve) => winner.child.once('exit', resolve));
  winner.child.stdin?.end();
  await exited;
}

/** Opens the vault with the winner's password and lists it; refuses the loser's. */
async function opensForTheWinner(dir: string): Promise<void> {
  const vault = Vault.open(dir);
  try {
    await expect(vault.unlock(LOSER)).rejects.toMatchObject({ code: 'WrongPassword' });
    await vault.unlock(WINNER);
    expect(vault.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual(['crm/prod']);
  } finally {
    vault.close();
  }
}

describe('a failed init racing another init of the same folder', () => {
  // Step n: the other init runs just before the failed one's (n+1)th removal, or after its
  // cleanup when it makes fewer.
  it.each([0, 1, 2, 3, 4])('never removes or damages the vault the other made (it runs at step %i of the cleanup)', async (step) => {
    const t = tempDir('keyhold-init-race-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    let winner: Winner | null = null;
    let removals = 0;
    beforeRemove = () => {
      if (removals++ === step) winner = otherInit(dir, t.dir);
    };
    keyFails = () => undefined;

    await expect(Vault.create(dir, LOSER, { kdf: FAST_KDF })).rejects.toThrow(KEY_FAILED);
    beforeRemove = null;
    keyFails = null;
    const other: Winner = winner ?? otherInit(dir, t.dir);

    if (!other.report.created) {
      // It lost: the folder held the failed init's file when it looked. It says so, and the failed
      // init left nothing behind.
      expect(other.report).toEqual({ created: false, code: 'VaultExists', message: `A vault already exists in ${dir}.` });
      expect(DB_FILES.filter((f) => existsSync(join(dir, f)))).toEqual([]);
      return;
    }
    // It won, and still runs: all its files are there, and its vault opens, from here, with its password.
    expect(DB_FILES.filter((f) => existsSync(join(dir, f)))).toEqual(DB_FILES);
    await opensForTheWinner(dir);
    await stop(other);
    await opensForTheWinner(dir);
  });

  it('leaves the other alone when its own half-made vault was removed and another made meanwhile', async () => {
    const t = tempDir('keyhold-init-race-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    let other: Winner | null = null;
    // The key derivation is slow; meanwhile someone removed the folder and ran init again.
    keyFails = () => {
      rmSync(dir, { recursive: true });
      other = otherInit(dir, t.dir);
    };
    await expect(Vault.create(dir, LOSER, { kdf: FAST_KDF })).rejects.toThrow(KEY_FAILED);
    const winner = other as Winner | null;
    expect(winner?.report).toEqual({ created: true });
    expect(DB_FILES.filter((f) => existsSync(join(dir, f)))).toEqual(DB_FILES);
    await opensForTheWinner(dir);
    await stop(winner as Winner);
    await opensForTheWinner(dir);
  });

  it('an init whose new folder another failed init removed (empty) before the database was made makes it again', async () => {
    const t = tempDir('keyhold-init-race-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    let removed = false;
    beforeCreate = () => {
      if (removed) return;
      removed = true;
      rmSync(dir, { recursive: true });
    };
    const vault = await Vault.create(dir, WINNER, { kdf: FAST_KDF });
    vault.close();
    expect(removed).toBe(true);
    const again = Vault.open(dir);
    await again.unlock(WINNER);
    again.close();
    expect(existsSync(dbPath(dir))).toBe(true);
  });
});
