import { join } from 'node:path';
import { expect } from 'vitest';
import { SyncEngine, type SyncEngineOptions } from '../../src/core/sync/engine';
import type { Vault } from '../../src/core/vault/vault';
import { BACKSIDE_TEST_TOKEN, startFakeBackside, type FakeBackside } from '../fakes/backside';
import { KURA_TEST_API_KEY, startFakeKura, type FakeKura } from '../fakes/kura';
import { PASSWORD, tempDir } from './vault';

export const KEY = (tail: string) => `sk-ant-api03-${'k'.repeat(30)}${tail}`;

/** Tiny backoff and no real waiting: retries happen at once, in order. */
export function fastEngine(vault: Vault, options: SyncEngineOptions = {}): SyncEngine {
  return new SyncEngine(vault, {
    backoff: { baseMs: 1, capMs: 5 },
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    http: { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 },
    ...options,
  });
}

export async function servers(
  opts: { agents?: Record<string, string[]> } = {},
): Promise<{ kura: FakeKura; backside: FakeBackside; close: () => Promise<void> }> {
  const kura = await startFakeKura(opts.agents ? { agents: opts.agents } : {});
  const backside = await startFakeBackside();
  return { kura, backside, close: async () => void (await Promise.all([kura.close(), backside.close()])) };
}

export function connect(vault: Vault, s: { kura: FakeKura; backside: FakeBackside }): void {
  vault.remotes.set({ kind: 'kura', url: s.kura.url, credential: KURA_TEST_API_KEY });
  vault.remotes.set({ kind: 'backside', url: s.backside.url, credential: BACKSIDE_TEST_TOKEN });
}

/** remote == local: every synced profile and key is on the fakes with the same values and token. */
export function expectConverged(vault: Vault, s: { kura: FakeKura; backside: FakeBackside }): void {
  for (const p of vault.profiles.list()) {
    expect(p.syncState, `${p.agentId}/${p.name}`).toBe('synced');
    const local = vault.profiles.load(p.id);
    const remote = s.kura.profile(p.agentId, p.name);
    expect(remote, `${p.agentId}/${p.name} on Kura`).toBeDefined();
    expect(remote?.auth_data).toEqual(local.secrets.authData);
    expect(remote?.should_save_session).toBe(local.meta.saveSession);
    expect(remote?.token).toBe(local.remote?.authToken);
  }
  for (const b of vault.byok.list()) {
    expect(b.syncState, b.kind).toBe('synced');
    expect(s.backside.state.keys.get(b.kind)).toBe(vault.byok.load(b.id).secrets.apiKey);
  }
  expect(vault.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
}

/** Resolves once `server` has received at least `n` requests (a sync is under way). */
export function untilRequests(server: { requests: readonly unknown[] }, n: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (server.requests.length >= n) {
        clearInterval(t);
        resolve();
      }
    }, 2);
  });
}

type CliRun = (args: string[], env: Record<string, string>, input?: string) => Promise<{ code: number }>;

/**
 * The CLI sync tests' setup: the fakes running, and a vault in a temporary folder made with
 * `keyhold init` (fast KDF) whose connections to them (both, unless told) are set through `run`.
 */
export async function cliVaultWithServers(run: CliRun, prefix: string, connect: readonly ('kura' | 'backside')[] = ['kura', 'backside']) {
  const t = tempDir(prefix);
  const s = await servers();
  const vaultDir = join(t.dir, 'vault');
  const env: Record<string, string> = { KEYHOLD_VAULT: vaultDir, KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  expect((await run(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], env)).code).toBe(0);
  if (connect.includes('kura')) expect((await run(['remote', 'set', 'kura', '--url', s.kura.url, '--api-key-stdin'], env, KURA_TEST_API_KEY)).code).toBe(0);
  if (connect.includes('backside')) {
    expect((await run(['remote', 'set', 'backside', '--url', s.backside.url, '--token-stdin'], env, BACKSIDE_TEST_TOKEN)).code).toBe(0);
  }
  return {
    s,
    env,
    vaultDir,
    close: async () => {
      await s.close();
      t.cleanup();
    },
  };
}
