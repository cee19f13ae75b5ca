import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KDF_FLOOR } from '../../src/core/crypto/kdf';
import { Vault } from '../../src/core/vault/vault';
import { rejection, useCleanups } from '../helpers/cleanup';
import { keyholdProcess as keyhold } from '../helpers/cli';
import { FAST_KDF, newVault, PASSWORD, tempDir } from '../helpers/vault';
import { raw } from './tamper';

const cleanups = useCleanups();

/** Rewrites the header's KDF parameters and, as an attacker can, its unkeyed checksum to match. */
function forgeKdf(dir: string, kdf: object): void {
  const db = raw(dir);
  const h = db.prepare('SELECT vault_id, salt, verifier, wrapped_key FROM vault_meta WHERE id = 1').get() as {
    vault_id: string;
    salt: Buffer;
    verifier: Buffer;
    wrapped_key: Buffer;
  };
  const text = JSON.stringify(kdf);
  const sum = createHash('sha256')
    .update(`${h.vault_id}|${text}|${h.salt.toString('hex')}|${h.verifier.toString('hex')}|${h.wrapped_key.toString('hex')}`)
    .digest();
  db.prepare('UPDATE vault_meta SET kdf = ?, header_sum = ? WHERE id = 1').run(text, sum);
  db.close();
}

// The real floor is read from the process environment: these runs spawn the binary (keyholdProcess).
const PROD = { KEYHOLD_INSECURE_TEST_KDF: '' };

// Attack: edit the file's header to ask for Argon2id with 8 KiB of memory, so the password the
// person types next goes through a derivation cheap enough to guess at scale. Before: the header
// was obeyed (and the failure looked like a wrong password). Now: refused before any derivation,
// with an error that says why, from every way in (core, CLI, doctor).
describe('a header with KDF parameters below the floor', () => {
  it('is refused on unlock with WeakKdf, even with the test floor lowered', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.close();
    forgeKdf(v.dir, { alg: 'argon2id', memoryKiB: 8, iterations: 1, parallelism: 1 });
    const vault = Vault.open(v.dir);
    cleanups.push(() => vault.close());
    const e = await rejection(vault.unlock(PASSWORD));
    expect(e.code).toBe('WeakKdf');
    expect(e.message).toContain('8 KiB');
    expect(vault.unlocked).toBe(false);
  });

  it('without the test switch, the floor is the documented one: a 1 MiB vault is refused by the CLI (exit 4)', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.close();
    const env = { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD };
    expect(keyhold(['profile', 'list'], { env }).code).toBe(0);
    const r = keyhold(['profile', 'list'], { env: { ...env, ...PROD } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${KDF_FLOOR.memoryKiB / 1024} MiB`);
    const doctor = keyhold(['doctor', '--json'], { env: { ...env, ...PROD } });
    expect(doctor.code).toBe(8);
    expect(doctor.json<{ header: { ok: boolean; problem: string } }>().header).toMatchObject({ ok: false });
  });

  it('init and passwd refuse parameters below the floor before asking anything, and create nothing', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    const env = { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD, ...PROD };
    const init = keyhold(['init', '--kdf-memory', '8', '--kdf-iterations', '3'], { env });
    expect(init.code).toBe(4);
    expect(init.stderr).toMatch(/below Keyhold's floor/);
    expect(existsSync(join(dir, 'vault.sqlite'))).toBe(false);
    expect(keyhold(['init', '--kdf-memory', '64', '--kdf-iterations', '1'], { env }).code).toBe(4);
    expect(keyhold(['init', '--kdf-memory', '19', '--kdf-iterations', '2'], { env }).code).toBe(0);
    const passwd = keyhold(['passwd', '--kdf-memory', '4'], { env: { ...env, KEYHOLD_NEW_PASSWORD: 'a whole new master password' } });
    expect(passwd.code).toBe(4);
    expect(keyhold(['profile', 'list'], { env }).code).toBe(0);
    // In-process callers get the same refusal (the test floor is 1 MiB, 1 pass).
    expect((await rejection(Vault.create(join(t.dir, 'other'), PASSWORD, { kdf: { ...FAST_KDF, memoryKiB: 512 } }))).code).toBe('WeakKdf');
  }, 60_000);
});
