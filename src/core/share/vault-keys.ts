import { z } from 'zod';
import { KeyholdError } from '../../shared/errors';
import type { VaultIdentity } from '../../shared/share';
import { sql, tx } from '../vault/db';
import type { Vault } from '../vault/vault';
import { generateIdentity, recipientOf } from './age';
import { fingerprint, generateSigningKey, signingPublicKey } from './signature';
import type { SigningKey } from './signature';

// The body of the single vault_keys row, stored as one encrypted cell.
const StoredKeys = z.strictObject({
  ageIdentity: z.string().startsWith('AGE-SECRET-KEY-1'),
  signingKey: z.base64(),
});
type StoredKeys = z.infer<typeof StoredKeys>;

/** The vault's own sharing keys. Both halves are secret; never log or print this object. */
export interface VaultKeys {
  /** `AGE-SECRET-KEY-1…`: opens bundles sent to this vault. */
  ageIdentity: string;
  /** `age1…`: what teammates encrypt to. */
  recipient: string;
  signingKey: SigningKey;
}

function readStored(vault: Vault): StoredKeys | null {
  const row = sql(vault.db, 'SELECT body FROM vault_keys WHERE id = 1').get() as { body: Buffer } | undefined;
  if (!row) return null;
  const parsed = StoredKeys.safeParse(vault.cells().decrypt<unknown>('vault_keys', '1', 'body', row.body));
  if (!parsed.success) {
    throw new KeyholdError('VaultCorrupt', "The vault's sharing keys are unreadable: the vault file is damaged.");
  }
  return parsed.data;
}

async function createStored(vault: Vault): Promise<StoredKeys> {
  const { identity } = await generateIdentity();
  const signing = generateSigningKey();
  const body: StoredKeys = { ageIdentity: identity, signingKey: signing.privateKey.toString('base64') };
  signing.privateKey.fill(0);
  // Another process may have created them first; its keys win so every export agrees on one identity.
  tx(vault.db, () =>
    sql(vault.db, 'INSERT INTO vault_keys (id, created_at, body) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING').run(
      vault.now(),
      vault.cells().encrypt('vault_keys', '1', 'body', body),
    ),
  );
  return readStored(vault) ?? body;
}

/** The vault's age identity and signing key, created the first time a vault needs them. */
export async function loadVaultKeys(vault: Vault): Promise<VaultKeys> {
  const stored = readStored(vault) ?? (await createStored(vault));
  const privateKey = Buffer.from(stored.signingKey, 'base64');
  return {
    ageIdentity: stored.ageIdentity,
    recipient: await recipientOf(stored.ageIdentity),
    signingKey: { privateKey, publicKey: signingPublicKey(privateKey) },
  };
}

export async function vaultIdentity(vault: Vault): Promise<VaultIdentity> {
  const keys = await loadVaultKeys(vault);
  keys.signingKey.privateKey.fill(0);
  return {
    recipient: keys.recipient,
    signingPublicKey: keys.signingKey.publicKey.toString('base64'),
    fingerprint: fingerprint(keys.signingKey.publicKey),
  };
}
