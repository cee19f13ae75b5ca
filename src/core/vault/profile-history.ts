import type { ItemVersion, ProfilePatch } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { isLastToken } from './kura-identities';
import type { ProfileContext } from './profile-context';
import { iso, usableToken, type ProfileRemote, type ProfileVersionDiff } from './profile-model';

// ---- a profile's versions: listing, comparing, and what restoring one means ----

export function history(ctx: ProfileContext, ref: string): ItemVersion[] {
  const { id } = ctx.index.resolve(ref);
  return ctx.store.versions(id).map((v) => ({
    version: v.version,
    at: iso(v.at),
    reason: v.reason,
    summary: `${v.snapshot.agentId}/${v.snapshot.name}: ${Object.keys(v.snapshot.authData).length} key(s) [${Object.keys(v.snapshot.authData).join(', ')}]${v.snapshot.saveSession ? ', saves session' : ''}${v.snapshot.retiredToken?.authToken ? `; kept the Kura token of ${v.snapshot.retiredToken.agentId}/${v.snapshot.retiredToken.name}` : ''}`,
    ...(v.source ? { source: v.source } : {}),
  }));
}

/**
 * What changed between two versions of a profile: key names added, removed and changed, and
 * its agent, name and session setting when they differ. Values only with `reveal` (audited).
 */
export function diff(ctx: ProfileContext, ref: string, from: number, to: number, options: { reveal?: boolean } = {}): ProfileVersionDiff {
  const summary = ctx.index.resolve(ref);
  const versions = ctx.store.versions(summary.id);
  const pick = (n: number) => {
    const v = versions.find((x) => x.version === n);
    if (!v) throw new KeyholdError('NotFound', `Profile "${ref}" has no version ${n}.`, { field: 'unknownVersion' });
    return v.snapshot;
  };
  const a = pick(from);
  const b = pick(to);
  const keys = [...new Set([...Object.keys(a.authData), ...Object.keys(b.authData)])].sort();
  const value = (data: Record<string, string>, key: string) => (options.reveal && Object.hasOwn(data, key) ? (data[key] ?? null) : null);
  const changes: ProfileVersionDiff['keys'] = [];
  for (const key of keys) {
    const inA = Object.hasOwn(a.authData, key);
    const inB = Object.hasOwn(b.authData, key);
    const change = !inA ? 'added' : !inB ? 'removed' : a.authData[key] === b.authData[key] ? null : 'changed';
    if (change) changes.push({ key, change, from: value(a.authData, key), to: value(b.authData, key) });
  }
  const fields: ProfileVersionDiff['fields'] = [];
  if (a.agentId !== b.agentId) fields.push({ field: 'agentId', from: a.agentId, to: b.agentId });
  if (a.name !== b.name) fields.push({ field: 'name', from: a.name, to: b.name });
  if (a.saveSession !== b.saveSession) fields.push({ field: 'saveSession', from: String(a.saveSession), to: String(b.saveSession) });
  if (options.reveal) ctx.audit.recordRead('secret_revealed', { item: 'profile', id: summary.id, diff: `${from}..${to}` });
  return { id: summary.id, from, to, revealed: options.reveal ?? false, keys: changes, fields };
}

/** What restoring a version means, as the edit that makes it current again (as a new version). */
export interface RestoreEdit {
  id: string;
  patch: ProfilePatch;
  options: { confirmNewRemote?: boolean; reason: 'restore'; bringBackToken?: ProfileRemote };
}

export function restoreEdit(ctx: ProfileContext, ref: string, version: number, options: { confirmNewRemote?: boolean; allowEnv?: string[] } = {}): RestoreEdit {
  const { id } = ctx.index.resolve(ref);
  const target = ctx.store.versions(id).find((v) => v.version === version);
  if (!target) throw new KeyholdError('NotFound', `Profile "${ref}" has no version ${version}.`, { field: 'unknownVersion' });
  const s = target.snapshot;
  const current = ctx.load(id);
  // A token left behind by a rename or move comes back with the identity it was issued for,
  // unless the profile already holds a working token for that identity.
  const hasOwn = usableToken(current.remote, s.agentId, s.name) !== null;
  const retired = hasOwn ? undefined : retiredTokenFor(ctx, id, s.agentId, s.name);
  return {
    id,
    patch: {
      agentId: s.agentId,
      name: s.name,
      replaceAuthData: s.authData,
      saveSession: s.saveSession,
      ...(options.allowEnv ? { allowEnv: options.allowEnv } : {}),
    },
    options: {
      ...(options.confirmNewRemote === undefined ? {} : { confirmNewRemote: options.confirmNewRemote }),
      reason: 'restore',
      ...(retired ? { bringBackToken: retired } : {}),
    },
  };
}

/**
 * The newest token kept in the history for this agent + name, if any, unless Kura has voided it
 * since: another profile of that agent + name synced as a create or replace (kura-identities.ts).
 * Without it the restore is what going back to that name is then, a new remote profile to confirm.
 */
function retiredTokenFor(ctx: ProfileContext, id: string, agentId: string, name: string): ProfileRemote | undefined {
  for (const v of ctx.store.versions(id)) {
    const t = v.snapshot.retiredToken;
    if (t?.authToken && t.agentId === agentId && t.name === name) {
      return isLastToken(ctx.db, ctx.cells, { agentId, name, authToken: t.authToken }) === false ? undefined : t;
    }
  }
  return undefined;
}
