import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { SyncRunner } from '../../src/core/sync/runner';
import { connect, fastEngine, servers } from '../helpers/sync';
import { newVault, PASSWORD } from '../helpers/vault';

// Attack (by accident): the desktop app stays unlocked while the CLI changes the vault. What the
// app keeps in memory (the agent registry) went stale: it went on accepting profile keys the
// agent no longer declares, and a `set` decided "new agent" from its stale copy. A process that
// sees another's commits (PRAGMA data_version) reloads what it caches before deciding anything.
const CHILD = `
import { Vault } from ${JSON.stringify(join(import.meta.dirname, '../../src/core/vault/vault.ts'))};
const vault = Vault.open(process.env.DIR);
await vault.unlock(process.env.PASSWORD);
if (process.env.WHAT === 'profile') vault.profiles.create({ agentId: 'crm', name: 'from-cli', authData: { V: 'v' } });
else vault.agents.set({ agentId: 'crm', args: ['USER', 'PASS'] });
vault.close();
`;

const otherProcess = (dir: string, what: 'agent' | 'profile') =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, DIR: dir, PASSWORD, WHAT: what },
  });

describe("another process's writes", () => {
  it('are seen by an unlocked vault before it decides anything', async () => {
    const { vault, dir, cleanup } = await newVault();
    try {
      vault.agents.set({ agentId: 'crm', args: ['TOKEN'] });
      expect(() => vault.agents.checkKeys('crm', ['PASS'])).toThrow(/does not declare/);

      await otherProcess(dir, 'agent');

      expect(vault.agents.get('crm')?.args).toEqual(['USER', 'PASS']);
      expect(() => vault.agents.checkKeys('crm', ['PASS'])).not.toThrow();
      expect(() => vault.agents.checkKeys('crm', ['TOKEN'])).toThrow(/does not declare/);
      // Setting it again updates the one row the other process wrote; it does not add a second.
      vault.agents.set({ agentId: 'crm', args: ['USER'] });
      expect(vault.db.prepare('SELECT count(*) AS n FROM agents').get()).toEqual({ n: 1 });
    } finally {
      cleanup();
    }
  }, 30_000);

  it('an item another process queued is pushed by the background sync without anything else happening here', async () => {
    const { vault, dir, cleanup } = await newVault();
    const s = await servers();
    const engine = fastEngine(vault);
    const errors: unknown[] = [];
    const runner = new SyncRunner({ vault, pass: () => engine.pass(), watchMs: 20, onError: (e) => errors.push(e) });
    try {
      connect(vault, s);
      runner.start();
      await otherProcess(dir, 'profile');
      await vi.waitFor(() => expect(s.kura.profile('crm', 'from-cli')).toBeDefined(), { timeout: 10_000 });
      await vi.waitFor(() => expect(vault.profiles.get('crm/from-cli').syncState).toBe('synced'));
      expect(errors).toEqual([]);
    } finally {
      runner.stop();
      await runner.settled();
      await engine.close();
      await s.close();
      cleanup();
    }
  }, 30_000);
});
