import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';

const cleanups = useCleanups();
const child = join(import.meta.dirname, 'fixtures/rotate-child.ts');
const OTHER = 'the other master password';

/** Starts rotations in a child and kills it with SIGKILL `delayMs` after it says one began. */
async function killDuringRotation(dir: string, delayMs: number): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, PASSWORD, OTHER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(proc, 'exit');
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', () => resolve());
    proc.on('exit', () => reject(new Error(`rotation child exited early: ${stderr}`)));
  });
  await sleep(delayMs);
  proc.kill('SIGKILL');
  await exited;
}

// Attack (or bad luck): power loss or kill -9 in the middle of passwd, which rewrites every cell.
// The rotation is one transaction: the file holds the old vault or the new one, each opened by
// its own password, with every item readable and nothing damaged.
describe('kill -9 during passwd', () => {
  it('leaves a vault that one of the two passwords opens whole', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.createMany(
      Array.from({ length: 1500 }, (_, i) => ({ agentId: `agent-${i % 9}`, name: `p${i}`, authData: { A: `a${i}`, B: 'b'.repeat(100) } })),
    );
    v.vault.close();
    for (const delayMs of [5, 40, 150]) {
      await killDuringRotation(v.dir, delayMs);
      const vault = Vault.open(v.dir);
      expect(vault.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const opened = await vault.unlock(PASSWORD).then(
        () => true,
        () => false,
      );
      if (!opened) await vault.unlock(OTHER);
      expect(vault.profiles.count()).toBe(1500);
      expect(vault.profiles.damaged()).toEqual([]);
      expect(vault.profiles.get('agent-3/p1497', { reveal: true }).authData.A).toBe('a1497');
      expect(vault.audit.verify().ok).toBe(true);
      vault.close();
    }
  }, 120_000);
});
