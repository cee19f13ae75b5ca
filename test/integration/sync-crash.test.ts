import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { connect, expectConverged, KEY, servers } from '../helpers/sync';
import { newVault, PASSWORD } from '../helpers/vault';

const worker = join(import.meta.dirname, '../fixtures/sync-worker.ts');

describe('kill -9 during sync', () => {
  it('loses no operation and no token: a restart finishes with remote == local', async () => {
    const { vault, dir, cleanup } = await newVault();
    const s = await servers();
    try {
      connect(vault, s);
      vault.profiles.createMany(Array.from({ length: 60 }, (_, i) => ({ agentId: 'crm', name: `p${i}`, authData: { V: `v${i}` } })));
      vault.byok.set({ kind: 'claude-code', apiKey: KEY('0009') });
      vault.close();
      // Slow answers, and some lost ones: the kill lands while requests are in flight.
      s.kura.faults.latencyMs = 15;
      s.kura.faults.next({ kind: 'resetAfter' }, 3);

      for (const killAfter of [10, 35]) {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, dir, PASSWORD], { stdio: 'ignore' });
        await new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => {
            if (s.kura.requests.length >= killAfter) {
              clearInterval(timer);
              child.kill('SIGKILL');
              resolve();
            }
          }, 2);
          child.on('exit', (code, signal) => {
            clearInterval(timer);
            if (signal !== 'SIGKILL') reject(new Error(`sync finished before the kill (exit ${code})`));
          });
        });
      }

      s.kura.faults.latencyMs = 0;
      // Async: the fake servers live in this process and must keep answering.
      const finish = await promisify(execFile)(process.execPath, ['--import', 'tsx', worker, dir, PASSWORD], { encoding: 'utf8' });
      expect(JSON.parse(finish.stdout)).toMatchObject({ failed: 0, pending: 0 });

      const reopened = Vault.open(dir);
      await reopened.unlock(PASSWORD);
      expectConverged(reopened, s);
      // Lost answers were recognised as our own creates, never reported as replacing someone else's.
      expect(reopened.profiles.list().filter((p) => p.lastSyncType === 'replace')).toEqual([]);
      reopened.close();
    } finally {
      await s.close();
      cleanup();
    }
  }, 60_000);
});
