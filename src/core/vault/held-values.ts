import type { Vault } from './vault';

export interface HeldValue {
  value: string;
  /** Where the vault holds it, for people: `profile agent-1/dev GITHUB_TOKEN`, `byok claude-code`. */
  item: string;
}

/**
 * Every secret the unlocked vault holds now: profile values, their Kura tokens, BYOK keys. For
 * comparing (scan) and concealing (redact) inside this process; nothing here is shown.
 */
export function heldValues(vault: Vault): HeldValue[] {
  const held: HeldValue[] = [];
  for (const summary of vault.profiles.list()) {
    const { secrets, remote } = vault.profiles.load(summary.id);
    const ref = `${summary.agentId}/${summary.name}`;
    for (const [key, value] of Object.entries(secrets.authData)) held.push({ value, item: `profile ${ref} ${key}` });
    if (remote?.authToken) held.push({ value: remote.authToken, item: `token of profile ${ref}` });
  }
  for (const summary of vault.byok.list()) {
    held.push({ value: vault.byok.load(summary.id).secrets.apiKey, item: `byok ${summary.kind}` });
  }
  return held;
}

/** A lookup from value to the first item holding it. */
export function vaultLookup(vault: Vault): (value: string) => string | null {
  const byValue = new Map<string, string>();
  for (const { value, item } of heldValues(vault)) if (!byValue.has(value)) byValue.set(value, item);
  return (value) => byValue.get(value) ?? null;
}
