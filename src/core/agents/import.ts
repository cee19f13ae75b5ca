import { basename, dirname } from 'node:path';
import { agentIdProblem } from '../../shared/domain';
import { isReservedKey } from '../../shared/text-rules';
import { isEnvName } from '../devflow/env-names';
import type { Vault } from '../vault/vault';
import type { Finding } from './scan';
import { vaultLookup } from '../vault/held-values';

/** The profile name an MCP server's secrets are kept under (its agent id is the server's name). */
export const MCP_PROFILE_NAME = 'mcp';
/** The profile name values from .env files, shell files and other configs are kept under. */
export const LOCAL_PROFILE_NAME = 'local';

export type ImportTarget =
  { type: 'profile'; agentId: string; name: string; key: string } | { type: 'byok'; kind: string; provider: 'anthropic' | 'openai' | 'google' };

/**
 * Where a finding goes: an MCP server's variable to that server's profile; a model provider's key
 * found elsewhere to the BYOK key of that provider; anything else to a profile named after the
 * folder that holds the file (`shell` for shell start-up files), under its variable name.
 */
export function importTarget(f: Finding): ImportTarget {
  const key = f.name !== null && isEnvName(f.name) && !isReservedKey(f.name) ? f.name : f.rule.toUpperCase().replace(/-/g, '_');
  if (f.server !== null) return { type: 'profile', agentId: f.server, name: MCP_PROFILE_NAME, key };
  if (f.provider === 'anthropic' || f.provider === 'openai' || f.provider === 'google') {
    return { type: 'byok', kind: f.provider, provider: f.provider };
  }
  const agentId = f.source === 'shell' ? 'shell' : basename(dirname(f.file)) || 'local';
  return { type: 'profile', agentId, name: LOCAL_PROFILE_NAME, key };
}

/** Where a finding was, as its history records it: the file, the line, and the JSON/TOML path if any. */
export function findingSource(f: Pick<Finding, 'file' | 'line' | 'where'>): string {
  return `${f.file}:${f.line}${f.where ? ` (${f.where})` : ''}`;
}

export interface ImportOutcome {
  finding: Finding;
  target: ImportTarget;
  /**
   * imported; held: the vault already holds this value; conflict: the target holds another value
   * (or, see `reason`, values this file does not hold, or another file fills it in this import);
   * refused: the target cannot be a profile (a folder or server name no agent id may have), see `reason`.
   */
  result: 'imported' | 'held' | 'conflict' | 'refused';
  reason?: string;
}

/**
 * The names a profile holds that `incoming` does not hold with the same value. Values from a file
 * go into an existing profile only if this is empty: the file then holds everything the profile
 * does, so it is where the profile came from. Otherwise a clone's config or .env with a folder or
 * server of the same name would add its values to the person's profile, and whatever runs with
 * that profile (a wrapped server's command from the clone) would get the person's values.
 */
export function valuesNotFrom(held: Readonly<Record<string, string>>, incoming: ReadonlyMap<string, string>): string[] {
  return Object.keys(held).filter((name) => incoming.get(name) !== held[name]);
}

/** Why a target's agent id (a folder's or a server's name) cannot name a profile, or null. */
const targetProblem = (target: ImportTarget): string | null => (target.type === 'profile' ? agentIdProblem(target.agentId) : null);

/**
 * Stores findings in the vault as drafts (nothing is pushed until a person says so), each value
 * once: values the vault already holds anywhere are skipped, a target that already holds a
 * different value is left as it is, and one whose name cannot be an agent id is refused. History
 * records each change with the reason "import" and where each value was found (file and line).
 */
export function importFindings(vault: Vault, findings: readonly Finding[]): ImportOutcome[] {
  const lookup = vaultLookup(vault);
  const outcomes: ImportOutcome[] = [];
  const profileSets = new Map<string, { agentId: string; name: string; values: Record<string, string>; sources: string[] }>();
  const byokSets = new Map<string, { provider: 'anthropic' | 'openai' | 'google'; value: string; source: string }>();
  const profiles = vault.profiles.list();
  const planned = new Set<string>();
  const byokKinds = new Set(vault.byok.list().map((b) => b.kind));
  const profileKey = (t: { agentId: string; name: string }) => `${t.agentId}\u0000${t.name}`;
  // What each file holds for each profile, values the vault holds already included.
  const fileValues = new Map<string, Map<string, string>>();
  for (const finding of findings) {
    const target = importTarget(finding);
    if (target.type !== 'profile') continue;
    const at = `${profileKey(target)}\u0000${finding.file}`;
    const values = fileValues.get(at) ?? new Map<string, string>();
    if (!values.has(target.key)) values.set(target.key, finding.value);
    fileValues.set(at, values);
  }
  // A profile takes values from one file per import: the first that may fill it.
  const filledFrom = new Map<string, string>();
  const strangers = new Map<string, string[]>();
  for (const finding of findings) {
    const target = importTarget(finding);
    const outcome = (result: ImportOutcome['result']) => outcomes.push({ finding, target, result });
    if (lookup(finding.value) !== null || planned.has(finding.value)) {
      outcome('held');
      continue;
    }
    // One folder whose name cannot be an agent id (too long, a bidi control) no longer stops the rest.
    const reason = targetProblem(target);
    if (reason !== null) {
      outcomes.push({ finding, target, result: 'refused', reason });
      continue;
    }
    if (target.type === 'byok') {
      if (byokKinds.has(target.kind) || byokSets.has(target.kind)) outcome('conflict');
      else {
        byokSets.set(target.kind, { provider: target.provider, value: finding.value, source: findingSource(finding) });
        planned.add(finding.value);
        outcome('imported');
      }
      continue;
    }
    const id = profileKey(target);
    const set = profileSets.get(id) ?? { agentId: target.agentId, name: target.name, values: {}, sources: [] };
    const existing = profiles.find((p) => p.agentId === target.agentId && p.name === target.name);
    if ((existing?.keys.includes(target.key) ?? false) || Object.hasOwn(set.values, target.key)) {
      outcome('conflict');
      continue;
    }
    const label = `${target.agentId}/${target.name}`;
    const from = filledFrom.get(id);
    if (from !== undefined && from !== finding.file) {
      outcomes.push({ finding, target, result: 'conflict', reason: `${label} takes values from ${from} in this import, not from another file as well.` });
      continue;
    }
    const at = `${id}\u0000${finding.file}`;
    if (existing && !strangers.has(at)) {
      strangers.set(at, valuesNotFrom(vault.profiles.load(existing.id).secrets.authData, fileValues.get(at) ?? new Map()));
    }
    const others = strangers.get(at) ?? [];
    if (others.length > 0) {
      outcomes.push({
        finding,
        target,
        result: 'conflict',
        reason: `${label} holds ${others.join(', ')}, which this file does not: its values stay out of a profile it did not fill.`,
      });
      continue;
    }
    filledFrom.set(id, finding.file);
    set.values[target.key] = finding.value;
    set.sources.push(findingSource(finding));
    profileSets.set(id, set);
    planned.add(finding.value);
    outcome('imported');
  }
  for (const { agentId, name, values, sources } of profileSets.values()) {
    const existing = profiles.find((p) => p.agentId === agentId && p.name === name);
    const source = sources.join('; ');
    if (existing) vault.profiles.edit(existing.id, { set: values }, { reason: 'import', source });
    else vault.profiles.create({ agentId, name, authData: values, draft: true }, 'import', source);
  }
  for (const [kind, { provider, value, source }] of byokSets) vault.byok.set({ kind, provider, apiKey: value, draft: true }, 'import', source);
  return outcomes;
}
