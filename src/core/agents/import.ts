import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { EarlierProfile } from '../../shared/contract';
import { agentIdProblem, AuthData, keyProblem, LIMITS } from '../../shared/domain';
import { labelProblem } from '../../shared/text-rules';
import { envNamePart, isEnvName } from '../devflow/env-names';
import type { Vault } from '../vault/vault';
import { formatOf } from './locations';
import { realFolder } from './project-file';
import type { Finding } from './scan';
import { vaultLookup } from '../vault/held-values';

/** The profile name an MCP server's secrets are kept under (its agent id is the server's name). */
export const MCP_PROFILE_NAME = 'mcp';
/**
 * The one profile name earlier imports gave every file of a folder (`api/local`) and every shell
 * file (`shell/local`), whose second file was then a conflict at every import. Such a profile is
 * left as it is; its files' new values go to profiles of their own (`earlier` in the report).
 */
export const LOCAL_PROFILE_NAME = 'local';
/** The agent id of the profiles of shell files, wherever they are. */
const SHELL_AGENT_ID = 'shell';
const TAG_CHARS = 8;

/**
 * The profile name of one file: its own name without a leading dot (`zshrc`, `env.local`,
 * `config.fish`). A well-known place is one per home, so that is all; any other file's name ends
 * with 8 hex digits of its folder's real path (`env-3fa91c0e`), so that two files of one name in two
 * folders of one name (`~/shop/api/.env`, `~/blog/api/.env`) never fill one profile, whatever
 * was scanned with them, and each import of a file names the same profile, also when the folder
 * is reached through a symbolic link or spelled in another case (`realFolder`).
 */
export function fileProfileName(file: string, wellKnown: boolean): string {
  const own = basename(file).replace(/^\./, '');
  if (wellKnown) return own;
  const tag = createHash('sha256')
    .update(realFolder(dirname(file)))
    .digest('hex')
    .slice(0, TAG_CHARS);
  return `${Array.from(own)
    .slice(0, LIMITS.nameChars - TAG_CHARS - 1)
    .join('')}-${tag}`;
}

export type ImportTarget =
  { type: 'profile'; agentId: string; name: string; key: string } | { type: 'byok'; kind: string; provider: 'anthropic' | 'openai' | 'google' };

/**
 * Where a finding goes: an MCP server's variable to that server's profile; a model provider's key
 * found elsewhere to the BYOK key of that provider; anything else to the profile of its file
 * (`fileProfileName`) under the agent id of its folder's name, as its real path spells it (`shell`
 * for shell files), under its variable name. One file, one profile: a profile is not joined by
 * another file (`valuesNotFrom`). Of one finding alone: `importTargets` gives two values of one
 * name in one file keys of their own.
 */
export function importTarget(f: Finding): ImportTarget {
  // A name no key may have (reserved, or longer than a key may be) gives way to the finding's kind.
  const key = f.name !== null && isEnvName(f.name) && keyProblem(f.name) === null ? f.name : f.rule.toUpperCase().replace(/-/g, '_');
  if (f.server !== null) return { type: 'profile', agentId: f.server, name: MCP_PROFILE_NAME, key };
  if (f.provider === 'anthropic' || f.provider === 'openai' || f.provider === 'google') {
    return { type: 'byok', kind: f.provider, provider: f.provider };
  }
  const shell = f.source === 'shell' || formatOf(f.file) === 'shell';
  const agentId = shell ? SHELL_AGENT_ID : basename(realFolder(dirname(f.file))) || LOCAL_PROFILE_NAME;
  return { type: 'profile', agentId, name: fileProfileName(f.file, f.wellKnown), key };
}

/** The most characters a place adds to a key (`_CLAUDE_SONNET`), so that a long name still gives a short key. */
const MAX_PLACE_CHARS = 40;

const namePart = (text: string): string => envNamePart(text, MAX_PLACE_CHARS);

/**
 * Where a finding is, told apart from `first`, the finding of another value that keeps the key:
 * its list entry's name, `title` or `model` (`entry`: `Claude Sonnet`), else the nearest step of
 * its path, from the end, where the two paths differ (`b` of `providers.b.apiKey` beside
 * `providers.a.apiKey`, `1` of `models[1].apiKey`); empty when neither says (free text).
 */
function placeOf(f: Finding, first: Finding): string {
  const named = namePart(f.entry ?? '');
  if (named !== '') return named;
  for (let i = 1; i <= f.path.length; i++) {
    const step = f.path[f.path.length - i]!;
    const part = step === first.path[first.path.length - i] ? '' : namePart(step);
    if (part !== '') return part;
  }
  return '';
}

/** `stem` in capitals with `_PLACE` after it, or `_PLACE_2`, `_3`…: the first that no other key of the file takes, within LIMITS.keyChars. */
function keyOfItsOwn(stem: string, place: string, taken: ReadonlySet<string>): string {
  const key = (suffix: string) => `${stem.toUpperCase().slice(0, LIMITS.keyChars - suffix.length)}${suffix}`;
  if (place !== '' && !taken.has(key(`_${place}`))) return key(`_${place}`);
  for (let n = 2; ; n++) {
    const candidate = key(place === '' ? `_${n}` : `_${place}_${n}`);
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * The targets of findings, in order: `importTarget`'s, except where two values of one file would go
 * to its own profile under one key (Continue's two `models[].apiKey`, `providers.a.apiKey` and
 * `providers.b.apiKey`), which left the second a conflict at every import. There the first value
 * keeps the key and each other value gets one of its own, named after its place (`placeOf`,
 * `keyOfItsOwn`: `apiKey`, `APIKEY_CLAUDE_SONNET`), from the file alone: each import of the file
 * names the same keys, so a second import finds them held. A value found twice is one key, as
 * before. An MCP server's variables keep their names, which the server reads them by.
 */
export function importTargets(findings: readonly Finding[]): ImportTarget[] {
  const targets = findings.map(importTarget);
  const byFile = new Map<string, number[]>();
  findings.forEach((f, i) => {
    if (targets[i]!.type !== 'profile' || f.server !== null) return;
    const group = byFile.get(f.file) ?? [];
    group.push(i);
    byFile.set(f.file, group);
  });
  for (const group of byFile.values()) {
    const keyOf = (i: number) => (targets[i] as { key: string }).key;
    const taken = new Set(group.map(keyOf));
    // Each key's first finding, and the key each of its values got.
    const keys = new Map<string, { first: Finding; values: Map<string, string> }>();
    for (const i of group) {
      const f = findings[i]!;
      const stem = keyOf(i);
      const seen = keys.get(stem);
      if (seen === undefined) {
        keys.set(stem, { first: f, values: new Map([[f.value, stem]]) });
        continue;
      }
      let key = seen.values.get(f.value);
      if (key === undefined) {
        key = keyOfItsOwn(stem, placeOf(f, seen.first), taken);
        taken.add(key);
        seen.values.set(f.value, key);
      }
      targets[i] = { ...(targets[i] as Extract<ImportTarget, { type: 'profile' }>), key };
    }
  }
  return targets;
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
   * refused: the target cannot be a profile (a folder or server name no agent id may have), or the
   * profile holds as many keys as one may, see `reason`.
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

/** Why a target's agent id (a folder's or a server's name) or name (a file's) cannot name a profile, or null. */
const targetProblem = (target: ImportTarget): string | null =>
  target.type === 'profile' ? (agentIdProblem(target.agentId) ?? labelProblem(target.name, 'Profile name', LIMITS.nameChars)) : null;

/** Why a profile could not hold these values (the first of AuthData's problems), or null. */
export function authDataProblem(values: Record<string, string>): string | null {
  const parsed = AuthData.safeParse(values);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'The vault refuses it.');
}

export type { EarlierProfile };

export interface ImportReport {
  outcomes: ImportOutcome[];
  earlier: EarlierProfile[];
}

/**
 * Stores findings in the vault as drafts (nothing is pushed until a person says so), each value
 * once: values the vault already holds anywhere are skipped, a target that already holds a
 * different value is left as it is, and one whose name cannot be an agent id is refused. History
 * records each change with the reason "import" and where each value was found (file and line).
 */
export function importFindings(vault: Vault, findings: readonly Finding[]): ImportReport {
  const lookup = vaultLookup(vault);
  const outcomes: ImportOutcome[] = [];
  const profileSets = new Map<string, { agentId: string; name: string; values: Record<string, string>; sources: string[] }>();
  const byokSets = new Map<string, { provider: 'anthropic' | 'openai' | 'google'; value: string; source: string }>();
  const profiles = vault.profiles.list();
  const planned = new Set<string>();
  const byokKinds = new Set(vault.byok.list().map((b) => b.kind));
  const profileKey = (t: { agentId: string; name: string }) => `${t.agentId}\u0000${t.name}`;
  const held = new Map<string, Record<string, string>>();
  const heldValues = (id: string): Record<string, string> => {
    let values = held.get(id);
    if (values === undefined) held.set(id, (values = vault.profiles.load(id).secrets.authData));
    return values;
  };
  // What each file holds for each profile, values the vault holds already included.
  const fileValues = new Map<string, Map<string, string>>();
  const targets = importTargets(findings);
  for (const [i, finding] of findings.entries()) {
    const target = targets[i]!;
    if (target.type !== 'profile') continue;
    const at = `${profileKey(target)}\u0000${finding.file}`;
    const values = fileValues.get(at) ?? new Map<string, string>();
    if (!values.has(target.key)) values.set(target.key, finding.value);
    fileValues.set(at, values);
  }
  // A profile takes values from one file per import: the first that may fill it.
  const filledFrom = new Map<string, string>();
  const strangers = new Map<string, string[]>();
  for (const [i, finding] of findings.entries()) {
    const target = targets[i]!;
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
    // The profile's own rules (how many keys, a value's size, the whole profile's), checked here so
    // that one value the vault would refuse is refused alone instead of failing the whole import.
    const problem = authDataProblem({ ...(existing ? heldValues(existing.id) : {}), ...set.values, [target.key]: finding.value });
    if (problem !== null) {
      outcomes.push({ finding, target, result: 'refused', reason: `${label} cannot take it: ${problem}` });
      continue;
    }
    const from = filledFrom.get(id);
    if (from !== undefined && from !== finding.file) {
      outcomes.push({ finding, target, result: 'conflict', reason: `${label} takes values from ${from} in this import, not from another file as well.` });
      continue;
    }
    const at = `${id}\u0000${finding.file}`;
    if (existing && !strangers.has(at)) {
      strangers.set(at, valuesNotFrom(heldValues(existing.id), fileValues.get(at) ?? new Map()));
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
  const earlier = new Map<string, string[]>();
  for (const { agentId, name, values, sources } of profileSets.values()) {
    const existing = profiles.find((p) => p.agentId === agentId && p.name === name);
    const source = sources.join('; ');
    if (existing) vault.profiles.edit(existing.id, { set: values }, { reason: 'import', source });
    else vault.profiles.create({ agentId, name, authData: values, draft: true }, 'import', source);
    if (!existing && name !== MCP_PROFILE_NAME && name !== LOCAL_PROFILE_NAME && profiles.some((p) => p.agentId === agentId && p.name === LOCAL_PROFILE_NAME)) {
      const label = `${agentId}/${LOCAL_PROFILE_NAME}`;
      earlier.set(label, [...(earlier.get(label) ?? []), `${agentId}/${name}`]);
    }
  }
  for (const [kind, { provider, value, source }] of byokSets) vault.byok.set({ kind, provider, apiKey: value, draft: true }, 'import', source);
  return { outcomes, earlier: [...earlier].map(([profile, now]) => ({ profile, now })) };
}
