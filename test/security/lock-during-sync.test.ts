import { afterEach, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { expectConverged, servers, untilRequests } from '../helpers/sync';
import { apiHarness, MASTER } from '../integration/api-harness';

// Attack (by accident): the vault locks (idle, suspend, screen lock) while background sync is
// pushing. Before the fix the pass went on sending the rows it had already claimed after the key
// was gone, could record none of the answers, and left its rows claimed in the file. Locking must
// stop it at once: no more requests, no writes, no errors reported, every row due again.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('locking during a background sync', () => {
  it('stops sending, records nothing, reports no error, and leaves every row recoverable', async () => {
    const s = await servers();
    cleanups.push(s.close);
    const h = apiHarness({ sync: { concurrency: 4, backoff: { baseMs: 1, capMs: 20 } } });
    cleanups.push(h.cleanup);
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('remoteSet', { kind: 'kura', url: s.kura.url, credential: KURA_TEST_API_KEY });
    await h.ok('remoteSet', { kind: 'backside', url: s.backside.url, credential: BACKSIDE_TEST_TOKEN });
    await h.ok('vaultLock');

    const other = Vault.open(h.vaultDir);
    await other.unlock(MASTER);
    other.profiles.createMany(Array.from({ length: 100 }, (_, i) => ({ agentId: 'crm', name: `p${i}`, authData: { V: `v${i}` } })));
    other.close();

    s.kura.faults.latencyMs = 100;
    await h.ok('vaultUnlock', { password: MASTER });
    await untilRequests(s.kura, 6);
    await h.ok('vaultLock');
    const sentAtLock = s.kura.requests.length;
    const synced = (v: Vault) => v.db.prepare("SELECT count(*) AS n FROM profiles WHERE sync_state = 'synced'").get();
    const reader = Vault.open(h.vaultDir);
    const syncedAtLock = synced(reader);
    await settle(600);

    // At most the requests already on the wire when the lock came; none started after it.
    expect(s.kura.requests.length - sentAtLock).toBeLessThanOrEqual(4);
    expect(h.errors).toEqual([]);
    expect(synced(reader)).toEqual(syncedAtLock);
    expect(reader.db.prepare('SELECT count(*) AS n FROM outbox WHERE inflight_version IS NOT NULL').get()).toEqual({ n: 0 });
    expect(reader.db.prepare('SELECT count(*) AS n FROM sync_lease').get()).toEqual({ n: 0 });
    reader.close();

    s.kura.faults.latencyMs = 0;
    await h.ok('vaultUnlock', { password: MASTER });
    await h.ok('syncNow');
    const check = Vault.open(h.vaultDir);
    await check.unlock(MASTER);
    expectConverged(check, s);
    check.close();
  }, 30_000);
});
