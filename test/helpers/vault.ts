import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KdfParams } from '../../src/core/crypto/kdf';
import { Vault } from '../../src/core/vault/vault';

// Tests lower the KDF cost (DESIGN.md allows it); the production default is 64 MiB, 3 passes.
export const FAST_KDF: KdfParams = { alg: 'argon2id', memoryKiB: 1024, iterations: 1, parallelism: 1 };
export const PASSWORD = 'correct horse battery staple';

export function tempDir(prefix = 'keyhold-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function newVault(options: { now?: () => number } = {}): Promise<{ vault: Vault; dir: string; cleanup: () => void }> {
  const t = tempDir();
  const dir = join(t.dir, 'vault');
  const vault = await Vault.create(dir, PASSWORD, { kdf: FAST_KDF, ...options });
  return {
    vault,
    dir,
    cleanup: () => {
      try {
        vault.close();
      } catch {
        // already closed by the test
      }
      t.cleanup();
    },
  };
}
