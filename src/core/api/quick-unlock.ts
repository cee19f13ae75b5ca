import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { KeyholdError } from '../../shared/errors';
import type { SecretStoragePort } from '../desktop';
import { replaceFile0600Sync } from '../devflow/write-file';
import { Cells } from '../vault/cells';
import type { Vault } from '../vault/vault';

/**
 * The vault key kept for quick unlock, encrypted by the OS keychain (SecretStoragePort) and never
 * written any other way. It sits next to the vault directory, not inside it, so copying or backing
 * up the vault does not carry a keychain-bound copy of its key along.
 */
export const defaultQuickUnlockFile = (vaultDir: string): string => join(dirname(vaultDir), `.${basename(vaultDir)}.quick-unlock`);

/**
 * `madeAt`: when the key was stored, i.e. the last unlock by master password (each one stores it
 * anew). It is inside what the keychain encrypts, so it cannot be moved forward without the
 * keychain. Version 1 had no time and is refused like a stale key: one password unlock renews it.
 */
const Stored = z.object({ v: z.literal(2), vaultId: z.string(), key: z.string(), madeAt: z.number().int().nonnegative() });

/** How long a stored key may be used before the master password is asked for again. */
export const QUICK_UNLOCK_MAX_AGE_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A clock set back by a little (NTP) is tolerated; one set back further cannot be trusted to count. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

const EXPIRED = `Quick unlock has expired: Keyhold asks for the master password at least every ${QUICK_UNLOCK_MAX_AGE_DAYS} days. Unlock with your master password; quick unlock is set up again then.`;

const STALE =
  'Quick unlock no longer works for this vault (its stored key is out of date or damaged), so it was switched off. Unlock with your master password; quick unlock is set up again then.';

export class QuickUnlockStore {
  constructor(
    readonly file: string,
    private readonly storage: SecretStoragePort,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs: number = QUICK_UNLOCK_MAX_AGE_DAYS * DAY_MS,
  ) {}

  exists(): boolean {
    return existsSync(this.file);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }

  /** Keeps an OS-encrypted copy of the unlocked vault's key. */
  save(vault: Vault): void {
    const key = vault.cells().exportKey();
    let plain: string;
    try {
      plain = JSON.stringify({ v: 2, vaultId: vault.vaultId, key: key.toString('base64'), madeAt: this.now() } satisfies z.infer<typeof Stored>);
    } finally {
      key.fill(0);
    }
    const sealed = this.storage.encrypt(plain);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    // Written beside, flushed and renamed over: a crash leaves the old file or the new one, never
    // half a file that reads as "stale", and an unlock that set it up is not undone by a power cut.
    replaceFile0600Sync(this.file, sealed);
  }

  /**
   * The stored key, checked against this vault before anything uses it. Any failure removes the
   * file: a key that did not open the vault once will not open it later. So does age: a key stored
   * longer ago than the maximum age (or, by the clock, in the future) is refused as expired.
   */
  load(vault: Vault): { vaultId: string; key: Buffer } {
    if (!this.exists()) {
      throw new KeyholdError('SessionInvalid', 'Quick unlock is not set up yet. Unlock with your master password once; it is set up then.');
    }
    let key: Buffer | null = null;
    let expired = false;
    try {
      const parsed = Stored.safeParse(JSON.parse(this.storage.decrypt(readFileSync(this.file))));
      if (!parsed.success || parsed.data.vaultId !== vault.vaultId) throw new Error('stale');
      const age = this.now() - parsed.data.madeAt;
      if (age > this.maxAgeMs || age < -CLOCK_SLACK_MS) {
        expired = true;
        throw new Error('expired');
      }
      key = Buffer.from(parsed.data.key, 'base64');
      if (key.length !== 32 || !opensVault(vault, parsed.data.vaultId, key)) throw new Error('stale');
      return { vaultId: parsed.data.vaultId, key };
    } catch {
      key?.fill(0);
      this.remove();
      throw new KeyholdError('SessionInvalid', expired ? EXPIRED : STALE);
    }
  }
}

/**
 * Whether `key` is this vault's key, decided before unlocking: an unlock with a wrong key would
 * seal new audit entries with it. The audit chain head is sealed with the vault key from the
 * vault's first moment (its creation is audited), so it is always there to try.
 */
function opensVault(vault: Vault, vaultId: string, key: Buffer): boolean {
  const row = vault.db.prepare('SELECT audit_head FROM vault_meta WHERE id = 1').get() as { audit_head: Buffer | null } | undefined;
  if (!row?.audit_head) return false;
  const cells = new Cells(vaultId, Buffer.from(key));
  try {
    cells.decrypt('vault_meta', '1', 'audit_head', row.audit_head);
    return true;
  } catch {
    return false;
  } finally {
    cells.zero();
  }
}
