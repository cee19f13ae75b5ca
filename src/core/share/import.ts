import { basename } from 'node:path';
import { KeyholdError } from '../../shared/errors';
import type { ImportPreview, ImportResult, ProfileChange } from '../../shared/share';
import { tx } from '../vault/db';
import { Profiles } from '../vault/profiles';
import type { Vault } from '../vault/vault';
import type { BundleAgent, BundleByokKey, BundleProfile } from './bundle';
import { checkImportConsent, type ImportConsent } from './import-safety';
import { timed, timedAsync } from './phases';
import { previewImport, previewIsCurrent, type PreviewOptions } from './import-preview';
import { bundleSource, openImport, readBundleFile, type OpenedImport, type OpenImportOptions } from './import-open';

// What the person saw must be what is applied: anything that would act differently is a change.
const decisions = (p: ImportPreview): string =>
  JSON.stringify([
    p.profiles.map((c) => [c.action, c.existingId, c.importedAs, c.withToken, c.state]),
    p.byokKeys.map((c) => [c.action, c.existingId]),
    p.agents.map((c) => c.action),
  ]);

function setToken(vault: Vault, id: string, authToken: string): void {
  const summary = vault.profiles.resolve(id);
  const token = { authToken, agentId: summary.agentId, name: summary.name };
  // Noted as the live token of its agent + name: the bundle is the newest word this vault has.
  vault.profiles.recordSync(summary, { ...Profiles.metaOf(summary), hasToken: true }, token, summary.syncState, token);
}

function applyChanges(vault: Vault, opened: OpenedImport, preview: ImportPreview, consent: ImportConsent): ImportResult {
  const { bundle } = opened;
  const source = bundleSource(opened);
  const draft = preview.state === 'draft';
  const allowed = (c: ProfileChange): string[] =>
    (consent.allowEnv ?? []).filter((name) => c.dangerousKeys.some((k) => k.toUpperCase() === name.toUpperCase()));
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
    source,
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
      { reason: 'import', source },
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
    vault.byok.set({ kind: key.kind, provider: key.provider, apiKey: key.apiKey, draft: draft || keepDraft }, 'import', source);
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
 * Refuses to apply on the word of a contact who is no longer one: the preview named the signer by
 * the contact that held its key, and the person agreed to that; removed (or given to another name)
 * since, the signer is no longer who the preview said.
 */
function checkSignerUnchanged(shown: ImportPreview, fresh: ImportPreview): void {
  const was = shown.signer.contact;
  const now = fresh.signer.contact;
  if (was === now) return;
  const before = was === null ? 'an unknown signer' : `the contact "${was}"`;
  const after = now === null ? 'no contact holds its signing key any more' : `it is now the contact "${now}"`;
  throw new KeyholdError(
    'Conflict',
    `The signer changed since the import preview: it showed ${before}, but ${after}. Nothing was imported; preview it again.`,
    {
      field: 'trustSigner',
    },
  );
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
      const fresh = previewIsCurrent(vault, opened, preview)
        ? preview
        : previewImport(vault, opened, { onConflict: preview.policy, draft: preview.state === 'draft' });
      checkSignerUnchanged(preview, fresh);
      if (fresh !== preview && decisions(fresh) !== decisions(preview)) {
        throw new KeyholdError('Conflict', 'The vault changed since the import preview was made. Nothing was imported; preview it again.');
      }
      wrote = true;
      return applyChanges(vault, opened, fresh, consent);
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
  const opened = await openImport(vault, file, { fileName: basename(path), ...options });
  const preview = timed(options.onPhase, 'preview', () => previewImport(vault, opened, options));
  if (options.dryRun) return { preview, result: null };
  const result = timed(options.onPhase, 'apply', () => applyImport(vault, opened, preview, options));
  return { preview, result };
}
