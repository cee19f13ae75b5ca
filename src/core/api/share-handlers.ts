import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { KeyholdContract } from '../../shared/contract';
import { KeyholdError } from '../../shared/errors';
import type { Handlers } from '../../shared/ipc';
import type { ConflictPolicy, ImportPreview, ShareTarget } from '../../shared/share';
import { addContact, contactToAdd, listContacts, removeContact, resolveRecipients } from '../share/contacts';
import { applyImport, exportToFile, openImport, previewImport, readBundleFile } from '../share/exchange';
import type { OpenedImport } from '../share/exchange';
import { checkImportConsent } from '../share/import-safety';
import type { EncryptionTarget } from '../share/seal';
import { vaultIdentity } from '../share/vault-keys';
import type { Vault } from '../vault/vault';
import { refuseAllowances, type Ask } from './confirm';
import { contactQuestion, exportQuestion, signerQuestion, type ExportPlan } from './questions';

export interface FileFilter {
  name: string;
  extensions: string[];
}

/**
 * The operating system's file pickers; main implements it with Electron's dialog. The window never
 * names a path itself: it asks, the person picks, and main reads or writes the file.
 * Both resolve to null when the person cancels.
 */
export interface FileDialogPort {
  saveFile(options: { title: string; defaultName: string; filters: FileFilter[] }): Promise<string | null>;
  openFile(options: { title: string; filters: FileFilter[] }): Promise<string | null>;
}

export interface ShareDeps {
  vault(): Vault;
  /** Main's own dialog: who can read an export, a new contact, a signer not trusted yet. */
  ask: Ask;
  fileDialog?: FileDialogPort | undefined;
  /** Copies a public value (the vault's recipient) without the timed clear secrets get. */
  copyPublic(text: string): { clearsAfterSeconds: number | null };
  /** Passphrase exports only; tests lower it. Default: the age CLI's. */
  scryptWorkFactor?: number | undefined;
}

type ShareCalls = Pick<
  Handlers<KeyholdContract>,
  | 'identityGet'
  | 'identityCopy'
  | 'contactsList'
  | 'contactAdd'
  | 'contactDelete'
  | 'shareExport'
  | 'shareImportChoose'
  | 'shareImportOpen'
  | 'shareImportPreview'
  | 'shareImportApply'
>;

const FILTERS: FileFilter[] = [
  { name: 'Keyhold bundles (age)', extensions: ['age'] },
  { name: 'All files', extensions: ['*'] },
];

const cancelled = () => new KeyholdError('Cancelled', 'No file was chosen.');
const gone = () => new KeyholdError('NotFound', 'This import is no longer open (the vault was locked or it was already applied). Choose the file again.');

/** What an import keeps in main between calls. The opened bundle holds values, so it never leaves. */
type Held = { kind: 'file'; name: string; bytes: Uint8Array } | { kind: 'opened'; opened: OpenedImport; preview: ImportPreview | null };

export interface ShareBackend {
  handlers: ShareCalls;
  /** Forgets every chosen file and opened bundle: at lock and close. */
  drop(): void;
}

function dateStamp(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** What an export would hold, counted from the listings (no value is read), and whose keys can open it. */
function exportPlan(vault: Vault, only: Set<string> | null, withByok: boolean, includeTokens: boolean, encryption: EncryptionTarget): ExportPlan {
  const profiles = vault.profiles.list().filter((p) => only === null || only.has(p.id));
  const contacts = listContacts(vault);
  return {
    profiles: profiles.length,
    tokens: includeTokens ? profiles.filter((p) => p.hasToken).length : 0,
    byokKeys: withByok ? vault.byok.list().length : 0,
    recipients:
      'recipients' in encryption ? encryption.recipients.map((r) => ({ recipient: r, contact: contacts.find((c) => c.recipient === r)?.name ?? null })) : null,
  };
}

export function createShareHandlers(deps: ShareDeps): ShareBackend {
  const held = new Map<string, Held>();
  // Counts the drops (each lock): a call that awaited across one must not keep what it made.
  let session = 0;
  const stillOpen = (since: number): void => {
    if (session !== since) throw gone();
  };

  const dialog = (): FileDialogPort => {
    if (!deps.fileDialog) throw new KeyholdError('BadInput', 'Choosing files needs the desktop app.');
    return deps.fileDialog;
  };

  const take = <K extends Held['kind']>(handle: string, kind: K): Extract<Held, { kind: K }> => {
    const entry = held.get(handle);
    if (!entry || entry.kind !== kind) throw gone();
    return entry as Extract<Held, { kind: K }>;
  };

  const newHandle = (entry: Held): string => {
    const handle = randomBytes(16).toString('hex');
    held.set(handle, entry);
    return handle;
  };

  const preview = (handle: string, onConflict: ConflictPolicy, draft: boolean): ImportPreview => {
    const vault = deps.vault();
    const entry = take(handle, 'opened');
    const made = previewImport(vault, entry.opened, { onConflict, draft });
    entry.preview = made;
    return made;
  };

  const target = (vault: Vault, t: ShareTarget): EncryptionTarget =>
    'recipients' in t ? { recipients: resolveRecipients(vault, t.recipients) } : { passphrase: t.passphrase };

  const handlers: ShareCalls = {
    identityGet: () => vaultIdentity(deps.vault()),
    identityCopy: async ({ part }) => {
      const identity = await vaultIdentity(deps.vault());
      return deps.copyPublic(part === 'recipient' ? identity.recipient : identity.signingPublicKey);
    },
    contactsList: () => listContacts(deps.vault()),
    contactAdd: async (input) => {
      await deps.ask(contactQuestion(contactToAdd(deps.vault(), input)));
      return addContact(deps.vault(), input);
    },
    contactDelete: ({ name }) => removeContact(deps.vault(), name),

    shareExport: async ({ select, withByok, includeTokens, target: to, armor }) => {
      const vault = deps.vault();
      // Everything the person can fix in the form is checked before the save dialog opens.
      if (select !== 'all' && select.length === 0 && !withByok) {
        throw new KeyholdError('BadInput', 'Choose at least one profile, or include the BYOK keys.', { field: 'select' });
      }
      const files = dialog();
      const encryption = target(vault, to);
      const ids = new Set(select === 'all' ? [] : select.map((ref) => vault.profiles.resolve(ref).id));
      // Who can read it, asked in main's dialog before the save dialog, which cannot say.
      await deps.ask(exportQuestion(exportPlan(vault, select === 'all' ? null : ids, withByok, includeTokens, encryption)));
      const path = await files.saveFile({
        title: 'Save the Keyhold export',
        defaultName: `keyhold-export-${dateStamp(new Date(vault.now()))}.age`,
        filters: FILTERS,
      });
      if (path === null) throw cancelled();
      const summary = await exportToFile(deps.vault(), path, {
        ...(select === 'all' ? { all: true } : { select }),
        withByok,
        includeTokens,
        target: encryption,
        armor,
        ...(deps.scryptWorkFactor === undefined ? {} : { scryptWorkFactor: deps.scryptWorkFactor }),
      });
      return { ...summary, path };
    },

    shareImportChoose: async () => {
      deps.vault();
      const since = session;
      const path = await dialog().openFile({ title: 'Open a Keyhold export', filters: FILTERS });
      if (path === null) throw cancelled();
      const bytes = await readBundleFile(path);
      // Locked while the dialog was open: the choice belonged to the session that ended.
      stillOpen(since);
      // One import at a time per window: a new file replaces whatever was open.
      held.clear();
      const name = basename(path);
      return { file: newHandle({ kind: 'file', name, bytes }), name, bytes: bytes.length };
    },
    shareImportOpen: async ({ file, passphrase, allowUnsigned }) => {
      const vault = deps.vault();
      const chosen = take(file, 'file');
      const since = session;
      const opened = await openImport(vault, chosen.bytes, { ...(passphrase === undefined ? {} : { passphrase }), allowUnsigned, fileName: chosen.name });
      // Locked (and perhaps unlocked again) while decrypting: the decrypted values must not outlive that session.
      stillOpen(since);
      const first = previewImport(vault, opened, {});
      held.delete(file);
      const handle = newHandle({ kind: 'opened', opened, preview: first });
      return { handle, signer: opened.signer, preview: first };
    },
    shareImportPreview: ({ handle, onConflict, draft }) => preview(handle, onConflict, draft),
    shareImportApply: async ({ handle, onConflict, draft, trustSigner, allowEnv }) => {
      deps.vault();
      const entry = take(handle, 'opened');
      const shown = entry.preview;
      if (!shown || shown.policy !== onConflict || (shown.state === 'draft') !== draft) {
        throw new KeyholdError('Conflict', 'The preview on screen is not the one for these choices. Nothing was imported; preview it again.');
      }
      refuseAllowances(allowEnv);
      const { signer } = shown;
      if (!signer.trusted && (trustSigner || !signer.signed)) {
        // What would refuse it anyway is said first, without a question.
        checkImportConsent(shown, { trustSigner });
        await deps.ask(signerQuestion(signer));
        // Locked meanwhile, or applied by another call: nothing to import.
        if (held.get(handle) !== entry) throw gone();
      }
      const result = applyImport(deps.vault(), entry.opened, shown, { trustSigner });
      held.delete(handle);
      return result;
    },
  };

  return {
    handlers,
    drop: () => {
      held.clear();
      session += 1;
    },
  };
}
