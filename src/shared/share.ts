import { z } from 'zod';
import { AllowEnv, LIMITS, SyncState } from './domain';
import { label } from './text-rules';

// The wire schemas of team sharing: what the engine returns to the CLI and, through the IPC
// contract, to the window. Bundles themselves (src/core/share/bundle.ts) never cross the boundary:
// they carry values.

/** Base64 (canonical, padded) of a raw 32-byte Ed25519 public key, as docs/bundle-format.md writes it. */
export const SigningPublicKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, { error: 'Signer public key must be 32 bytes in base64.' });

export const ContactName = label('Contact name', LIMITS.contactNameChars)
  // "--to" tells a recipient from a contact name by this prefix.
  .refine((s) => !s.startsWith('age1'), { message: 'Contact name may not start with "age1"; that is how age public keys are written.' });

export const ContactInput = z.object({
  name: ContactName,
  recipient: z.string({ error: 'Recipient must be text.' }),
  /** Base64 of the raw 32-byte Ed25519 public key the contact signs bundles with. */
  signingKey: SigningPublicKey.optional(),
});
export type ContactInput = z.input<typeof ContactInput>;

/** An age X25519 recipient as `age-keygen` prints it: "age1" and 58 lowercase bech32 characters. */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/**
 * The window's add-contact form: the engine's schema, plus the recipient's shape so most mistakes
 * show before a round trip (the engine still checks the checksum), and an empty signing key as none.
 */
export const ContactFormInput = ContactInput.extend({
  recipient: z
    .string()
    .trim()
    .regex(AGE_RECIPIENT, { error: 'An age recipient is "age1" followed by 58 lowercase letters and digits, as age-keygen prints it.' }),
  signingKey: z.preprocess((v) => (v === '' ? undefined : typeof v === 'string' ? v.trim() : v), SigningPublicKey.optional()),
});

export const Contact = z.object({
  id: z.uuid(),
  name: z.string(),
  recipient: z.string(),
  signingKey: z.string().nullable(),
  /** Of the signing key, as docs/bundle-format.md defines it, for comparing out of band. */
  fingerprint: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Contact = z.infer<typeof Contact>;

export const VaultIdentity = z.object({
  recipient: z.string(),
  signingPublicKey: z.string(),
  fingerprint: z.string(),
});
/** What a vault may show anyone: its age recipient and its signing key's public half. */
export type VaultIdentity = z.infer<typeof VaultIdentity>;

export const ExportSummary = z.object({
  profiles: z.number().int(),
  byokKeys: z.number().int(),
  agents: z.number().int(),
  tokensIncluded: z.boolean(),
  /** Profiles that actually carry a token. */
  tokens: z.number().int(),
  recipients: z.number().int(),
  passphrase: z.boolean(),
  armor: z.boolean(),
  bytes: z.number().int(),
  signer: z.string(),
});
export type ExportSummary = z.infer<typeof ExportSummary>;

export const SignerInfo = z.object({
  signed: z.boolean(),
  fingerprint: z.string().nullable(),
  /** Base64 of the raw Ed25519 public key. */
  publicKey: z.string().nullable(),
  /** The contact whose signing key made the signature, if one does. */
  contact: z.string().nullable(),
  /** Signed by this very vault. */
  self: z.boolean(),
  /**
   * Signed by this vault or a contact. An import from any other signer is applied only when the
   * person trusts that signer for the import, after comparing the fingerprint with the sender.
   */
  trusted: z.boolean(),
});
export type SignerInfo = z.infer<typeof SignerInfo>;

export const ConflictPolicy = z.enum(['skip', 'overwrite', 'keep-both']);
export type ConflictPolicy = z.infer<typeof ConflictPolicy>;

export const ItemStatus = z.enum(['new', 'identical', 'differs']);
export const ItemAction = z.enum(['create', 'update', 'skip']);

/** Names only, never values. */
export const ProfileDiff = z.object({
  changed: z.array(z.string()),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  saveSession: z.boolean(),
  authToken: z.boolean(),
});
export type ProfileDiff = z.infer<typeof ProfileDiff>;

export const ProfileChange = z.object({
  agentId: z.string(),
  name: z.string(),
  status: ItemStatus,
  diff: ProfileDiff.nullable(),
  action: ItemAction,
  /** keep-both: the new profile's name. */
  importedAs: z.string().nullable(),
  existingId: z.string().nullable(),
  /** Whether the written profile takes the bundle's Kura token. */
  withToken: z.boolean(),
  note: z.string().nullable(),
  /** The key names the bundle gives this profile (never values). */
  keys: z.array(z.string()),
  /**
   * Keys that change how a program loads or runs when injected (NODE_OPTIONS, LD_PRELOAD…): the
   * import writes this profile only if each is allowed by name.
   */
  dangerousKeys: z.array(z.string()),
  /**
   * Created without a token under the agent id and name it has in the file: its first sync would
   * replace the remote profile of that agent and name, if the sender synced one, and invalidate
   * their token. It arrives as a draft, pushed only once the person marks it ready.
   */
  replacesRemote: z.boolean(),
  /** The state this profile arrives in (an existing draft stays a draft). */
  state: z.enum(['pending', 'draft']),
});
export type ProfileChange = z.infer<typeof ProfileChange>;

export const ByokChange = z.object({
  kind: z.string(),
  provider: z.string(),
  status: ItemStatus,
  diff: z.array(z.enum(['provider', 'apiKey'])),
  action: ItemAction,
  existingId: z.string().nullable(),
  note: z.string().nullable(),
});
export type ByokChange = z.infer<typeof ByokChange>;

/** What differs between a profile in a bundle and the one here, by name only, for the CLI and the window alike. */
export function describeProfileDiff(d: ProfileDiff): string {
  return [
    d.changed.length ? `values of ${d.changed.join(', ')}` : '',
    d.added.length ? `only in the file: ${d.added.join(', ')}` : '',
    d.removed.length ? `only here: ${d.removed.join(', ')}` : '',
    d.saveSession ? 'save-session flag' : '',
    d.authToken ? 'Kura token' : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** "API key", "provider" or "API key and provider". */
export const describeByokDiff = (diff: ByokChange['diff']): string => diff.map((d) => (d === 'apiKey' ? 'API key' : 'provider')).join(' and ');

export const AgentChange = z.object({
  agentId: z.string(),
  status: ItemStatus,
  /** Arguments the bundle declares and this vault does not, and the other way round. */
  added: z.array(z.string()),
  removed: z.array(z.string()),
  /** Declarations are applied only to agents this vault does not declare yet. */
  action: z.enum(['declare', 'skip']),
});
export type AgentChange = z.infer<typeof AgentChange>;

export const ChangeCounts = z.object({
  new: z.number().int(),
  identical: z.number().int(),
  differs: z.number().int(),
  create: z.number().int(),
  update: z.number().int(),
  skip: z.number().int(),
});
export type ChangeCounts = z.infer<typeof ChangeCounts>;

export const ImportPreview = z.object({
  exportedAt: z.string(),
  signer: SignerInfo,
  tokensIncluded: z.boolean(),
  policy: ConflictPolicy,
  /** The state every created or changed item arrives in (an existing draft stays a draft). */
  state: z.enum(['pending', 'draft']),
  profiles: z.array(ProfileChange),
  byokKeys: z.array(ByokChange),
  agents: z.array(AgentChange),
  counts: z.object({ profiles: ChangeCounts, byokKeys: ChangeCounts }),
  warnings: z.array(z.string()),
});
export type ImportPreview = z.infer<typeof ImportPreview>;

const Applied = z.object({ created: z.number().int(), updated: z.number().int(), skipped: z.number().int() });

export const ImportResult = z.object({
  profiles: Applied,
  byokKeys: Applied,
  agents: z.object({ declared: z.number().int(), notApplied: z.number().int() }),
  tokens: z.number().int(),
  state: SyncState.extract(['pending', 'draft']),
});
export type ImportResult = z.infer<typeof ImportResult>;

// ---- what the window sends -------------------------------------------------------------------

/** A passphrase as age takes it, checked here for the window and by the engine (src/core/share/age.ts) for every caller. */
export const SharePassphrase = z
  .string()
  .min(1, { error: 'The passphrase may not be empty.' })
  .max(LIMITS.passwordMaxChars, { error: 'The passphrase is too long.' })
  .refine((s) => s.isWellFormed(), { error: 'The passphrase is not valid Unicode text.' });

/** Who can open an export: recipients (contact names or age1… keys) or a passphrase, never both. */
export const ShareTarget = z.union([
  z.strictObject({ recipients: z.array(z.string().min(1).max(200)).min(1, { error: 'Add at least one recipient.' }).max(100) }),
  z.strictObject({ passphrase: SharePassphrase }),
]);
export type ShareTarget = z.infer<typeof ShareTarget>;

export const ShareExportInput = z.object({
  /** Profile ids or references, or every profile. */
  select: z.union([z.literal('all'), z.array(z.string().min(1).max(500)).max(50_000)]),
  withByok: z.boolean().default(false),
  includeTokens: z.boolean().default(false),
  target: ShareTarget,
  armor: z.boolean().default(false),
});
export type ShareExportInput = z.input<typeof ShareExportInput>;

export const ShareExportResult = ExportSummary.extend({ path: z.string() });
export type ShareExportResult = z.infer<typeof ShareExportResult>;

/** Stands for something main keeps for the window (a chosen file, an opened bundle), never its contents. */
export const ShareHandle = z.string().regex(/^[0-9a-f]{32}$/, { error: 'This import is no longer open. Choose the file again.' });

export const ChosenFile = z.object({ file: ShareHandle, name: z.string(), bytes: z.number().int() });
export type ChosenFile = z.infer<typeof ChosenFile>;

export const ShareImportOpenInput = z.object({
  file: ShareHandle,
  passphrase: SharePassphrase.optional(),
  allowUnsigned: z.boolean().default(false),
});

export const OpenedImportInfo = z.object({ handle: ShareHandle, signer: SignerInfo, preview: ImportPreview });
export type OpenedImportInfo = z.infer<typeof OpenedImportInfo>;

export const ShareImportChoice = z.object({ handle: ShareHandle, onConflict: ConflictPolicy.default('skip'), draft: z.boolean().default(false) });

/**
 * Applying takes the person's deliberate answers to what the preview showed: `trustSigner` for a
 * signer that is neither this vault nor a contact, which main then asks about in its own dialog,
 * naming `signer.fingerprint` (src/core/api/confirm.ts). `allowEnv` (the preview's `dangerousKeys`
 * to allow by name) is refused from the window: allowances are made on the command line only.
 */
export const ShareImportApplyInput = ShareImportChoice.extend({
  trustSigner: z.boolean().default(false),
  allowEnv: AllowEnv.default([]),
});
