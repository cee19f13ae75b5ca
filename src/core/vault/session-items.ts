import { revealedAuthData } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { heldValues } from './held-values';
import { pickProfile } from './items';
import { outsideSession, type SessionSnapshot } from './sessions';
import type { Vault } from './vault';

export type SessionProfile = SessionSnapshot['profiles'][number];
type SessionByok = SessionSnapshot['byok'][number];

/**
 * The values of named items, for what hands them to a program (`run`, `byok print`, a session
 * opened for some items only): read from the unlocked vault, or from such a session's snapshot.
 */
export interface ItemReader {
  /** A profile by reference, its values and Kura token revealed (audited when read from the vault). */
  profile(ref: string): SessionProfile;
  /**
   * The profile of this agent with this name, exactly as a keyhold:// reference names it: null if
   * the vault has none; a session for some items only refuses one it does not hold.
   */
  named(agentId: string, name: string): SessionProfile | null;
  byok(kind: string): SessionByok;
  /** Why a profile has no token to hand out, when it can be said. */
  whyNoToken(id: string): string | null;
  /** Every secret it can hand out (values, Kura tokens, BYOK keys): what `redact` conceals. */
  values(): string[];
}

export function vaultItems(vault: Vault): ItemReader {
  const profile = (ref: string): SessionProfile => {
    const d = vault.profiles.get(ref, { reveal: true });
    return {
      id: d.id,
      agentId: d.agentId,
      name: d.name,
      authData: revealedAuthData(d),
      authToken: d.authToken ?? null,
      tokenEnv: vault.agents.tokenEnvFor(d.agentId),
    };
  };
  return {
    profile,
    named: (agentId, name) => {
      const summary = vault.profiles.list().find((p) => p.agentId === agentId && p.name === name);
      return summary ? profile(summary.id) : null;
    },
    byok: (kind) => {
      const d = vault.byok.get(kind, { reveal: true });
      if (d.apiKey === null) throw new KeyholdError('Internal', `The key for ${kind} could not be read.`);
      return { id: d.id, kind: d.kind, provider: d.provider, apiKey: d.apiKey };
    },
    whyNoToken: (id) => {
      const found = vault.profiles.tokenOrReason(id);
      return 'reason' in found ? found.reason : null;
    },
    values: () => heldValues(vault).map((h) => h.value),
  };
}

/**
 * What a session opened for these items only will hold: each read from the vault once (and its
 * reveal audited), named by the references given. Nothing to hold is refused.
 */
export function sessionSnapshot(vault: Vault, profiles: readonly string[], kinds: readonly string[]): SessionSnapshot {
  const items = vaultItems(vault);
  const snapshot: SessionSnapshot = { profiles: [], byok: [] };
  for (const ref of profiles) {
    const p = items.profile(ref);
    if (!snapshot.profiles.some((held) => held.id === p.id)) snapshot.profiles.push(p);
  }
  for (const kind of kinds) {
    const b = items.byok(kind);
    if (!snapshot.byok.some((held) => held.id === b.id)) snapshot.byok.push(b);
  }
  if (snapshot.profiles.length === 0 && snapshot.byok.length === 0) {
    throw new KeyholdError('BadInput', 'A session for some items only needs at least one profile or BYOK key.');
  }
  return snapshot;
}

/** The items a session opened for some items only holds; anything else is refused, naming what it holds. */
export function snapshotReader(snapshot: SessionSnapshot): ItemReader {
  const notHeld = (what: string) => outsideSession(snapshot, `it does not hold ${what}`);
  return {
    profile: (ref) => {
      // The references the vault accepts, with the same rules.
      const found = pickProfile(snapshot.profiles, ref);
      if (!found) throw notHeld(`the profile "${ref}"`);
      return found;
    },
    named: (agentId, name) => {
      const found = snapshot.profiles.find((p) => p.agentId === agentId && p.name === name);
      if (!found) throw notHeld(`the profile "${agentId}/${name}"`);
      return found;
    },
    byok: (kind) => {
      const found = snapshot.byok.find((b) => b.kind === kind);
      if (!found) throw notHeld(`the BYOK key for ${kind}`);
      return found;
    },
    whyNoToken: (id) => {
      const held = snapshot.profiles.find((p) => p.id === id);
      return held ? `"${held.agentId}/${held.name}" had no Kura token when this session began; once it has one, unlock again.` : null;
    },
    values: () => [
      ...snapshot.profiles.flatMap((p) => [...Object.values(p.authData), ...(p.authToken === null ? [] : [p.authToken])]),
      ...snapshot.byok.map((b) => b.apiKey),
    ],
  };
}
