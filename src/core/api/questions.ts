import type { RemoteKind, TrashEntry } from '../../shared/domain';
import type { UserSettings } from '../../shared/settings';
import type { SignerInfo } from '../../shared/share';
import type { RemoteDestination } from '../vault/remotes';
import type { Question } from './confirm';

// What main's dialog says before each change the window may not make unseen (./confirm.ts). Each
// question names what the change does, in the person's words: the address values go to, the keys
// an export is readable with, what is deleted for good.

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const and = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

const REMOTE: Record<RemoteKind, { name: string; sends: string; items: string; when: string; credential: string }> = {
  kura: {
    name: 'Kura',
    sends: 'the values and Kura tokens of your profiles',
    items: 'Your profiles',
    when: 'whenever it syncs them',
    credential: 'API key',
  },
  backside: { name: 'Backside', sends: 'your BYOK keys', items: 'Your BYOK keys', when: 'whenever it syncs or checks one', credential: 'token' },
};

/**
 * A connection sends what sync pushes somewhere else: another address, or another credential
 * (another account on the same server). With one of its choosing a page could have main push every
 * value, Kura token and BYOK key to its own server (main's requests do not go through the page's
 * blocked network), and a credential it types proves nothing.
 */
export function connectionQuestion(to: RemoteDestination): Question {
  const w = REMOTE[to.kind];
  return {
    title: `${w.name} connection`,
    message: `Send ${w.sends} to ${to.url}?`,
    detail: `Keyhold will send ${w.sends} to this address${to.credentialChanged ? `, with the ${w.credential} just entered,` : ''} ${w.when}.`,
    yes: 'Connect',
    did: `entered this address${to.credentialChanged ? ` and the ${w.credential}` : ''}`,
    action: `Changing the ${w.name} connection`,
    cancelled: `The ${w.name} connection was not changed.`,
  };
}

/** The connection's credential is kept nowhere else by Keyhold: removing it is for good. */
export function removeConnectionQuestion(kind: RemoteKind, url: string): Question {
  const w = REMOTE[kind];
  return {
    title: `${w.name} connection`,
    message: `Remove the ${w.name} connection to ${url}?`,
    detail:
      `Its address and ${w.credential} are deleted from the vault for good; nothing is removed from ${w.name}. ` +
      `${w.items} wait here until you connect again, which needs the ${w.credential}.`,
    yes: 'Remove connection',
    did: 'chose to remove it',
    action: `Removing the ${w.name} connection`,
    cancelled: `The ${w.name} connection was not removed.`,
  };
}

export function purgeQuestion(entry: TrashEntry): Question {
  const what = entry.kind === 'profile' ? `The profile ${entry.ref}` : `The BYOK key ${entry.ref}`;
  return {
    title: 'Trash',
    message: `Delete ${entry.ref} for good?`,
    detail:
      `${what} is deleted with its history${entry.hasToken ? ' and its Kura token' : ''}; this cannot be undone.` +
      (entry.hasToken ? ' Kura cannot issue that token again; the remote profile stays on Kura.' : ''),
    yes: 'Delete forever',
    did: 'chose to delete it',
    action: 'Deleting an item for good',
    cancelled: `${entry.ref} was not deleted.`,
  };
}

export function emptyTrashQuestion(entries: readonly TrashEntry[]): Question {
  const items = entries.length;
  const tokens = entries.filter((e) => e.hasToken).length;
  return {
    title: 'Trash',
    message: 'Empty the trash?',
    detail:
      `${count(items, 'item')} ${items === 1 ? 'is' : 'are'} deleted for good, with ${items === 1 ? 'its' : 'their'} history; this cannot be undone.` +
      (tokens > 0 ? ` ${tokens === 1 ? 'One Kura token goes' : `${tokens} Kura tokens go`} too, which Kura cannot issue again.` : ''),
    yes: 'Empty trash',
    did: 'chose to empty it',
    action: 'Emptying the trash',
    cancelled: 'The trash was not emptied.',
  };
}

/** A contact is a recipient exports can be made readable by, and (with a signing key) a signer whose files import unasked. */
export function contactQuestion(contact: { name: string; recipient: string; fingerprint: string | null }): Question {
  const signs =
    contact.fingerprint === null
      ? ''
      : ` Files signed by the key with fingerprint ${contact.fingerprint} will be imported as ${contact.name}'s, without asking whether to trust them.`;
  return {
    title: 'New contact',
    message: `Add ${contact.name} as a contact?`,
    detail: `Exports can then be made readable by the age key ${contact.recipient}.${signs}`,
    yes: 'Add contact',
    did: `added ${contact.name}`,
    action: 'Adding a contact',
    cancelled: 'The contact was not added.',
  };
}

export interface ExportPlan {
  profiles: number;
  tokens: number;
  byokKeys: number;
  /** Null: a passphrase. `contact`: the contact whose key it is, if any. */
  recipients: { recipient: string; contact: string | null }[] | null;
}

/**
 * Who can read an export, asked before the save dialog (which can say nothing of it). Every key is
 * named in full: the page may add its own beside the person's choice, or give a teammate's name
 * to its key, and a shortened key can be matched by a key made to look like it.
 */
export function exportQuestion(plan: ExportPlan): Question {
  const parts = [
    ...(plan.profiles > 0 ? [`${count(plan.profiles, 'profile')}${plan.tokens > 0 ? ` with ${count(plan.tokens, 'Kura token')}` : ''}`] : []),
    ...(plan.byokKeys > 0 ? [count(plan.byokKeys, 'BYOK key')] : []),
  ];
  const holds = parts.length === 0 ? 'It holds no profile and no BYOK key.' : `It holds ${and(parts)}.`;
  const common = { title: 'Export', yes: 'Export', action: 'Exporting', cancelled: 'Nothing was exported.' };
  if (plan.recipients === null) {
    return {
      ...common,
      message: 'Encrypt this export with the passphrase typed in the window?',
      detail: `${holds} Whoever has the passphrase can read it. You choose where to save it next.`,
      did: 'started this export',
    };
  }
  const contacts = [...new Set(plan.recipients.flatMap((r) => (r.contact === null ? [] : [r.contact])))];
  const strangers = plan.recipients.filter((r) => r.contact === null).length;
  const to = [...contacts, ...(strangers > 0 ? [`${count(strangers, 'key that is not a contact', 'keys that are not contacts')}`] : [])];
  const each = plan.recipients.map((r) => (r.contact === null ? `${r.recipient} (not a contact)` : `${r.contact} (${r.recipient})`));
  return {
    ...common,
    message: `Encrypt this export to ${and(to)}?`,
    detail: `${holds} Whoever holds the private key of one of these can read it: ${and(each)}. You choose where to save it next.`,
    did: 'chose these recipients',
  };
}

/** Applying a file from a signer this vault does not trust (or from no signer at all). */
export function signerQuestion(signer: SignerInfo): Question {
  const common = { title: 'Import', yes: 'Import', action: 'Importing from a signer you have not trusted', cancelled: 'Nothing was imported.' };
  if (!signer.signed) {
    return {
      ...common,
      message: 'Import a file that nobody signed?',
      detail: 'Anyone who knows your public age key could have made it, and it may replace profiles and keys you have.',
      did: 'chose to import it unsigned',
    };
  }
  return {
    ...common,
    message: 'Import a file signed by a key you have not trusted?',
    detail:
      `It is signed by the key with fingerprint ${signer.fingerprint ?? 'unknown'}, which is neither this vault's nor one of your contacts'. ` +
      'Import it only if the sender told you this fingerprint by another channel.',
    did: 'chose to trust it',
  };
}

export function passwordQuestion(): Question {
  return {
    title: 'Master password',
    message: 'Change the master password?',
    detail: 'From now on only the new password opens this vault, and quick unlock is off until you turn it on again.',
    yes: 'Change password',
    did: 'changed it',
    action: 'Changing the master password',
    cancelled: 'The master password was not changed.',
  };
}

type Limit = 'autoLockMinutes' | 'clipboardSeconds' | 'keyMaxAgeDays';
const LIMIT: Record<Limit, (n: number) => string> = {
  autoLockMinutes: (n) => `Lock after ${n} minutes without activity`,
  clipboardSeconds: (n) => `Clear the clipboard after ${n} seconds`,
  keyMaxAgeDays: (n) => `Flag keys older than ${n} days`,
};

/**
 * What a settings change makes easier to get at (the vault, a copied secret) or later to notice
 * (an old key), one sentence each; empty when it loosens nothing.
 */
export function loosenings(before: UserSettings, patch: Partial<UserSettings>): string[] {
  const longer = (Object.keys(LIMIT) as Limit[]).flatMap((key) => {
    const next = patch[key];
    return next !== undefined && next > before[key] ? [`${LIMIT[key](next)} (now ${before[key]}).`] : [];
  });
  return [...longer, ...(patch.quickUnlock === true && !before.quickUnlock ? ['Quick unlock with the system keychain: on.'] : [])];
}

export function settingsQuestion(changes: readonly string[]): Question {
  return {
    title: 'Settings',
    message: 'Loosen how Keyhold protects your vault?',
    detail: changes.join(' '),
    yes: 'Save settings',
    did: 'changed these settings',
    action: 'Loosening these settings',
    cancelled: 'The settings were not changed.',
  };
}

export function wrapQuestion(path: string, servers: readonly string[], backup: string): Question {
  return {
    title: 'Wrap MCP servers',
    message: `Rewrite ${path}?`,
    detail:
      `The secret env values of ${servers.length === 1 ? 'the MCP server' : 'the MCP servers'} ${and(servers)} move into the vault, and the file is ` +
      `changed to start ${servers.length === 1 ? 'it' : 'them'} through Keyhold. The original is kept as ${backup}.`,
    yes: 'Wrap',
    did: 'chose to wrap this file',
    action: 'Wrapping MCP servers',
    cancelled: `${path} was not changed.`,
  };
}
