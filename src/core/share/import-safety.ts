import { KeyholdError } from '../../shared/errors';
import type { ImportPreview, ProfileChange } from '../../shared/share';
import { quoteName, unallowedEnvNames } from '../devflow/env-names';

// What an import must not do behind the person's back: take the word of a stranger's key, give a
// profile a variable that runs code (NODE_OPTIONS…), or quietly replace someone's remote profile.

export interface ImportConsent {
  /** The person compared the fingerprint of a signer who is neither this vault nor a contact, and trusts it for this import. */
  trustSigner?: boolean;
  /** Keys that change how a program runs, allowed by name for this import. */
  allowEnv?: readonly string[];
}

/**
 * Refuses an import the person has not consented to: from a signer that is not trusted, or writing
 * a profile with a key that changes how a program runs and is not allowed by name. Nothing is
 * written; the preview already shows the fingerprint and the keys, so the person can decide.
 */
export function checkImportConsent(preview: ImportPreview, consent: ImportConsent): void {
  const { signer } = preview;
  if (signer.signed && !signer.trusted && !consent.trustSigner) {
    throw new KeyholdError(
      'UntrustedSigner',
      `Nothing was imported: the file is signed by a key that is neither this vault's nor one of your contacts' (fingerprint ${signer.fingerprint}). ` +
        'Compare the fingerprint with the sender by another channel before trusting it, or add them as a contact with their signing key.',
      { field: 'trustSigner' },
    );
  }
  const refused = preview.profiles.flatMap((c) =>
    c.action === 'skip' ? [] : unallowedEnvNames(c.dangerousKeys, consent.allowEnv ?? []).map((key) => ({ key, change: c })),
  );
  if (refused.length === 0) return;
  const shown = refused
    .slice(0, 10)
    .map(({ key, change }) => `${quoteName(key)} in "${change.agentId}/${change.name}"`)
    .join(', ');
  const more = refused.length > 10 ? ` and ${refused.length - 10} more` : '';
  throw new KeyholdError(
    'DangerousKey',
    `Nothing was imported: the file gives profiles keys that would change how a program loads or runs when injected as environment ` +
      `variables (${shown}${more}). Such a variable can make a program run the sender's code; allow each one by name only if you expected it.`,
    { field: 'allowEnv' },
  );
}

/**
 * A profile created without a token under its own agent id and name: Kura knows profiles by agent
 * and name, so its first sync would replace the sender's remote profile (if they synced it) and
 * invalidate their token. A renamed copy (keep-both) is a new remote profile and replaces nothing.
 */
export const replacesRemote = (c: Pick<ProfileChange, 'action' | 'importedAs' | 'withToken'>): boolean =>
  c.action === 'create' && c.importedAs === null && !c.withToken;

export const REPLACE_NOTE =
  'a first sync would replace the remote profile of this agent and name (if the sender synced it) and invalidate their token, so it arrives as a draft';
