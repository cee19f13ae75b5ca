import { lstat, open } from 'node:fs/promises';
import type { z } from 'zod';
import { checkProviderKey, undeclaredKeys } from '../../shared/domain';
import type { ProfileSummary } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { AgentChange, ByokChange, ChangeCounts as Counts, ConflictPolicy, ExportSummary, ImportPreview, ImportResult, ProfileChange, ProfileDiff, SignerInfo } from '../../shared/share';
import { dangerousEnvName } from '../devflow/env-names';
import { writeFileExclusive0600 } from '../devflow/write-file';
import { dataVersion, sql, tx } from '../vault/db';
import { Profiles } from '../vault/profiles';
import type { Vault } from '../vault/vault';
import { decrypt, encryptToRecipients, encryptWithPassphrase } from './age';
import { BUNDLE_FORMAT, BUNDLE_LIMITS, BUNDLE_VERSION } from './bundle';
import type { Bundle, BundleAgent, BundleByokKey, BundleItems, BundleProfile, UnsignedBundle } from './bundle';
import { contactBySigningKey } from './contacts';
import { checkImportConsent, REPLACE_NOTE, replacesRemote, type ImportConsent } from './import-safety';
import { readBundle, serializeBundle } from './seal';
import type { EncryptionTarget } from './seal';
import { fingerprint, signBundle } from './signature';
import { loadVaultKeys } from './vault-keys';

/** Called once per step with its wall time, so benchmarks (and a verbose UI) can see where time goes. */
export type PhaseTimer = (phase: string, ms: number) => void;

function timed<T>(onPhase: PhaseTimer | undefined, phase: string, fn: () => T): T {
  const start = performance.now();
  const value = fn();
  onPhase?.(phase, performance.now() - start);
  return value;
}

async function timedAsync<T>(onPhase: PhaseTimer | undefined, phase: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await fn();
  onPhase?.(phase, performance.now() - start);
  return value;
}

// ---- export --------------------------------------------------------------------------------

export interface ExportSelection {
  /** Every profile in the vault. */
  all?: boolean;
  /** Profile references (id, id prefix or AGENT_ID/NAME). */
  select?: readonly string[];
  /** Kura auth tokens travel with their profiles: whoever opens the file can act as those remote profiles. */
  includeTokens?: boolean;
  /** Every BYOK key of the vault. */
  withByok?: boolean;
  /** Salvage: leave out items with a damaged cell instead of failing (the vault check lists them). */
  skipDamaged?: boolean;
}

const isDamaged = (e: unknown): boolean => e instanceof KeyholdError && e.code === 'Damaged';

export interface ExportOptions extends ExportSelection {
  target: EncryptionTarget;
  armor?: boolean;
  /** Passphrase targets only; the default is the age CLI's. Tests lower it. */
  scryptWorkFactor?: number;
  onPhase?: PhaseTimer;
}

/** Reads what an export carries out of the vault. Values are decrypted here; never log the result. */
export function collectExport(vault: Vault, selection: ExportSelection): { items: BundleItems; tokensIncluded: boolean } {
  const refs = selection.select ?? [];
  if (selection.all && refs.length > 0) {
    throw new KeyholdError('BadInput', 'Export either every profile or a selection, not both.', { field: 'select' });
  }
  if (!selection.all && refs.length === 0 && !selection.withByok) {
    throw new KeyholdError('BadInput', 'Choose what to export: every profile, a selection of profiles, or the BYOK keys.', { field: 'select' });
  }
  const chosen: ProfileSummary[] = selection.all ? vault.profiles.list() : [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const summary = vault.profiles.resolve(ref);
    if (!seen.has(summary.id)) chosen.push(summary);
    seen.add(summary.id);
  }

  const store = vault.profiles.store;
  const rows = store.secretRows();
  // Salvage reads what it can: an item whose cell fails its check is left out, not fatal.
  const readable = <T,>(read: () => T): T | null => {
    try {
      return read();
    } catch (e) {
      if (selection.skipDamaged && isDamaged(e)) return null;
      throw e;
    }
  };
  const profiles: BundleProfile[] = chosen.flatMap((summary) => {
    const row = rows.get(summary.id);
    if (!row) throw new KeyholdError('NotFound', `Profile "${summary.agentId}/${summary.name}" was deleted during the export.`);
    const secrets = readable(() => store.secrets(row));
    if (!secrets) return [];
    const profile: BundleProfile = {
      agentId: summary.agentId,
      name: summary.name,
      authData: secrets.authData,
      saveSession: summary.saveSession,
    };
    if (selection.includeTokens && summary.hasToken) {
      const remote = readable(() => store.remote(row));
      // A token is bound to the remote identity it was issued for; one for a lost remote profile is useless.
      if (remote?.authToken && !remote.missing && remote.agentId === summary.agentId && remote.name === summary.name) {
        profile.authToken = remote.authToken;
      }
    }
    return [profile];
  });

  const agents: BundleAgent[] = [];
  for (const agentId of new Set(profiles.map((p) => p.agentId))) {
    const declared = vault.agents.get(agentId);
    if (declared) agents.push({ agentId, args: declared.args });
  }

  const byokKeys: BundleByokKey[] = selection.withByok
    ? vault.byok.list().flatMap((b) => {
        const loaded = readable(() => vault.byok.load(b.id));
        return loaded ? [{ kind: b.kind, provider: b.provider, apiKey: loaded.secrets.apiKey }] : [];
      })
    : [];

  if (profiles.length + byokKeys.length === 0) {
    throw new KeyholdError('BadInput', 'There is nothing to export: the selection holds no profiles or BYOK keys.');
  }
  return {
    tokensIncluded: selection.includeTokens ?? false,
    items: { profiles, ...(byokKeys.length > 0 ? { byokKeys } : {}), ...(agents.length > 0 ? { agents } : {}) },
  };
}

/** Builds, signs with the vault's key and encrypts an export; returns the age file's bytes. Writes nothing. */
export async function sealExport(vault: Vault, options: ExportOptions): Promise<{ file: Uint8Array; summary: ExportSummary }> {
  const onPhase = options.onPhase;
  const hasRecipients = 'recipients' in options.target;
  const hasPassphrase = 'passphrase' in options.target;
  if (hasRecipients === hasPassphrase) {
    throw new KeyholdError('BadInput', 'Encrypt an export either to recipients or to a passphrase, not both and not neither.', { field: 'target' });
  }
  const content = timed(onPhase, 'read', () => collectExport(vault, options));
  const keys = await loadVaultKeys(vault);
  let plaintext: Uint8Array;
  // signBundle checks every field once; createBundle would check them twice more (a third of an export's time).
  const unsigned: UnsignedBundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: new Date(vault.now()).toISOString(),
    items: content.items,
    tokensIncluded: content.tokensIncluded,
  };
  try {
    const signed = timed(onPhase, 'sign', () => signBundle(unsigned, keys.signingKey.privateKey));
    plaintext = timed(onPhase, 'serialize', () => serializeBundle(signed));
  } finally {
    keys.signingKey.privateKey.fill(0);
  }
  const target = options.target;
  const file = await timedAsync(onPhase, 'encrypt', () =>
    'recipients' in target
      ? encryptToRecipients(plaintext, target.recipients, { armor: options.armor ?? false })
      : encryptWithPassphrase(plaintext, target.passphrase, {
          armor: options.armor ?? false,
          ...(options.scryptWorkFactor === undefined ? {} : { scryptWorkFactor: options.scryptWorkFactor }),
        }),
  );
  const profiles = content.items.profiles;
  return {
    file,
    summary: {
      profiles: profiles.length,
      byokKeys: content.items.byokKeys?.length ?? 0,
      agents: content.items.agents?.length ?? 0,
      tokensIncluded: content.tokensIncluded,
      tokens: profiles.filter((p) => p.authToken !== undefined).length,
      recipients: 'recipients' in target ? new Set(target.recipients).size : 0,
      passphrase: 'passphrase' in target,
      armor: options.armor ?? false,
      bytes: file.length,
      signer: fingerprint(keys.signingKey.publicKey),
    },
  };
}

async function refuseExisting(path: string): Promise<void> {
  const taken = await lstat(path).then(
    () => true,
    () => false,
  );
  if (taken) throw existsError(path);
}

const existsError = (path: string) =>
  new KeyholdError('Conflict', `${path} already exists. Keyhold does not overwrite files: choose another name or remove it first.`, {
    field: 'out',
  });

/** Exports to a new file (mode 0600, never over an existing one) and records it in the audit log. */
export async function exportToFile(vault: Vault, path: string, options: ExportOptions): Promise<ExportSummary> {
  // Checked first so a taken name fails before any work; the exclusive write below still decides.
  await refuseExisting(path);
  const { file, summary } = await sealExport(vault, options);
  await timedAsync(options.onPhase, 'write', async () => {
    try {
      await writeFileExclusive0600(path, file);
    } catch (e) {
      if (e instanceof KeyholdError && e.code === 'Conflict') throw existsError(path);
      throw e;
    }
    const { bytes: _bytes, signer: _signer, ...counts } = summary;
    vault.audit.append('bundle_exported', counts);
  });
  return summary;
}

// ---- import: opening -----------------------------------------------------------------------

export function describeSigner(signer: SignerInfo): string {
  if (!signer.signed) return 'NOBODY: the bundle is not signed';
  if (signer.self) return `this vault (${signer.fingerprint})`;
  if (signer.contact !== null) return `${signer.contact} (${signer.fingerprint})`;
  return `an unknown signer, fingerprint ${signer.fingerprint}: compare it with the sender before trusting it`;
}

export interface OpenImportOptions {
  passphrase?: string;
  /** Accept a bundle with no signature; the preview then warns that nobody vouches for it. */
  allowUnsigned?: boolean;
  onPhase?: PhaseTimer;
}

export interface OpenedImport {
  bundle: Bundle;
  signer: SignerInfo;
}

/** Reads a bundle file, refusing one over the size limit before reading it into memory. */
export async function readBundleFile(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyholdError('NotFound', `No file ${path}.`);
    if (code === 'EACCES' || code === 'EPERM') throw new KeyholdError('BadInput', `Cannot read ${path}: permission denied.`);
    if (code === 'EISDIR') throw new KeyholdError('BadInput', `${path} is a folder, not a bundle file.`);
    throw e;
  }
  try {
    const { size } = await handle.stat();
    if (size > BUNDLE_LIMITS.fileBytes) {
      throw new KeyholdError('TooLarge', `${path} is larger than ${BUNDLE_LIMITS.fileBytes / 1024 / 1024} MiB, the most Keyhold imports.`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Decrypts with the vault's identity (or the passphrase), then checks format, fields and signature. */
export async function openImport(vault: Vault, file: Uint8Array, options: OpenImportOptions = {}): Promise<OpenedImport> {
  const keys = await loadVaultKeys(vault);
  keys.signingKey.privateKey.fill(0);
  const plaintext = await timedAsync(options.onPhase, 'decrypt', () =>
    decrypt(file, { identities: [keys.ageIdentity], ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }) }),
  );
  const opened = timed(options.onPhase, 'verify', () => readBundle(plaintext, { allowUnsigned: options.allowUnsigned ?? false }));
  plaintext.fill(0);
  const contact = opened.signer ? (contactBySigningKey(vault, opened.signer.publicKey)?.name ?? null) : null;
  const self = opened.signer ? opened.signer.publicKey.equals(keys.signingKey.publicKey) : false;
  const signer: SignerInfo = opened.signer
    ? {
        signed: true,
        fingerprint: opened.signer.fingerprint,
        publicKey: opened.signer.publicKey.toString('base64'),
        contact,
        self,
        trusted: self || contact !== null,
      }
    : { signed: false, fingerprint: null, publicKey: null, contact: null, self: false, trusted: false };
  return { bundle: opened.bundle, signer };
}

// ---- import: preview -----------------------------------------------------------------------

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

const isSame = (d: ProfileDiff): boolean =>
  d.changed.length + d.added.length + d.removed.length === 0 && !d.saveSession && !d.authToken;

function countOf<T extends { status: string; action: string }>(items: T[]): z.infer<typeof Counts> {
  const counts = { new: 0, identical: 0, differs: 0, create: 0, update: 0, skip: 0 };
  for (const item of items) {
    counts[item.status as 'new']++;
    counts[item.action as 'create']++;
  }
  return counts;
}

type BareChange = Omit<ProfileChange, 'keys' | 'dangerousKeys' | 'replacesRemote' | 'state'>;

/** Adds what the person must see before trusting a profile: its key names, the risky ones, and whether it could replace a remote profile. */
function withSafety(c: BareChange, incoming: BundleProfile, draft: boolean, existingDraft: boolean): ProfileChange {
  const keys = Object.keys(incoming.authData);
  const replaces = replacesRemote(c);
  return {
    ...c,
    note: replaces ? REPLACE_NOTE : c.note,
    keys,
    dangerousKeys: keys.filter((k) => dangerousEnvName(k) !== null),
    replacesRemote: replaces,
    state: draft || replaces || (c.action === 'update' && existingDraft) ? 'draft' : 'pending',
  };
}

function previewProfiles(vault: Vault, bundle: Bundle, policy: ConflictPolicy, draft: boolean): ProfileChange[] {
  const changes = bareProfileChanges(vault, bundle, policy);
  const drafts = new Set(vault.profiles.list().flatMap((s) => (s.syncState === 'draft' ? [s.id] : [])));
  return changes.map((c, i) => withSafety(c, bundle.items.profiles[i] as BundleProfile, draft, c.existingId !== null && drafts.has(c.existingId)));
}

function bareProfileChanges(vault: Vault, bundle: Bundle, policy: ConflictPolicy): BareChange[] {
  const existing = new Map<string, ProfileSummary>();
  for (const s of vault.profiles.list()) existing.set(profileKey(s.agentId, s.name), s);
  // Only keep-both needs every name in use, and only once something differs.
  let taken: Set<string> | null = null;
  const allTaken = () => (taken ??= new Set([...existing.keys(), ...bundle.items.profiles.map((p) => profileKey(p.agentId, p.name))]));
  const store = vault.profiles.store;

  return bundle.items.profiles.map((p): BareChange => {
    const hasToken = p.authToken !== undefined;
    const current = existing.size > 0 ? existing.get(profileKey(p.agentId, p.name)) : undefined;
    if (!current) {
      return { agentId: p.agentId, name: p.name, status: 'new', diff: null, action: 'create', importedAs: null, existingId: null, withToken: hasToken, note: null };
    }
    const base = { agentId: p.agentId, name: p.name, importedAs: null, note: null };
    const row = store.row(current.id);
    if (!row) throw new KeyholdError('Conflict', 'The vault changed during the import preview; run the import again.');
    const remote = hasToken ? store.remote(row) : null;
    const diff = diffProfile(p, store.secrets(row).authData, current.saveSession, remote?.authToken ?? null);
    const known = { ...base, diff, existingId: current.id };
    if (isSame(diff)) return { ...known, status: 'identical', action: 'skip', withToken: false };
    if (policy === 'overwrite') return { ...known, status: 'differs', action: 'update', withToken: hasToken };
    if (policy === 'skip') return { ...known, status: 'differs', action: 'skip', withToken: false };
    return {
      ...known,
      status: 'differs',
      action: 'create',
      importedAs: keepBothName(p.name, allTaken(), p.agentId),
      withToken: false,
      // Kura binds a token to agent + name, so it cannot follow the profile to its new name.
      note: hasToken ? 'its Kura token stays behind: under a new name it becomes a new remote profile' : null,
    };
  });
}

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
    if (policy === 'overwrite') return { ...known, status: 'differs', action: 'update' };
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
  const declared = new Map<string, readonly string[]>();
  for (const a of vault.agents.list()) declared.set(a.agentId, a.args);
  const incomingArgs = new Map((bundle.items.agents ?? []).map((a) => [a.agentId, a.args]));
  for (const a of agents) if (a.action === 'declare') declared.set(a.agentId, incomingArgs.get(a.agentId) ?? []);

  const problems: string[] = [];
  bundle.items.profiles.forEach((p, i) => {
    const change = profiles[i] as ProfileChange;
    const args = declared.get(p.agentId);
    if (change.action === 'skip' || !args) return;
    const undeclared = undeclaredKeys(args, Object.keys(p.authData));
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

function warningsFor(vault: Vault, opened: OpenedImport, profiles: ProfileChange[], agents: AgentChange[]): string[] {
  const warnings: string[] = [];
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
  const risky = profiles.filter((p) => p.action !== 'skip' && p.dangerousKeys.length > 0);
  if (risky.length > 0) {
    const names = [...new Set(risky.flatMap((p) => p.dangerousKeys))].join(', ');
    warnings.push(`${risky.length} profile(s) carry keys that change how a program runs when injected (${names}): each must be allowed by name.`);
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
    const summaries = vault.profiles.list();
    for (const a of declared) {
      const args = new Set(a.added);
      const misfits = summaries.filter((s) => s.agentId === a.agentId && s.keys.some((k) => !args.has(k))).length;
      if (misfits > 0) warnings.push(`Agent "${a.agentId}" will declare arguments that ${misfits} existing profile(s) do not fit; edit them before their next change.`);
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

/** Works out what an import would do, without changing anything. Throws if it would break a declared argument. */
export function previewImport(vault: Vault, opened: OpenedImport, options: PreviewOptions = {}): ImportPreview {
  const policy = options.onConflict ?? 'skip';
  const { bundle } = opened;
  const stamp = writeStamp(vault);
  const profiles = previewProfiles(vault, bundle, policy, options.draft ?? false);
  const byokKeys = previewByok(vault, bundle, policy);
  const agents = previewAgents(vault, bundle);
  checkDeclaredArgs(vault, bundle, profiles, agents);
  checkByokKeys(bundle, byokKeys);
  const preview: ImportPreview = {
    exportedAt: bundle.exportedAt,
    signer: opened.signer,
    tokensIncluded: bundle.tokensIncluded,
    policy,
    state: options.draft ? 'draft' : 'pending',
    profiles,
    byokKeys,
    agents,
    counts: { profiles: countOf(profiles), byokKeys: countOf(byokKeys) },
    warnings: warningsFor(vault, opened, profiles, agents),
  };
  stamps.set(preview, { stamp, opened });
  return preview;
}

// ---- import: apply -------------------------------------------------------------------------

// What the person saw must be what is applied: anything that would act differently is a change.
const decisions = (p: ImportPreview): string =>
  JSON.stringify([
    p.profiles.map((c) => [c.action, c.existingId, c.importedAs, c.withToken, c.state]),
    p.byokKeys.map((c) => [c.action, c.existingId]),
    p.agents.map((c) => c.action),
  ]);

function setToken(vault: Vault, id: string, authToken: string): void {
  const summary = vault.profiles.resolve(id);
  vault.profiles.recordSync(
    summary,
    { ...Profiles.metaOf(summary), hasToken: true },
    { authToken, agentId: summary.agentId, name: summary.name },
    summary.syncState,
  );
}

function applyChanges(vault: Vault, bundle: Bundle, preview: ImportPreview, consent: ImportConsent): ImportResult {
  const draft = preview.state === 'draft';
  const allowed = (c: ProfileChange): string[] => (consent.allowEnv ?? []).filter((name) => c.dangerousKeys.some((k) => k.toUpperCase() === name.toUpperCase()));
  let declared = 0;
  preview.agents.forEach((a, i) => {
    if (a.action !== 'declare') return;
    vault.agents.set({ agentId: a.agentId, args: (bundle.items.agents?.[i] as BundleAgent).args });
    declared++;
  });

  const incoming = bundle.items.profiles;
  const creates = preview.profiles.flatMap((c, i) => (c.action === 'create' ? [{ change: c, profile: incoming[i] as BundleProfile }] : []));
  const ids = vault.profiles.createMany(
    creates.map(({ change, profile }) => ({
      agentId: profile.agentId,
      name: change.importedAs ?? profile.name,
      authData: profile.authData,
      saveSession: profile.saveSession,
      draft: change.state === 'draft',
      allowEnv: allowed(change),
    })),
    'import',
  );
  let tokens = 0;
  creates.forEach(({ change, profile }, i) => {
    if (change.withToken && profile.authToken !== undefined) {
      setToken(vault, ids[i] as string, profile.authToken);
      tokens++;
    }
  });

  let updated = 0;
  preview.profiles.forEach((c, i) => {
    if (c.action !== 'update' || c.existingId === null) return;
    const profile = incoming[i] as BundleProfile;
    vault.profiles.edit(
      c.existingId,
      { replaceAuthData: profile.authData, saveSession: profile.saveSession, ...(draft ? { draft: true } : {}), allowEnv: allowed(c) },
      { reason: 'import' },
    );
    if (c.withToken && profile.authToken !== undefined) {
      setToken(vault, c.existingId, profile.authToken);
      tokens++;
    }
    updated++;
  });

  const byok = { created: 0, updated: 0, skipped: 0 };
  preview.byokKeys.forEach((c, i) => {
    if (c.action === 'skip') {
      byok.skipped++;
      return;
    }
    const key = bundle.items.byokKeys?.[i] as BundleByokKey;
    // A local-only key rests as a draft without being one: an Anthropic key replacing it is queued.
    const existing = c.existingId === null ? null : vault.byok.load(c.existingId).summary;
    const keepDraft = existing !== null && existing.syncState === 'draft' && !existing.localOnly;
    vault.byok.set({ kind: key.kind, provider: key.provider, apiKey: key.apiKey, draft: draft || keepDraft }, 'import');
    byok[c.action === 'create' ? 'created' : 'updated']++;
  });

  const result: ImportResult = {
    profiles: { created: creates.length, updated, skipped: preview.profiles.length - creates.length - updated },
    byokKeys: byok,
    agents: { declared, notApplied: preview.agents.filter((a) => a.status === 'differs').length },
    tokens,
    state: preview.state,
  };
  vault.audit.append('bundle_imported', {
    signed: preview.signer.signed,
    signer: preview.signer.fingerprint,
    knownSigner: preview.signer.trusted,
    signerTrustedForImport: !preview.signer.trusted && preview.signer.signed && (consent.trustSigner ?? false),
    replacingDrafts: preview.profiles.filter((c) => c.replacesRemote).length,
    policy: preview.policy,
    state: preview.state,
    profilesCreated: result.profiles.created,
    profilesUpdated: result.profiles.updated,
    profilesSkipped: result.profiles.skipped,
    byokCreated: byok.created,
    byokUpdated: byok.updated,
    agentsDeclared: declared,
    tokensImported: tokens,
  });
  return result;
}

/**
 * Applies a previewed import in one transaction: everything or nothing. The preview is worked out
 * again inside the transaction and must match, so a vault changed since it was shown is refused.
 */
export function applyImport(vault: Vault, opened: OpenedImport, preview: ImportPreview, consent: ImportConsent = {}): ImportResult {
  checkImportConsent(preview, consent);
  let wrote = false;
  try {
    return tx(vault.db, () => {
      const made = stamps.get(preview);
      const unchanged = made !== undefined && made.opened === opened && made.stamp === writeStamp(vault);
      const fresh = unchanged ? preview : previewImport(vault, opened, { onConflict: preview.policy, draft: preview.state === 'draft' });
      if (fresh !== preview && decisions(fresh) !== decisions(preview)) {
        throw new KeyholdError('Conflict', 'The vault changed since the import preview was made. Nothing was imported; preview it again.');
      }
      wrote = true;
      return applyChanges(vault, opened.bundle, fresh, consent);
    });
  } catch (e) {
    // The transaction rolled back, but the in-memory indexes were updated as it went.
    if (wrote) {
      vault.agents.buildIndex();
      vault.profiles.buildIndex();
    }
    throw e;
  }
}

export interface ImportFileOptions extends OpenImportOptions, PreviewOptions, ImportConsent {
  /** Preview only. */
  dryRun?: boolean;
}

/** The whole `keyhold import`: read, decrypt, verify, preview, and unless dry-run apply. */
export async function importFile(
  vault: Vault,
  path: string,
  options: ImportFileOptions = {},
): Promise<{ preview: ImportPreview; result: ImportResult | null }> {
  const file = await timedAsync(options.onPhase, 'read', () => readBundleFile(path));
  const opened = await openImport(vault, file, options);
  const preview = timed(options.onPhase, 'preview', () => previewImport(vault, opened, options));
  if (options.dryRun) return { preview, result: null };
  const result = timed(options.onPhase, 'apply', () => applyImport(vault, opened, preview, options));
  return { preview, result };
}
