import { lstat, stat } from 'node:fs/promises';
import type { ProfileSummary } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import type { ExportSummary } from '../../shared/share';
import { folderError, writeFileExclusive0600 } from '../devflow/write-file';
import type { SecretRow } from '../vault/items';
import type { Vault } from '../vault/vault';
import { BUNDLE_FORMAT, BUNDLE_VERSION } from './bundle';
import type { BundleAgent, BundleByokKey, BundleItems, BundleProfile, UnsignedBundle } from './bundle';
import { checkTarget, encryptBundle, serializeBundle } from './seal';
import type { EncryptionTarget } from './seal';
import { fingerprint, signBundle } from './signature';
import { loadVaultKeys } from './vault-keys';
import { timed, timedAsync, type PhaseTimer } from './phases';

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

/**
 * Reads what an export carries out of the vault, in one read transaction (one consistent state of
 * the file, the vault key checked once). Values are decrypted here; never log the result.
 */
export interface ExportContent {
  items: BundleItems;
  tokensIncluded: boolean;
  /** The vault ids of `items.profiles` and `items.byokKeys`, in the same order: names an item whose value the bundle rules refuse. */
  ids: { profiles: string[]; byokKeys: string[] };
}

export function collectExport(vault: Vault, selection: ExportSelection): ExportContent {
  const refs = selection.select ?? [];
  if (selection.all && refs.length > 0) {
    throw new KeyholdError('BadInput', 'Export either every profile or a selection, not both.', { field: 'select' });
  }
  if (!selection.all && refs.length === 0 && !selection.withByok) {
    throw new KeyholdError('BadInput', 'Choose what to export: every profile, a selection of profiles, or the BYOK keys.', { field: 'select' });
  }
  const store = vault.profiles.store;
  return store.bulkRead((rows) => collect(vault, selection, refs, rows));
}

function collect(vault: Vault, selection: ExportSelection, refs: readonly string[], rows: Map<string, SecretRow>): ExportContent {
  const chosen: ProfileSummary[] = selection.all ? vault.profiles.list() : [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const summary = vault.profiles.resolve(ref);
    if (!seen.has(summary.id)) chosen.push(summary);
    seen.add(summary.id);
  }

  const store = vault.profiles.store;
  // Salvage reads what it can: an item whose cell fails its check is left out, not fatal.
  const readable = <R, T>(read: (row: R) => T, row: R): T | null => {
    try {
      return read(row);
    } catch (e) {
      if (selection.skipDamaged && isDamaged(e)) return null;
      throw e;
    }
  };
  const secretsOf = (row: Parameters<typeof store.secrets>[0]) => store.secrets(row);
  const remoteOf = (row: Parameters<typeof store.remote>[0]) => store.remote(row);
  // A plain loop: no closure or one-element array per profile, which showed at 10,000 profiles.
  const profiles: BundleProfile[] = [];
  const profileIds: string[] = [];
  for (const summary of chosen) {
    const row = rows.get(summary.id);
    if (!row) throw new KeyholdError('NotFound', `Profile "${summary.agentId}/${summary.name}" was deleted during the export.`);
    const secrets = readable(secretsOf, row);
    if (!secrets) continue;
    const profile: BundleProfile = {
      agentId: summary.agentId,
      name: summary.name,
      authData: secrets.authData,
      saveSession: summary.saveSession,
    };
    if (selection.includeTokens && summary.hasToken) {
      const remote = readable(remoteOf, row);
      // A token is bound to the remote identity it was issued for; one for a lost remote profile is useless.
      if (remote?.authToken && !remote.missing && remote.agentId === summary.agentId && remote.name === summary.name) {
        profile.authToken = remote.authToken;
      }
    }
    profiles.push(profile);
    profileIds.push(summary.id);
  }

  const agents: BundleAgent[] = [];
  for (const agentId of new Set(profiles.map((p) => p.agentId))) {
    const declared = vault.agents.get(agentId);
    if (declared) agents.push({ agentId, args: declared.args });
  }

  const byokKeys: BundleByokKey[] = [];
  const byokIds: string[] = [];
  for (const b of selection.withByok ? vault.byok.list() : []) {
    const loaded = readable((id: string) => vault.byok.load(id), b.id);
    if (!loaded) continue;
    byokKeys.push({ kind: b.kind, provider: b.provider, apiKey: loaded.secrets.apiKey });
    byokIds.push(b.id);
  }

  if (profiles.length + byokKeys.length === 0) {
    throw new KeyholdError('BadInput', 'There is nothing to export: the selection holds no profiles or BYOK keys.');
  }
  return {
    tokensIncluded: selection.includeTokens ?? false,
    items: { profiles, ...(byokKeys.length > 0 ? { byokKeys } : {}), ...(agents.length > 0 ? { agents } : {}) },
    ids: { profiles: profileIds, byokKeys: byokIds },
  };
}

/**
 * A value the bundle rules refuse (a vault written before a rule was added may hold one) is named by
 * the item it belongs to, by id: "items.profiles.3.name" means nothing to a person, and the name
 * itself may be what reads as another.
 */
function namedByItem(e: unknown, content: ExportContent): unknown {
  const where = e instanceof KeyholdError && e.code === 'BadInput' && e.field ? /^items\.(profiles|byokKeys|agents)\.(\d+)\.(.+)$/.exec(e.field) : null;
  if (!where) return e;
  const [path, list, index, field] = where as unknown as [string, keyof BundleItems, string, string];
  // parseInput puts the path in front of the reason.
  const message = (e as KeyholdError).message;
  const reason = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
  const i = Number(index);
  const item =
    list === 'profiles'
      ? `the profile ${content.ids.profiles[i]}`
      : list === 'byokKeys'
        ? `the BYOK key ${content.ids.byokKeys[i]}`
        : `the declaration of agent "${content.items.agents?.[i]?.agentId ?? ''}"`;
  return new KeyholdError('BadInput', `Nothing was exported: ${item} cannot travel in a bundle (its ${field}). ${reason}`, { field: 'notExportable' });
}

/** Builds, signs with the vault's key and encrypts an export; returns the age file's bytes. Writes nothing. */
export async function sealExport(vault: Vault, options: ExportOptions): Promise<{ file: Uint8Array; summary: ExportSummary }> {
  const onPhase = options.onPhase;
  checkTarget(options.target);
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
    const signed = timed(onPhase, 'sign', () => signBundle(unsigned, keys.signingKey.privateKey, onPhase));
    plaintext = timed(onPhase, 'serialize', () => serializeBundle(signed));
  } catch (e) {
    throw namedByItem(e, content);
  } finally {
    keys.signingKey.privateKey.fill(0);
  }
  const target = options.target;
  const file = await timedAsync(onPhase, 'encrypt', () =>
    encryptBundle(plaintext, target, {
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

/** Refuses a path an export may not be written to (taken, a folder, a device): exportToFile asks it first; a caller may ask before its own questions. */
export async function refuseExisting(path: string): Promise<void> {
  // The shared write's own messages offer standard output, where an export never goes.
  if (path === '') throw new KeyholdError('BadInput', 'The file to export to has an empty name: name the new file to write.', { field: 'out' });
  const taken = await lstat(path).catch(() => null);
  if (taken?.isDirectory()) throw folderError(path, 'out');
  if (!taken) return;
  // "Remove it first" is no advice for /dev/stdout, a terminal or a pipe: say what it is.
  const target = taken.isSymbolicLink() ? await stat(path).catch(() => null) : taken;
  if (target !== null && !target.isFile() && !target.isDirectory()) {
    throw new KeyholdError(
      'BadInput',
      `${path} is ${taken.isSymbolicLink() ? 'a link to ' : ''}a device, a pipe or a socket, not a file: an export is written only to a new file of its own (mode 0600). Name one.`,
      { field: 'out' },
    );
  }
  throw existsError(path);
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
