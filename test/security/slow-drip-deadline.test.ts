import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyholdProcessAsync } from '../helpers/cli';
import { cliVaultWithServers, connect, fastEngine, servers } from '../helpers/sync';
import type { Vault } from '../../src/core/vault/vault';
import { newVault } from '../helpers/vault';

// Attack: a server (hostile, or broken) answers, then sends its body one byte a second. Every
// gap is shorter than the between-chunk timeout, so before the fix `keyhold sync --timeout 2`
// stayed alive for as long as the server liked (here 400 s, far past this test's limit).
const DRIP = { kind: 'drip', intervalMs: 1_000, minBytes: 400 } as const;

// A spawned binary: what is under test is a process of its own (its pid, its exit at the deadline).
const run = (args: string[], env: Record<string, string>, input = '') => keyholdProcessAsync(args, { env, input });

let s: Awaited<ReturnType<typeof servers>>;
let env: Record<string, string>;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ s, env, close } = await cliVaultWithServers(run, 'keyhold-drip-'));
});
afterAll(() => close());

describe('a server that drips its answer', () => {
  it('cannot keep `keyhold sync --timeout` alive past its deadline; the item stays pending', async () => {
    expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], env, 's3cret')).code).toBe(0);
    s.kura.faults.next(DRIP, 10);
    const r = await run(['sync', '--timeout', '2', '--json'], env);
    expect(r.code, r.stderr).toBe(7);
    const summary = JSON.parse(r.stdout) as { timedOut: boolean; pending: { ref: string }[] };
    expect(summary.timedOut).toBe(true);
    expect(summary.pending.map((p) => p.ref)).toEqual(['crm/prod']);

    // Nothing was left claimed: the next run pushes it.
    s.kura.faults.clear();
    const again = await run(['sync', '--timeout', '10'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(s.kura.profile('crm', 'prod')).toBeDefined();
  }, 25_000);

  it('a background pass (no run deadline) ends the request at its whole-request limit, as a timeout to retry', async () => {
    await withDrippingKura(async (vault) => {
      const engine = fastEngine(vault, { http: { requestTimeoutMs: 1_500, bodyTimeoutMs: 5_000, headersTimeoutMs: 5_000 } });
      const results = await engine.pass();
      await engine.close();
      expect(results).toMatchObject([{ outcome: 'retry', state: 'pending', message: expect.stringMatching(/did not answer in time/) }]);
    });
  }, 25_000);

  it('"Sync now" that joins a background pass still ends at its own deadline', async () => {
    await withDrippingKura(async (vault) => {
      const engine = fastEngine(vault);
      let backgroundDone = false;
      const background = engine.pass().finally(() => (backgroundDone = true));
      const summary = await engine.syncAll({ timeoutMs: 500 });
      expect(summary.timedOut).toBe(true);
      expect(backgroundDone).toBe(false);
      // Locking cancels the background pass too; it ends without recording anything.
      engine.cancel();
      expect(await background).toEqual([]);
      await engine.close();
      expect(vault.profiles.get('crm/prod').syncState).toBe('pending');
    });
  }, 25_000);
});

/** A new vault holding one pending profile, connected to fakes of its own whose Kura drips its next answer. */
async function withDrippingKura(fn: (vault: Vault) => Promise<void>): Promise<void> {
  const { vault, cleanup } = await newVault();
  const local = await servers();
  try {
    connect(vault, local);
    vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { V: 'v' } });
    local.kura.faults.next(DRIP, 1);
    await fn(vault);
  } finally {
    await local.close();
    cleanup();
  }
}
