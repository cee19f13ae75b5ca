import type { z } from 'zod';
import { checkProviderKey, undeclaredKeys } from '../../shared/domain';
import type { ProfileSummary } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { AgentChange, ByokChange, ChangeCounts as Counts, ConflictPolicy, ImportPreview, ProfileChange, ProfileDiff } from '../../shared/share';
import { dangerousEnvName, isReservedForKeyhold } from '../devflow/env-names';
import { dataVersion, sql } from '../vault/db';
import { usableToken } from '../vault/profile-model';
import type { Vault } from '../vault/vault';
import type { Bundle, BundleProfile } from './bundle';
import { REPLACE_NOTE, replacesRemote } from './import-safety';
import { type OpenedImport } from './import-open';
import { contactBySigningKey } from './contacts';
import type { SignerInfo } from '../../shared/share';

export interface PreviewOptions {
  onConflict?: ConflictPolicy;
  /** Imported items arrive as drafts instead of pending. */
  draft?: boolean;
}

const MAX_NAME = 200;
const profileKey = (agentId: string, name: string): string => `${agentId}\u0000${name}`;

/** "NAME (imported)", then "NAME (imported 2)"…, shortened to fit the name limit. */
function keepBothName(name: string, taken: Set<string>, agentId: string): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? ' (imported)' : ` (imported ${n})`;
    let base = name.slice(0, MAX_NAME - suffix.length);
    if (/[\uD800-\uDBFF]$/.test(base)) base = base.slice(0, -1);
    const candidate = `${base.trimEnd()}${suffix}`;
    if (!taken.has(profileKey(agentId, candidate))) {
      taken.add(profileKey(agentId, candidate));
      return candidate;
    }
  }
}

function diffProfile(incoming: BundleProfile, authData: Record<string, string>, saveSession: boolean, token: string | null): ProfileDiff {
  const changed: string[] = [];
  const added: string[] = [];
  for (const [key, value] of Object.entries(incoming.authData)) {
    if (!Object.hasOwn(authData, key)) added.push(key);
    else if (authData[key] !== value) changed.push(key);
  }
  return {
    changed,
    added,
    removed: Object.keys(authData).filter((k) => !Object.hasOwn(incoming.authData, k)),
    saveSession: incoming.saveSession !== saveSession,
    authToken: incoming.authToken !== undefined && incoming.authToken !== token,
  };
}

const isSame = (d: ProfileDiff): boolean => d.changed.length + d.added.length + d.removed.length === 0 && !d.saveSession && !d.authToken;

// Named counters rather than counts[item.status]++: an increment through a computed name cost
// 4 ms over a 10,000-profile import before the code warmed up.
function countOf(items: readonly Pick<ProfileChange, 'status' | 'action'>[]): z.infer<typeof Counts> {
  let fresh = 0;
  let identical = 0;
  let create = 0;
  let update = 0;
  for (const item of items) {
    if (item.status === 'new') fresh++;
    else if (item.status === 'identical') identical++;
    if (item.action === 'create') create++;
    else if (item.action === 'update') update++;
  }
  const n = items.length;
  return { new: fresh, identical, differs: n - fresh - identical, create, update, skip: n - create - update };
}

/** What the vault decides about one incoming profile, before the safety fields are added. */
interface Decision {
  status: ProfileChange['status'];
  diff: ProfileDiff | null;
  action: ProfileChange['action'];
  importedAs: string | null;
  existingId: string | null;
  withToken: boolean;
  note: string | null;
  existingDraft: boolean;
}

const created = (withToken: boolean): Decision => ({
  status: 'new',
  diff: null,
  action: 'create',
  importedAs: null,
  existingId: null,
  withToken,
  note: null,
  existingDraft: false,
});

/**
 * Adds what the person must see before trusting a profile: its key names, the risky ones, and
 * whether it could replace a remote profile. Written as one literal (no spread), so the 10,000
 * changes of a large import share one object shape.
 */
function withSafety(p: BundleProfile, d: Decision, draft: boolean, dangerous: (keys: string[]) => string[]): ProfileChange {
  const keys = Object.keys(p.authData);
  const replaces = replacesRemote(d);
  return {
    agentId: p.agentId,
    name: p.name,
    status: d.status,
    diff: d.diff,
    action: d.action,
    importedAs: d.importedAs,
    existingId: d.existingId,
    withToken: d.withToken,
    note: replaces ? REPLACE_NOTE : d.note,
    keys,
    dangerousKeys: dangerous(keys),
    replacesRemote: replaces,
    state: draft || replaces || (d.action === 'update' && d.existingDraft) ? 'draft' : 'pending',
  };
}

/**
 * `dangerousEnvName` once per key name: a bundle repeats the same few names across its profiles.
 * The memo is bounded, so a file of millions of distinct names cannot grow it without limit.
 */
function dangerousKeysOf(): (keys: string[]) => string[] {
  const known = new Map<string, boolean>();
  const isDangerous = (k: string): boolean => {
    let answer = known.get(k);
    if (answer === undefined) {
      answer = dangerousEnvName(k) !== null;
      if (known.size < 4096) known.set(k, answer);
    }
    return answer;
  };
  return (keys) => keys.filter(isDangerous);
}

// Past this many profiles already in the vault, their secret cells are read in one query.
const ONE_QUERY_FROM = 64;

function previewProfiles(vault: Vault, bundle: Bundle, policy: ConflictPolicy, draft: boolean): ProfileChange[] {
  const incoming = bundle.items.profiles;
  const existing = new Map<string, ProfileSummary>();
  for (const s of vault.profiles.list()) existing.set(profileKey(s.agentId, s.name), s);
  const matches = existing.size === 0 ? [] : incoming.map((p) => existing.get(profileKey(p.agentId, p.name)));
  const store = vault.profiles.store;
  const matched = matches.reduce((n, m) => (m ? n + 1 : n), 0);
  const rows = matched > ONE_QUERY_FROM ? store.secretRows() : null;
  // Only keep-both needs every name in use, and only once something differs.
  let taken: Set<string> | null = null;
  const allTaken = () => (taken ??= new Set([...existing.keys(), ...incoming.map((p) => profileKey(p.agentId, p.name))]));
  const dangerous = dangerousKeysOf();

  return incoming.map((p, i) => {
    const hasToken = p.authToken !== undefined;
    const current = matches[i];
    if (!current) return withSafety(p, created(hasToken), draft, dangerous);
    const row = rows ? rows.get(current.id) : store.secretRow(current.id);
    if (!row) throw new KeyholdError('Conflict', 'The vault changed during the import preview; run the import again.');
    const remote = hasToken ? store.remote(row) : null;
    const diff = diffProfile(p, store.secrets(row).authData, current.saveSession, remote?.authToken ?? null);
    const known = { diff, existingId: current.id, existingDraft: current.syncState === 'draft', importedAs: null, note: null };
    if (isSame(diff)) return withSafety(p, { ...known, status: 'identical', action: 'skip', withToken: false }, draft, dangerous);
    if (policy === 'overwrite') {
      // A working token here is never replaced by another: nothing would keep it, and only Kura
      // could issue one again, by replacing the remote profile.
      const keepsOwn = hasToken && diff.authToken && usableToken(remote, current.agentId, current.name) !== null;
      const notes = [changedSince(current.updatedAt, bundle.exportedAt) ? CHANGED_SINCE : null, keepsOwn ? KEEPS_TOKEN : null].filter((n) => n !== null);
      const note = notes.length > 0 ? notes.join('; ') : null;
      return withSafety(p, { ...known, note, status: 'differs', action: 'update', withToken: hasToken && !keepsOwn }, draft, dangerous);
    }
    if (policy === 'skip') return withSafety(p, { ...known, status: 'differs', action: 'skip', withToken: false }, draft, dangerous);
    const keepBoth: Decision = {
      ...known,
      status: 'differs',
      action: 'create',
      importedAs: keepBothName(p.name, allTaken(), p.agentId),
      withToken: false,
      // Kura binds a token to agent + name, so it cannot follow the profile to its new name.
      note: hasToken ? 'its Kura token stays behind: under a new name it becomes a new remote profile' : null,
    };
    return withSafety(p, keepBoth, draft, dangerous);
  });
}

/**
 * Whether an item here changed after the bundle was exported: overwriting it then brings back older
 * values (an old bundle replayed after a key was rotated, by anyone who ever received it).
 */
const changedSince = (updatedAt: string, exportedAt: string): boolean => Date.parse(updatedAt) > Date.parse(exportedAt);
const CHANGED_SINCE = 'changed here after this bundle was exported: overwriting brings back what it held before';
const KEEPS_TOKEN =
  "this vault's Kura token for it is kept: the bundle carries another one, and taking it would lose this one for good " +
  "(to take the bundle's instead, delete this profile, which keeps its token in the trash, and import again)";

function previewByok(vault: Vault, bundle: Bundle, policy: ConflictPolicy): ByokChange[] {
  const existing = new Map(vault.byok.list().map((b) => [b.kind, b]));
  return (bundle.items.byokKeys ?? []).map((k): ByokChange => {
    const current = existing.get(k.kind);
    const base = { kind: k.kind, provider: k.provider, note: null };
    if (!current) return { ...base, status: 'new', diff: [], action: 'create', existingId: null };
    const diff: ByokChange['diff'] = [];
    if (current.provider !== k.provider) diff.push('provider');
    if (vault.byok.load(current.id).secrets.apiKey !== k.apiKey) diff.push('apiKey');
    const known = { ...base, diff, existingId: current.id };
    if (diff.length === 0) return { ...known, status: 'identical', action: 'skip' };
    if (policy === 'overwrite')
      return { ...known, status: 'differs', action: 'update', note: changedSince(current.updatedAt, bundle.exportedAt) ? CHANGED_SINCE : null };
    return {
      ...known,
      status: 'differs',
      action: 'skip',
      note: policy === 'keep-both' ? 'a kind holds one key, so this vault keeps its own' : null,
    };
  });
}

function previewAgents(vault: Vault, bundle: Bundle): AgentChange[] {
  return (bundle.items.agents ?? []).map((a): AgentChange => {
    const current = vault.agents.get(a.agentId);
    if (!current) return { agentId: a.agentId, status: 'new', added: [...new Set(a.args)], removed: [], action: 'declare' };
    const mine = new Set(current.args);
    const theirs = new Set(a.args);
    const added = [...theirs].filter((x) => !mine.has(x));
    const removed = [...mine].filter((x) => !theirs.has(x));
    return { agentId: a.agentId, status: added.length + removed.length === 0 ? 'identical' : 'differs', added, removed, action: 'skip' };
  });
}

/**
 * Refuses the whole import if a profile it would write has keys its agent does not declare, counting
 * declarations the import itself adds. Kura would refuse them anyway; refusing here changes nothing.
 */
function checkDeclaredArgs(vault: Vault, bundle: Bundle, profiles: ProfileChange[], agents: AgentChange[]): void {
  // One set of arguments per agent, not one per profile checked against it.
  const declared = new Map<string, ReadonlySet<string>>();
  for (const a of vault.agents.list()) declared.set(a.agentId, new Set(a.args));
  const incomingArgs = new Map((bundle.items.agents ?? []).map((a) => [a.agentId, a.args]));
  for (const a of agents) if (a.action === 'declare') declared.set(a.agentId, new Set(incomingArgs.get(a.agentId) ?? []));

  const problems: string[] = [];
  bundle.items.profiles.forEach((p, i) => {
    const change = profiles[i] as ProfileChange;
    const args = declared.get(p.agentId);
    if (change.action === 'skip' || !args) return;
    const undeclared = undeclaredKeys(args, change.keys);
    if (undeclared.length > 0) problems.push(`"${p.agentId}/${p.name}" has ${undeclared.map((k) => `"${k}"`).join(', ')}`);
  });
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).join('; ');
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  throw new KeyholdError(
    'UndeclaredKey',
    `Nothing was imported: ${problems.length} profile(s) have keys their agent does not declare in this vault (${shown}${more}). ` +
      'Declare those arguments for the agents first, or skip the profiles that conflict.',
    { field: 'undeclaredImport' },
  );
}

function checkByokKeys(bundle: Bundle, byok: ByokChange[]): void {
  (bundle.items.byokKeys ?? []).forEach((k, i) => {
    if ((byok[i] as ByokChange).action === 'skip') return;
    const problem = checkProviderKey(k.provider, k.apiKey);
    if (problem) throw new KeyholdError('BadInput', `Nothing was imported: the BYOK key for "${k.kind}" is not valid: ${problem}`, { field: 'byokKeys' });
  });
}

function warningsFor(vault: Vault, opened: OpenedImport, profiles: ProfileChange[], agents: AgentChange[], byok: ByokChange[]): string[] {
  const warnings: string[] = [];
  const older = [
    ...profiles.filter((p) => p.note?.startsWith(CHANGED_SINCE)).map((p) => `${p.agentId}/${p.name}`),
    ...byok.filter((b) => b.note === CHANGED_SINCE).map((b) => `byok ${b.kind}`),
  ];
  if (older.length > 0) {
    warnings.push(
      `This bundle was exported ${opened.bundle.exportedAt}, before ${older.length} item(s) here last changed (${older.slice(0, 5).join(', ')}${older.length > 5 ? '…' : ''}): ` +
        'overwriting them brings back older values, such as a key rotated since. Check it is the bundle you expect.',
    );
  }
  if (!opened.signer.signed) warnings.push('This bundle is NOT signed: nobody vouches for its contents. Import it only if you trust where it came from.');
  else if (!opened.signer.self && opened.signer.contact === null) {
    warnings.push(`The signer is not one of your contacts. Compare the fingerprint ${opened.signer.fingerprint} with the sender.`);
  }
  const replacing = profiles.filter((p) => p.replacesRemote).length;
  if (replacing > 0) {
    warnings.push(
      `${replacing} profile(s) arrive without a Kura token under their original agent and name: syncing them would REPLACE the sender's remote profiles ` +
        '(if they synced them) and invalidate their tokens. They arrive as drafts; mark each ready only if that is what you want.',
    );
  }
  const risky = profiles.filter((p) => p.action !== 'skip' && p.dangerousKeys.some((k) => !isReservedForKeyhold(k)));
  if (risky.length > 0) {
    const names = [...new Set(risky.flatMap((p) => p.dangerousKeys.filter((k) => !isReservedForKeyhold(k))))].join(', ');
    warnings.push(`${risky.length} profile(s) carry keys that change how a program runs when injected (${names}): each must be allowed by name.`);
  }
  const keyholds = profiles.filter((p) => p.action !== 'skip' && p.dangerousKeys.some(isReservedForKeyhold));
  if (keyholds.length > 0) {
    const names = [...new Set(keyholds.flatMap((p) => p.dangerousKeys.filter(isReservedForKeyhold)))].join(', ');
    warnings.push(
      `${keyholds.length} profile(s) carry Keyhold's own variables (${names}), which no allowance lets through: nothing can be imported until the sender renames them.`,
    );
  }
  const tokens = profiles.filter((p) => p.withToken).length;
  const carried = opened.bundle.items.profiles.filter((p) => p.authToken !== undefined).length;
  if (carried > 0) {
    // Your own bundle (a backup, a move to a new machine) brings your tokens back; anyone else's acts as their remote profiles.
    const whose = opened.signer.self ? 'exported from this vault; they come back with their profiles' : "syncing them updates the sender's remote profiles";
    warnings.push(`This bundle carries ${carried} Kura token(s); ${tokens} will be attached to their profiles here: ${whose}.`);
  }
  const declared = agents.filter((a) => a.action === 'declare');
  if (declared.length > 0) {
    // One pass over the vault's profiles, whatever the number of agents declared.
    const declaring = new Map(declared.map((a) => [a.agentId, new Set(a.added)]));
    const misfits = new Map<string, number>();
    for (const s of vault.profiles.list()) {
      const args = declaring.get(s.agentId);
      if (args && s.keys.some((k) => !args.has(k))) misfits.set(s.agentId, (misfits.get(s.agentId) ?? 0) + 1);
    }
    for (const a of declared) {
      const n = misfits.get(a.agentId) ?? 0;
      if (n > 0) warnings.push(`Agent "${a.agentId}" will declare arguments that ${n} existing profile(s) do not fit; edit them before their next change.`);
    }
  }
  const conflicts = agents.filter((a) => a.status === 'differs').length;
  if (conflicts > 0) warnings.push(`${conflicts} agent declaration(s) differ from this vault's and are not applied.`);
  return warnings;
}

/**
 * Identifies the database state a preview was made from: `data_version` moves when another
 * connection commits, `total_changes()` when this one writes. Equal stamps mean nothing was written.
 */
function writeStamp(vault: Vault): string {
  const version = dataVersion(vault.db);
  const changes = (sql(vault.db, 'SELECT total_changes() AS n').get() as { n: number }).n;
  return `${version}:${changes}`;
}

// Kept beside the preview object, not in it: a preview that went through IPC is worked out again.
const stamps = new WeakMap<ImportPreview, { stamp: string; opened: OpenedImport }>();

/** True when this preview was made here, from this opened file, and nothing was written since. */
export function previewIsCurrent(vault: Vault, opened: OpenedImport, preview: ImportPreview): boolean {
  const made = stamps.get(preview);
  return made !== undefined && made.opened === opened && made.stamp === writeStamp(vault);
}

/**
 * The signer as the vault knows it now: the contact that holds its signing key may have been
 * removed, or added, since the file was opened, and the preview must name the one that holds it.
 */
export function signerNow(vault: Vault, signer: SignerInfo): SignerInfo {
  if (!signer.signed || signer.self || signer.publicKey === null) return signer;
  const contact = contactBySigningKey(vault, Buffer.from(signer.publicKey, 'base64'))?.name ?? null;
  return contact === signer.contact ? signer : { ...signer, contact, trusted: contact !== null };
}

/** Works out what an import would do, without changing anything. Throws if it would break a declared argument. */
export function previewImport(vault: Vault, opened: OpenedImport, options: PreviewOptions = {}): ImportPreview {
  const policy = options.onConflict ?? 'skip';
  const stamp = writeStamp(vault);
  const signer = signerNow(vault, opened.signer);
  const current = signer === opened.signer ? opened : { ...opened, signer };
  const { bundle } = current;
  const profiles = previewProfiles(vault, bundle, policy, options.draft ?? false);
  const byokKeys = previewByok(vault, bundle, policy);
  const agents = previewAgents(vault, bundle);
  checkDeclaredArgs(vault, bundle, profiles, agents);
  checkByokKeys(bundle, byokKeys);
  const preview: ImportPreview = {
    exportedAt: bundle.exportedAt,
    signer,
    tokensIncluded: bundle.tokensIncluded,
    policy,
    state: options.draft ? 'draft' : 'pending',
    profiles,
    byokKeys,
    agents,
    counts: { profiles: countOf(profiles), byokKeys: countOf(byokKeys) },
    warnings: warningsFor(vault, current, profiles, agents, byokKeys),
  };
  stamps.set(preview, { stamp, opened });
  return preview;
}
