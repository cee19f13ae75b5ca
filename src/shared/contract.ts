import { z } from 'zod';
import {
  AgentInput,
  LIMITS,
  AgentKind,
  AgentSummary,
  AuditEntry,
  AuditEvent,
  AuditVerifyResult,
  AuthKey,
  ByokApiKey,
  ByokDetail,
  ByokInput,
  ByokSummary,
  ItemVersion,
  MasterPassword,
  ProfileDetail,
  ProfileInput,
  ProfilePatch,
  ProfileRef,
  ProfileSummary,
  ProfileToken,
  Provider,
  RemoteInput,
  RemoteKind,
  RemoteSummary,
  SyncState,
  TrashEntry,
} from './domain';
import { defineCall } from './ipc';
import { UserSettings } from './settings';
import {
  ChosenFile,
  Contact,
  ContactInput,
  ContactName,
  ImportPreview,
  ImportResult,
  OpenedImportInfo,
  ShareExportInput,
  ShareExportResult,
  ShareImportApplyInput,
  ShareImportChoice,
  ShareImportOpenInput,
  VaultIdentity,
} from './share';
import { ItemKind, SyncProgress, SyncStatus, SyncSummary } from './sync';

// Every call the UI can make (DESIGN.md, "One contract, four users"). Adding a call means adding
// one entry here; main registers it, the preload exposes it and the renderer calls it from this list.

const none = z.undefined();

/** One credential found in a plain file: where, what kind, masked; never the value. */
export const FoundCredential = z.object({
  file: z.string(),
  line: z.number().int(),
  where: z.string(),
  label: z.string(),
  rule: z.string(),
  masked: z.string(),
  server: z.string().nullable(),
  inVault: z.enum(['yes', 'no', 'unknown']),
  vaultItem: z.string().nullable(),
});
export type FoundCredential = z.infer<typeof FoundCredential>;
/** A file the scan meant to read and could not (too large, unreadable, not UTF-8, binary, a pipe or device, a link not followed). */
export const SkippedFile = z.object({
  path: z.string(),
  reason: z.enum(['too-large', 'unreadable', 'not-utf8', 'binary', 'not-a-file', 'symlink']),
  /** What happened, for people; never a file's content. */
  message: z.string(),
});
export type SkippedFile = z.infer<typeof SkippedFile>;
export const AgentScanResult = z.object({ findings: z.array(FoundCredential), filesRead: z.number().int(), skipped: z.array(SkippedFile) });
/** Only files the scan found in the agent tools' own config locations can be named (main checks). */
export const McpWrapInput = z.object({ file: z.string().min(1).max(4096) });
/** Which text of a config a wrap preview showed (SHA-256, hex): the wrap applies only to that text. */
const ConfigRevision = z.string().regex(/^[0-9a-f]{64}$/, 'A config revision is 64 hexadecimal digits.');
/** A credential a wrap leaves in the file (a command's arguments, a comment): where and what kind, never the value. */
export const WrapLeftCredential = z.object({ line: z.number().int(), where: z.string(), label: z.string() });
export type WrapLeftCredential = z.infer<typeof WrapLeftCredential>;
/** A profile an earlier import filled for a whole folder (`shell/local`), left as it is, and the profiles of its files this import began beside it. */
export const EarlierProfile = z.object({ profile: z.string(), now: z.array(z.string()) });
export type EarlierProfile = z.infer<typeof EarlierProfile>;
export const AgentImportResult = z.object({
  imported: z.number().int(),
  held: z.number().int(),
  conflicts: z.number().int(),
  /** Findings whose folder or server name cannot be an agent id (too long, a bidi control…). */
  refused: z.number().int(),
  earlier: z.array(EarlierProfile),
});
const Ref = z.object({ ref: ProfileRef });
const Kind = z.object({ kind: AgentKind });
const Version = z.number().int().min(1);
const Kdf = z.enum(['standard', 'strong']);

export const VaultStatus = z.object({
  exists: z.boolean(),
  unlocked: z.boolean(),
  dir: z.string(),
  vaultId: z.string().nullable(),
  createdAt: z.string().nullable(),
  kdf: Kdf.or(z.literal('custom')).nullable(),
  quickUnlockAvailable: z.boolean(),
});
export type VaultStatus = z.infer<typeof VaultStatus>;

export const CopyResult = z.object({ clearsAfterSeconds: z.number().int() });

/**
 * What "Test connection" found. `configured` (an address and credential are saved), `reached` (the
 * service answered there), `credentialVerified` (this test proved the credential is accepted) and
 * `verifiedAt` (the last time anything proved it, this test or a push) are separate facts.
 */
export const RemoteTestResult = z.object({
  kind: RemoteKind,
  url: z.string(),
  ok: z.boolean(),
  reached: z.boolean(),
  credentialVerified: z.boolean(),
  message: z.string(),
  configured: z.boolean(),
  paused: z.boolean(),
  testedAt: z.string(),
  verifiedAt: z.string().nullable(),
  verifiedBy: z.enum(['test', 'sync']).nullable(),
});
export type RemoteTestResult = z.infer<typeof RemoteTestResult>;

/** Backside's validate-key verdict on one key; `answer` is its 2xx body as sent (null after a 4xx refusal). */
export const ByokKeyCheck = z.object({ accepted: z.boolean(), message: z.string(), answer: z.record(z.string(), z.unknown()).nullable() });
export type ByokKeyCheck = z.infer<typeof ByokKeyCheck>;

export const HealthFinding = z.object({
  severity: z.enum(['warning', 'problem']),
  rule: z.enum(['old-key', 'failed-probe', 'reused-key', 'undeclared-keys', 'stale-draft', 'sync-failed', 'remote-paused', 'key-expiry', 'vault-files-open']),
  /** `vault`: the vault itself (its files); `ref` is its folder. */
  kind: ItemKind.or(z.enum(['remote', 'vault'])),
  id: z.string(),
  ref: z.string(),
  message: z.string(),
});
export type HealthFinding = z.infer<typeof HealthFinding>;

/**
 * A file (a project's keyhold.toml, or a template for inject) whose references the person read and
 * trusted with "keyhold trust": `refs` maps each variable (a template: each reference) to the
 * reference. References name items, never hold values.
 */
export const TrustedFile = z.object({ path: z.string(), refs: z.record(z.string(), z.string()), trustedAt: z.string() });
export type TrustedFile = z.infer<typeof TrustedFile>;

/** A command-line session that has not ended (`keyhold unlock`); `holds`: what a session for some items only holds, null for the whole vault. */
export const SessionInfo = z.object({ id: z.string(), createdAt: z.string(), expiresAt: z.string(), holds: z.string().nullable() });
export type SessionInfo = z.infer<typeof SessionInfo>;

export const PasswordStrength = z.object({
  score: z.number().int().min(0).max(4),
  label: z.string(),
  /** Good enough for a master password without the person's explicit consent. */
  strongEnough: z.boolean(),
});
export type PasswordStrength = z.infer<typeof PasswordStrength>;

/**
 * A form of the window with unsaved edits: which one (`key`, the form's own name for itself) and
 * its values as the form serializes them. Main never reads `values`; it keeps them across a lock.
 */
const FormKey = z.string().min(1).max(200);
const FormValues = z.string().max(4 * LIMITS.profileBytes);
export const FormDraft = z.strictObject({ key: FormKey, values: FormValues });
export type FormDraft = z.infer<typeof FormDraft>;

/**
 * Why the vault locked: the person did, auto-lock did (idle, suspend, screen lock), or another
 * Keyhold process changed the master password, so the key this one held opens nothing.
 */
export const LockReason = z.enum(['user', 'idle', 'suspend', 'lock-screen', 'password-changed']);
export type LockReason = z.infer<typeof LockReason>;

export const contract = {
  // ---- vault -----------------------------------------------------------------------------
  vaultStatus: defineCall({ input: none, output: VaultStatus }),
  vaultCreate: defineCall({ input: z.object({ password: MasterPassword, kdf: Kdf.default('standard') }), output: VaultStatus }),
  vaultUnlock: defineCall({ input: z.object({ password: z.string().min(1).max(1024) }), output: VaultStatus }),
  vaultQuickUnlock: defineCall({ input: none, output: VaultStatus }),
  /** Estimates a typed master password or passphrase (the CLI's estimator); nothing is stored or logged. */
  passwordStrength: defineCall({ input: z.object({ password: z.string().max(1024) }), output: PasswordStrength }),
  /** Reads pasted .env text as the CLI reads a .env file; the values are the ones just pasted. */
  dotenvRead: defineCall({
    input: z.object({ text: z.string().max(LIMITS.profileBytes) }),
    output: z.object({ entries: z.array(z.object({ key: z.string(), value: z.string() })), skipped: z.array(z.number().int()) }),
  }),
  vaultLock: defineCall({ input: none, output: VaultStatus }),
  /** One form's unsaved edits as they are now (null: it has none), kept while unlocked and sealed at a lock. */
  formDraftKeep: defineCall({ input: z.strictObject({ key: FormKey, values: FormValues.nullable() }), output: z.null() }),
  /** The person chose to discard their unsaved edits: main keeps none. */
  formDraftDiscard: defineCall({ input: none, output: z.null() }),
  /** After an unlock: the forms that had unsaved edits when the vault locked, once; empty when none. */
  formDraftTake: defineCall({ input: none, output: z.array(FormDraft) }),
  vaultChangePassword: defineCall({
    input: z.object({ current: z.string().min(1).max(1024), next: MasterPassword, kdf: Kdf.optional() }),
    output: VaultStatus,
  }),

  // ---- profiles --------------------------------------------------------------------------
  profilesList: defineCall({ input: z.object({ search: z.string().max(500).optional() }).default({}), output: z.array(ProfileSummary) }),
  profileGet: defineCall({ input: Ref, output: ProfileDetail }),
  /** Reveals one value (audited); the UI re-masks it after a few seconds. */
  profileReveal: defineCall({ input: z.object({ ref: ProfileRef, key: AuthKey }), output: z.object({ value: z.string() }) }),
  /** Copies one value in main; the value never reaches the renderer. */
  profileCopy: defineCall({ input: z.object({ ref: ProfileRef, key: AuthKey }), output: CopyResult }),
  /** Copies the Kura auth token in main (audited); it never reaches the renderer. */
  profileTokenCopy: defineCall({ input: Ref, output: CopyResult }),
  profileCreate: defineCall({ input: ProfileInput, output: ProfileSummary }),
  profileEdit: defineCall({
    input: z.object({ ref: ProfileRef, patch: ProfilePatch, confirmNewRemote: z.boolean().default(false) }),
    output: ProfileSummary,
  }),
  /** Moves the profile to the trash; one holding a Kura token needs `confirmTokenLoss` (a Conflict with that field otherwise). */
  profileDelete: defineCall({
    input: z.object({ ref: ProfileRef, confirmTokenLoss: z.boolean().default(false) }),
    output: z.object({ id: z.string(), wasSynced: z.boolean(), purgeAt: z.string().optional() }),
  }),
  /** Reveals the profile's Kura auth token (audited); NotFound, with the reason, when it has none. */
  profileTokenReveal: defineCall({ input: Ref, output: ProfileToken }),
  profileHistory: defineCall({ input: Ref, output: z.array(ItemVersion) }),
  profileRestore: defineCall({
    input: z.object({ ref: ProfileRef, version: Version, confirmNewRemote: z.boolean().default(false) }),
    output: ProfileSummary,
  }),
  profileReady: defineCall({ input: Ref, output: ProfileSummary }),
  profileRetry: defineCall({ input: Ref, output: ProfileSummary }),
  profileRecreate: defineCall({ input: Ref, output: ProfileSummary }),

  // ---- BYOK keys -------------------------------------------------------------------------
  byokList: defineCall({ input: none, output: z.array(ByokSummary) }),
  byokGet: defineCall({ input: Kind, output: ByokDetail }),
  byokReveal: defineCall({ input: Kind, output: z.object({ apiKey: z.string() }) }),
  byokCopy: defineCall({ input: Kind, output: CopyResult }),
  byokSet: defineCall({ input: ByokInput, output: ByokSummary }),
  /** Probes the stored key (kept as its last probe); Backside's answer with `accepted` and `message` added. */
  byokValidate: defineCall({ input: Kind, output: z.record(z.string(), z.unknown()) }),
  /** "Check key": asks Backside whether it would take a key not saved yet; nothing is stored anywhere. */
  byokCheckKey: defineCall({ input: z.object({ provider: Provider.default('anthropic'), apiKey: ByokApiKey }), output: ByokKeyCheck }),
  byokDelete: defineCall({ input: Kind, output: z.object({ id: z.string(), purgeAt: z.string().optional() }) }),

  // ---- trash (deleted profiles and BYOK keys, kept 30 days) ---------------------------------
  trashList: defineCall({ input: none, output: z.array(TrashEntry) }),
  /** Conflict when the item's name (or kind) is taken now. */
  trashRestore: defineCall({ input: z.object({ id: z.string().min(1).max(100) }), output: TrashEntry.extend({ state: SyncState }) }),
  /** One item by id, or with no id the whole trash (which needs `confirm`: a Conflict with field confirmPurge otherwise). */
  trashPurge: defineCall({
    input: z.object({ id: z.string().min(1).max(100).optional(), confirm: z.boolean().default(false) }),
    output: z.object({ purged: z.number().int() }),
  }),
  byokHistory: defineCall({ input: Kind, output: z.array(ItemVersion) }),
  byokRestore: defineCall({ input: z.object({ kind: AgentKind, version: Version }), output: ByokSummary }),
  byokReady: defineCall({ input: Kind, output: ByokSummary }),
  byokRetry: defineCall({ input: Kind, output: ByokSummary }),

  // ---- connections and agents -------------------------------------------------------------
  remotesList: defineCall({ input: none, output: z.array(RemoteSummary) }),
  remoteSet: defineCall({ input: RemoteInput, output: RemoteSummary }),
  remoteDelete: defineCall({ input: z.object({ kind: RemoteKind }), output: z.array(RemoteSummary) }),
  remoteTest: defineCall({ input: z.object({ kind: RemoteKind }), output: RemoteTestResult }),
  agentsList: defineCall({ input: none, output: z.array(AgentSummary) }),
  agentSet: defineCall({ input: AgentInput, output: AgentSummary }),
  /** Names the variable `run` puts the agent's Kura token in; null restores KURA_AUTH_TOKEN. */
  agentSetTokenEnv: defineCall({
    input: z.object({ agentId: z.string().max(1000), tokenEnv: z.string().max(1000).nullable() }),
    output: z.object({ agentId: z.string(), tokenEnv: z.string() }),
  }),
  agentDelete: defineCall({ input: z.object({ agentId: AgentInput.shape.agentId }), output: AgentSummary }),

  // ---- sync ------------------------------------------------------------------------------
  syncNow: defineCall({ input: none, output: SyncSummary }),
  syncStatus: defineCall({ input: none, output: SyncStatus }),

  // ---- sharing (docs/bundle-format.md) ---------------------------------------------------------
  identityGet: defineCall({ input: none, output: VaultIdentity }),
  /** Public values only; they are not cleared from the clipboard later, unlike secrets. */
  identityCopy: defineCall({
    input: z.object({ part: z.enum(['recipient', 'signingKey']) }),
    output: z.object({ clearsAfterSeconds: z.number().int().nullable() }),
  }),
  contactsList: defineCall({ input: none, output: z.array(Contact) }),
  contactAdd: defineCall({ input: ContactInput, output: Contact }),
  contactDelete: defineCall({ input: z.object({ name: ContactName }), output: Contact }),
  /** Main asks where to save (a `Cancelled` error when the person backs out) and writes the file, mode 0600. */
  shareExport: defineCall({ input: ShareExportInput, output: ShareExportResult }),
  /** Main shows the open dialog and reads the file; it stays in main under the returned handle. */
  shareImportChoose: defineCall({ input: none, output: ChosenFile }),
  /** Decrypts and verifies the chosen file; the bundle (values included) stays in main until applied or locked. */
  shareImportOpen: defineCall({ input: ShareImportOpenInput, output: OpenedImportInfo }),
  shareImportPreview: defineCall({ input: ShareImportChoice, output: ImportPreview }),
  /** Applies the last preview made with these choices, in one transaction; then the handle is gone. */
  shareImportApply: defineCall({ input: ShareImportApplyInput, output: ImportResult }),

  // ---- activity, health, settings -------------------------------------------------------------
  auditList: defineCall({
    input: z.object({ limit: z.number().int().min(1).max(10_000).default(500), event: AuditEvent.optional() }).default({ limit: 500 }),
    output: z.array(AuditEntry),
  }),
  auditVerify: defineCall({ input: none, output: AuditVerifyResult }),
  healthReport: defineCall({ input: none, output: z.array(HealthFinding) }),
  sessionsList: defineCall({ input: none, output: z.array(SessionInfo) }),
  /** Ends every command-line session, as `keyhold lock` does; audited. */
  sessionsEnd: defineCall({ input: none, output: z.object({ ended: z.number().int() }) }),
  /** `damaged`: records that fail their check; those files count as not trusted. */
  trustedFilesList: defineCall({ input: none, output: z.object({ files: z.array(TrustedFile), damaged: z.array(z.string()) }) }),
  /** Stops trusting a file (by the path it was trusted at); NotFound if it is not trusted. */
  trustedFileRevoke: defineCall({ input: z.object({ path: z.string().min(1).max(4096) }), output: z.object({ path: z.string() }) }),
  /** Credentials lying in the agent tools' config files and shell start-up files on this computer (no values). */
  agentScan: defineCall({ input: none, output: AgentScanResult }),
  /** Scans again and stores every finding the vault does not hold yet, as drafts. */
  agentImport: defineCall({ input: none, output: AgentImportResult }),
  /**
   * The change wrapping would make to one of the agent tools' MCP configs, as a diff with the secrets
   * concealed; `left`: the credentials it would leave in the file, for the person to move by hand.
   */
  mcpWrapPreview: defineCall({
    input: McpWrapInput,
    output: z.object({ servers: z.array(z.string()), diff: z.string(), revision: ConfigRevision, left: z.array(WrapLeftCredential) }),
  }),
  /**
   * Moves the config's secret env values into the vault and rewrites it; the original is kept beside
   * it. Refused if the file is no longer the text the preview (`revision`) showed.
   */
  mcpWrap: defineCall({
    input: McpWrapInput.extend({ revision: ConfigRevision }),
    // `writtenTo`: the file the change went to, when the config is a link to it (dotfiles in a repository).
    output: z.object({ servers: z.array(z.string()), backup: z.string(), writtenTo: z.string().nullable(), left: z.array(WrapLeftCredential) }),
  }),
  settingsGet: defineCall({ input: none, output: UserSettings }),
  /**
   * `password`: the master password, needed (and checked) only to turn quick unlock on; never
   * stored. While the vault is locked, a change may only make settings stricter (VaultLocked).
   */
  settingsSet: defineCall({ input: UserSettings.partial().extend({ password: z.string().min(1).max(1024).optional() }), output: UserSettings }),
};

export const events = {
  /** The vault locked (button, shortcut, idle, suspend, screen lock): show the unlock screen. */
  locked: z.object({ reason: LockReason }),
  /** An idle lock is this many seconds away: the window warns whoever has unsaved edits. */
  lockSoon: z.object({ seconds: z.number().int().positive() }),
  /** A sync pass is under way. */
  syncProgress: SyncProgress,
  /** An item's sync state changed (pushed, failed, retried). */
  itemChanged: z.object({ kind: ItemKind, id: z.string(), state: SyncState }),
  /** Online/offline as main sees it. */
  network: z.object({ online: z.boolean() }),
  /** An unlock, reveal or copy went on although its audit entry could not be stored (a full disk, a busy vault): why, in a sentence with no value in it. */
  auditUnrecorded: z.object({ message: z.string() }),
};

export type KeyholdContract = typeof contract;
export type KeyholdEvents = typeof events;
