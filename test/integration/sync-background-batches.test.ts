import { afterEach, describe, expect, it, vi } from 'vitest';
import type Database from 'better-sqlite3';
import type * as DbModule from '../../src/core/vault/db';
import { SyncRunner } from '../../src/core/sync/runner';
import { KeyholdError } from '../../src/shared/errors';
import { connect, expectConverged, fastEngine, servers } from '../helpers/sync';
import { newVault } from '../helpers/vault';

// Counts the outermost transactions (commits) the engine runs; nested ones join the open one.
const commits = { n: 0 };
vi.mock('../../src/core/vault/db', async (importOriginal) => {
  const original = await importOriginal<typeof DbModule>();
  return {
    ...original,
    tx: <T>(db: Database.Database, fn: () => T): T => {
      if (!db.inTransaction) commits.n++;
      return original.tx(db, fn);
    },
  };
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the desktop's background sync", () => {
  it('drains 600 pending items in batches: a handful of commits, each connection decrypted once', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const s = await servers();
    cleanups.push(s.close);
    connect(vault, s);
    vault.profiles.createMany(Array.from({ length: 600 }, (_, i) => ({ agentId: 'crm', name: `p${i}`, authData: { V: `v${i}` } })));

    const engine = fastEngine(vault);
    cleanups.push(() => engine.close());
    const connection = vi.spyOn(vault.remotes, 'connection');
    const errors: unknown[] = [];
    const runner = new SyncRunner({ vault, pass: () => engine.pass(), onError: (e) => errors.push(e) });
    commits.n = 0;
    runner.start();
    await vi.waitFor(() => expect(vault.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 }), { timeout: 20_000 });
    await runner.settled();
    runner.stop();

    expect(errors).toEqual([]);
    expectConverged(vault, s);
    // One per row would be 600 or more. Outcomes are committed every 512 or every 250 ms, with the
    // next claims in the same commit: a few dozen here, more only on a very slow machine.
    expect(commits.n).toBeLessThan(150);
    expect(connection.mock.calls.filter(([kind]) => kind === 'kura')).toHaveLength(1);
  }, 30_000);

  it('takes a vault another process keeps busy as a later turn: no error shown, the next pass soon', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const errors: unknown[] = [];
    let passes = 0;
    const pass = () => {
      passes++;
      if (passes === 1) return Promise.reject(new KeyholdError('VaultBusy', 'busy'));
      return Promise.resolve([]);
    };
    const runner = new SyncRunner({ vault, pass, busyDelayMs: 20, errorDelayMs: 60_000, onError: (e) => errors.push(e) });
    runner.start();
    await vi.waitFor(() => expect(passes).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    runner.stop();
    expect(errors).toEqual([]);
  });
});
