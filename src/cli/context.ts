import { Vault } from '../core/vault/vault';
import { KeyholdError } from '../shared/errors';
import { vaultDir } from '../core/paths';
import { modeProblem, ownerProblem } from '../core/vault/permissions';
import { snapshotReader, vaultItems, type ItemReader } from '../core/vault/session-items';
import { openSession, SESSION_ENV, unlockWithSession } from '../core/vault/sessions';
import { cleanField, env, envValue, readPassword, sayErr } from './io';

export interface GlobalOptions {
  vault?: string;
}

/** The vault directory: --vault, else KEYHOLD_VAULT from the command's environment, else the default. */
export function vaultPath(globals: GlobalOptions): string {
  // `--vault "$DIR"` with DIR unset: not the default vault, silently.
  if (globals.vault === '')
    throw new KeyholdError('BadInput', '--vault was given an empty folder name: name the vault folder, or leave --vault out for the default one.');
  return vaultDir(globals.vault, env());
}

/** The session token from the environment, if one is set. */
export function sessionToken(): string | undefined {
  return envValue(SESSION_ENV);
}

/** Opens the vault named by --vault / KEYHOLD_VAULT / the default, warning when other users can get at its files. */
function openVault(globals: GlobalOptions): Vault {
  const dir = vaultPath(globals);
  const vault = Vault.open(dir);
  // Each sentence once: a command that reads many secrets would otherwise repeat it for each.
  const said = new Set<string>();
  vault.audit.onUnrecorded((message) => {
    if (!said.has(message)) sayErr(`keyhold: warning: ${message}\n`);
    said.add(message);
  });
  warnIfExposed(dir);
  return vault;
}

/** Warns when other users can get at the vault's files, as ssh and gpg do: standard output and the exit code stay the command's own. */
export function warnIfExposed(dir: string): void {
  const modes = modeProblem(dir);
  // Each on one line, whatever the path holds.
  if (modes !== null) sayErr(`keyhold: warning: ${cleanField(modes)} Fix it with "chmod go-rwx" on it.\n`);
  const owner = ownerProblem(dir);
  if (owner !== null) sayErr(`keyhold: warning: ${cleanField(owner)}\n`);
}

/**
 * Unlocks with the session given, else with the master password (asked, or KEYHOLD_PASSWORD).
 * `sessionHelps: false` where a session cannot stand in for the password (`keyhold unlock` itself).
 */
export async function unlock(vault: Vault, token: string | undefined, sessionHelps = true): Promise<void> {
  if (token === undefined) await vault.unlock(await readPassword(undefined, { sessionHelps }));
  else unlockWithSession(vault, token);
}

/**
 * Opens the vault and unlocks it: with the session in KEYHOLD_SESSION when there is one (no
 * password, no KDF), else with the master password. An invalid session is an error rather than a
 * fallback to the password, so a script notices that its session ended; so is a session opened for
 * some items only. `session: false` always asks for the password (`keyhold unlock` must not extend
 * a session without it).
 */
export async function withVault<T>(globals: GlobalOptions, fn: (vault: Vault) => Promise<T> | T, options: { session?: boolean } = {}): Promise<T> {
  const vault = openVault(globals);
  try {
    await unlock(vault, options.session === false ? undefined : sessionToken(), options.session !== false);
    return await fn(vault);
  } finally {
    vault.close();
  }
}

/**
 * For a command that hands named items to a program (`run --profile`, `byok print`): reads them from
 * the session in KEYHOLD_SESSION when it was opened for some items only (the vault stays locked),
 * else from the vault, unlocked as `withVault` does.
 */
export async function withItems<T>(globals: GlobalOptions, fn: (items: ItemReader) => Promise<T> | T): Promise<T> {
  const vault = openVault(globals);
  try {
    const token = sessionToken();
    if (token === undefined) await vault.unlock(await readPassword());
    const snapshot = token === undefined ? null : openSession(vault, token).snapshot;
    return await fn(snapshot === null ? vaultItems(vault) : snapshotReader(snapshot));
  } finally {
    vault.close();
  }
}
