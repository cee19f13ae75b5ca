import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { newVault, PASSWORD } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

const cleanups = useCleanups();

const writer = join(import.meta.dirname, '../fixtures/crash-writer.ts');

async function killDuringWrites(dir: string, afterBatches: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, PASSWORD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let committed = -1;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) committed = Number(line);
      if (committed >= afterBatches) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited early (${code}): ${stderr}`));
    });
  });
  await once(child, 'exit').catch(() => undefined);
  return committed;
}

describe('kill -9 in the middle of bulk writes', () => {
  it('reopens to an intact vault where every committed item decrypts', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.close();

    for (const afterBatches of [3, 12]) {
      const committed = await killDuringWrites(dir, afterBatches);
      const v = Vault.open(dir);
      expect(v.db.pragma('integrity_check', { simple: true })).toBe('ok');
      await v.unlock(PASSWORD);
      const list = v.profiles.list();
      // Every reported batch is there in full; a batch in flight is there in full or not at all.
      const names = new Set(list.map((p) => p.name));
      for (let b = 0; b <= committed; b++) {
        for (let i = 0; i < 50; i++) expect(names.has(`profile-${b}-${i}`)).toBe(true);
      }
      const batches = new Map<string, number>();
      for (const p of list) {
        const batch = p.name.split('-')[1] as string;
        batches.set(batch, (batches.get(batch) ?? 0) + 1);
      }
      for (const [batch, n] of batches) expect(n, `batch ${batch}`).toBe(50);
      for (const p of list) {
        const detail = v.profiles.get(p.id, { reveal: true });
        expect(Object.keys(detail.authData)).toEqual(['A', 'B', 'C', 'D', 'E']);
      }
      expect(v.audit.verify().ok).toBe(true);
      v.close();
    }
  });
});
