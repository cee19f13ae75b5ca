import type { KeyExpiry, ProfilePatch, SyncState, SyncType } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { assertEnvNamesAllowed, keptAllowances } from '../devflow/env-names';
import type { AgentRegistry } from './agents';
import type { ProfileContext } from './profile-context';
import { refuseLookAlike } from './profile-index';
import { iso, type ProfileMeta, type ProfileRemote, type ProfileSecrets } from './profile-model';

// ---- an edit, decided: what a patch makes of a profile as it is now (Profiles.edit writes it) ----

/** The same names with the same values, in the same order. */
function sameEntries(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(a);
  const others = Object.keys(b);
  return names.length === others.length && names.every((name, i) => name === others[i] && a[name] === b[name]);
}

/**
 * What an edit makes of the profile as it is now; `same` when it changes nothing (no new
 * version, and a synced profile is not queued again).
 */
export function planEdit(
  ctx: ProfileContext,
  agents: AgentRegistry,
  id: string,
  patch: ReturnType<typeof ProfilePatch.parse>,
  current: { meta: ProfileMeta; secrets: ProfileSecrets; remote: ProfileRemote | null },
  syncState: SyncState,
  options: { confirmNewRemote?: boolean; bringBackToken?: ProfileRemote },
) {
  const agentId = patch.agentId ?? current.meta.agentId;
  const name = patch.name ?? current.meta.name;
  const authData: Record<string, string> = patch.replaceAuthData ? { ...patch.replaceAuthData } : { ...current.secrets.authData, ...(patch.set ?? {}) };
  for (const key of patch.unset ?? []) {
    if (!Object.hasOwn(authData, key)) throw new KeyholdError('BadInput', `The profile has no key "${key}" to remove.`, { field: key });
    delete authData[key];
  }
  const saveSession = patch.saveSession ?? current.meta.saveSession;
  agents.checkKeys(agentId, Object.keys(authData));
  // Every change that gives such a key a value must allow it by name, so an import or a paste
  // cannot slip a new value under an allowance given for an old one.
  const written = Object.keys(authData).filter((k) => current.secrets.authData[k] !== authData[k]);
  assertEnvNamesAllowed(written, patch.allowEnv ?? [], `Profile "${agentId}/${name}"`);
  const allowEnv = keptAllowances(Object.keys(authData), [...(current.meta.allowEnv ?? []), ...(patch.allowEnv ?? [])]);
  // Every allowance given is audited, also one that renews an allowance for a new value.
  const givenAllowances = keptAllowances(Object.keys(authData), patch.allowEnv ?? []);

  const identityChanged = agentId !== current.meta.agentId || name !== current.meta.name;
  if (identityChanged) refuseLookAlike(agentId, name, ctx.index.readsAs(agentId, name, id));
  let remote: ProfileRemote | null | undefined;
  let retiredToken: ProfileRemote | undefined;
  let lastSyncType: SyncType | null = current.meta.lastSyncType;
  if (identityChanged && current.remote?.authToken) {
    if (!options.confirmNewRemote) {
      throw new KeyholdError(
        'Conflict',
        `"${current.meta.agentId}/${current.meta.name}" is synced. Renaming or moving it creates a new remote profile with a new token; the old remote profile stays on Kura.`,
        // Points at the confirmation the call lacks, so callers can ask for it (not at the name).
        { field: 'confirmNewRemote' },
      );
    }
    // Kept in this version's history: restoring an earlier version brings it back.
    retiredToken = current.remote;
    remote = null;
    lastSyncType = null;
  }
  if (options.bringBackToken) {
    remote = options.bringBackToken;
    lastSyncType = options.bringBackToken.syncType ?? null;
  }
  const draft = patch.draft ?? syncState === 'draft';
  const state: SyncState = draft ? 'draft' : 'pending';
  // A key's expiry follows its value: a new value has no known expiry date and starts its rotation period again.
  const expiry: Record<string, KeyExpiry> = {};
  for (const [key, e] of Object.entries(current.meta.expiry ?? {})) {
    if (!Object.hasOwn(authData, key)) continue;
    if (authData[key] === current.secrets.authData[key]) expiry[key] = e;
    else if (e.rotateDays !== undefined) expiry[key] = { rotateDays: e.rotateDays, since: iso(ctx.now()) };
  }
  const meta: ProfileMeta = {
    agentId,
    name,
    keys: Object.keys(authData),
    saveSession,
    lastSyncType,
    lastError: null,
    hasToken: remote === undefined ? current.meta.hasToken : Boolean(remote?.authToken),
    ...(allowEnv.length > 0 ? { allowEnv } : {}),
    ...(Object.keys(expiry).length > 0 ? { expiry } : {}),
  };
  const same =
    !identityChanged &&
    remote === undefined &&
    givenAllowances.length === 0 &&
    saveSession === current.meta.saveSession &&
    draft === (syncState === 'draft') &&
    sameEntries(authData, current.secrets.authData) &&
    allowEnv.join('\n') === (current.meta.allowEnv ?? []).join('\n');
  return { same, meta, authData, remote, retiredToken, state, givenAllowances };
}
