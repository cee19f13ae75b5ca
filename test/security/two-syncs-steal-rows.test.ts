import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncLease } from '../../src/core/sync/lease';
import { Vault } from '../../src/core/vault/vault';
import { connect, expectConverged, fastEngine, servers, untilRequests } from '../helpers/sync';
import { newVault, PASSWORD } from '../helpers/vault';

// Attack: the desktop app and a CLI (here two processes) sync one vault at once. Before the lease,
// the second one's start-up "recovered" the first one's rows in flight and pushed them again:
// Kura handed out a second token, invalidating the first, and whichever answer was recorded last
// won, so a vault could keep a token Kura no longer honours, marked synced.
const worker = join(import.meta.dirname, '../fixtures/sync-worker.ts');

function sync(dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', worker, dir, PASSWORD], { encoding: 'utf8' }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('two syncs at once on one vault', () => {
  it('push each item once, and every stored token is the one Kura holds', async () => {
    const { vault, dir, cleanup } = await newVault();
    const s = await servers();
    try {
      connect(vault, s);
      vault.profiles.createMany(Array.from({ length: 240 }, (_, i) => ({ agentId: 'crm', name: `p${i}`, authData: { V: `v${i}` } })));
      vault.close();
      // Slow enough that the first sync is still sending when the second process starts.
      s.kura.faults.latencyMs = 50;
      let firstDone = false;
      const first = sync(dir).finally(() => (firstDone = true));
      await untilRequests(s.kura, 4);
      const second = sync(dir);
      // The first is still sending when the second starts: the two really overlap.
      expect(firstDone).toBe(false);
      const [a, b] = await Promise.all([first, second]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout)).toMatchObject({ failed: 0, pending: 0 });

      const upserts = s.kura.requests.filter((r) => r.method === 'POST');
      expect(upserts).toHaveLength(240);
      const reopened = Vault.open(dir);
      await reopened.unlock(PASSWORD);
      expectConverged(reopened, s);
      reopened.close();
    } finally {
      await s.close();
      cleanup();
    }
  }, 60_000);

  it('a holder that lost the lease records nothing over the new holder', async () => {
    const { vault, cleanup } = await newVault();
    const s = await servers();
    try {
      connect(vault, s);
      vault.profiles.createMany(Array.from({ length: 20 }, (_, i) => ({ agentId: 'crm', name: `p${i}`, authData: { V: `v${i}` } })));
      s.kura.faults.latencyMs = 200;
      const engine = fastEngine(vault, { concurrency: 4 });
      const pass = engine.pass();
      await untilRequests(s.kura, 4);
      // This process froze past its expiry and another took the lease over (here: by force).
      vault.db.prepare("UPDATE sync_lease SET owner = 'someone-else', expires_at = ? WHERE id = 1").run(Date.now() + 60_000);
      await expect(pass).rejects.toMatchObject({ code: 'SyncBusy' });
      await engine.close();
      expect(vault.profiles.list().filter((p) => p.syncState === 'synced')).toEqual([]);
      expect(new SyncLease(vault.db, { label: 'test' }).holder()).toMatchObject({ owner: 'someone-else' });
    } finally {
      await s.close();
      cleanup();
    }
  }, 30_000);
});
