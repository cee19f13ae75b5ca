import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncLease } from '../../src/core/sync/lease';
import { Vault } from '../../src/core/vault/vault';
import { keyholdProcessAsync } from '../helpers/cli';
import { cliVaultWithServers, type servers } from '../helpers/sync';

// Attack: a second `keyhold sync` while another process syncs. It must neither barge in (see
// two-syncs-steal-rows) nor hang silently: it waits within its --timeout, then names the holder
// and exits with its own code. A holder killed with -9 must not block anyone.
// A spawned binary: what is under test is a process of its own (its pid, its exit at the deadline).
const run = (args: string[], env: Record<string, string>, input = '') => keyholdProcessAsync(args, { env, input });

let s: Awaited<ReturnType<typeof servers>>;
let env: Record<string, string>;
let vaultDir: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ s, env, vaultDir, close } = await cliVaultWithServers(run, 'keyhold-busy-'));
  expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], env, 's3cret')).code).toBe(0);
});
afterAll(() => close());

describe('a second sync while one runs', () => {
  it('waits within its timeout, then says who holds the vault and exits 10, pushing nothing', async () => {
    const vault = Vault.open(vaultDir);
    const lease = new SyncLease(vault.db, { label: 'the Keyhold desktop app' });
    expect(lease.tryAcquire()).toBeNull();
    try {
      const r = await run(['sync', '--timeout', '1'], env);
      expect(r.code).toBe(10);
      expect(r.stderr).toMatch(/Another sync is running on this vault: the Keyhold desktop app \(process \d+ on .+\)/);
      expect(r.stderr).toContain(`process ${process.pid}`);
      expect(s.kura.requests).toHaveLength(0);
    } finally {
      lease.release();
      vault.close();
    }
    const after = await run(['sync', '--timeout', '10'], env);
    expect(after.code, after.stderr).toBe(0);
    expect(s.kura.profile('crm', 'prod')).toBeDefined();
  }, 30_000);

  it('does not wait for a holder that was killed (its process is gone)', async () => {
    expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'staging', '--set-stdin', 'PASS'], env, 's3cret')).code).toBe(0);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const vault = Vault.open(vaultDir);
    // A lease a killed process left behind, valid for another hour.
    const lease = new SyncLease(vault.db, { label: 'keyhold sync', pid: dead, ttlMs: 3_600_000 });
    expect(lease.tryAcquire()).toBeNull();
    vault.close();
    const r = await run(['sync', '--timeout', '5'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(s.kura.profile('crm', 'staging')).toBeDefined();
  }, 30_000);
});
