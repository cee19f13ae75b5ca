import { Vault } from '../core/vault/vault';
import { vaultDir } from '../core/paths';
import { readPassword } from './io';

export interface GlobalOptions {
  vault?: string;
}

/** Opens the vault named by --vault / KEYHOLD_VAULT / the default, and unlocks it. */
export async function withVault<T>(globals: GlobalOptions, fn: (vault: Vault) => Promise<T> | T): Promise<T> {
  const vault = Vault.open(vaultDir(globals.vault));
  try {
    await vault.unlock(await readPassword());
    return await fn(vault);
  } finally {
    vault.close();
  }
}
