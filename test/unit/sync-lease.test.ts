import { afterEach, describe, expect, it } from 'vitest';
import { SyncLease } from '../../src/core/sync/lease';
import { newVault } from '../helpers/vault';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function vaultWithClaimedRow() {
  const { vault, cleanup } = await newVault();
  cleanups.push(cleanup);
  const created = vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { V: 'v' } });
  vault.db.prepare('UPDATE outbox SET inflight_version = 1, inflight_since = 1 WHERE item_id = ?').run(created.id);
  const inflight = () => (vault.db.prepare('SELECT count(*) AS n FROM outbox WHERE inflight_version IS NOT NULL').get() as { n: number }).n;
  return { vault, inflight };
}

describe('SyncLease', () => {
  it('one holder at a time; the rows a live holder has in flight stay its own', async () => {
    const { vault, inflight } = await vaultWithClaimedRow();
    let now = 1_000_000;
    const a = new SyncLease(vault.db, { label: 'a', now: () => now, ttlMs: 30_000 });
    const b = new SyncLease(vault.db, { label: 'b', now: () => now, ttlMs: 30_000 });
    expect(a.tryAcquire()).toBeNull();
    // Taking a free lease recovers what a previous holder left claimed.
    expect(inflight()).toBe(0);
    vault.db.prepare('UPDATE outbox SET inflight_version = 1').run();
    expect(b.tryAcquire()).toMatchObject({ owner: a.owner, label: 'a', expiresAt: now + 30_000 });
    expect(inflight()).toBe(1);
    now += 29_000;
    expect(b.tryAcquire()).not.toBeNull();
    a.release();
    b.release();
  });

  it('an expired lease is taken over, its rows recovered, and the old holder can no longer write', async () => {
    const { vault, inflight } = await vaultWithClaimedRow();
    let now = 1_000_000;
    const a = new SyncLease(vault.db, { label: 'a', now: () => now, ttlMs: 30_000 });
    const b = new SyncLease(vault.db, { label: 'b', now: () => now, ttlMs: 30_000 });
    expect(a.tryAcquire()).toBeNull();
    vault.db.prepare('UPDATE outbox SET inflight_version = 1').run();
    now += 30_001;
    expect(b.tryAcquire()).toBeNull();
    expect(inflight()).toBe(0);
    expect(() => a.check()).toThrow(/Another process took over/);
    // Giving up a lease it no longer holds changes nothing.
    a.release();
    expect(b.holder()).toMatchObject({ owner: b.owner });
    b.release();
    expect(b.holder()).toBeNull();
  });

  it('holds nest: the lease is given up, and its rows made due, only at the last release', async () => {
    const { vault, inflight } = await vaultWithClaimedRow();
    const a = new SyncLease(vault.db, { label: 'a' });
    expect(a.tryAcquire()).toBeNull();
    expect(a.tryAcquire()).toBeNull();
    vault.db.prepare('UPDATE outbox SET inflight_version = 1').run();
    a.release();
    expect(a.holder()).toMatchObject({ owner: a.owner });
    expect(inflight()).toBe(1);
    a.release();
    expect(a.holder()).toBeNull();
    expect(inflight()).toBe(0);
  });

  it('a holder on this host whose process is gone is not waited for', async () => {
    const { vault } = await vaultWithClaimedRow();
    const dead = new SyncLease(vault.db, { label: 'killed', pid: 999_999, host: 'here', ttlMs: 3_600_000 });
    expect(dead.tryAcquire()).toBeNull();
    const elsewhere = new SyncLease(vault.db, { label: 'b', host: 'elsewhere', isAlive: () => false });
    expect(elsewhere.tryAcquire()).not.toBeNull();
    const here = new SyncLease(vault.db, { label: 'c', host: 'here', isAlive: () => false });
    expect(here.tryAcquire()).toBeNull();
    here.release();
  });

  it('acquire waits until its deadline, then names the holder', async () => {
    const { vault } = await vaultWithClaimedRow();
    const a = new SyncLease(vault.db, { label: 'the Keyhold desktop app' });
    expect(a.tryAcquire()).toBeNull();
    const b = new SyncLease(vault.db, { label: 'b' });
    await expect(b.acquire({ deadline: Date.now() + 50, pollMs: 10 })).rejects.toMatchObject({
      code: 'SyncBusy',
      message: expect.stringMatching(/^Another sync is running on this vault: the Keyhold desktop app \(process \d+ on /),
    });
    a.release();
    await expect(b.acquire({ deadline: Date.now() + 50 })).resolves.toBeUndefined();
    b.release();
  });
});
