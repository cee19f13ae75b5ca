import { z } from 'zod';
import {
  AgentInput,
  AgentKind,
  AgentSummary,
  AuditEntry,
  AuditEvent,
  AuditVerifyResult,
  AuthKey,
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
  RemoteInput,
  RemoteKind,
  RemoteSummary,
  SyncState,
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
  ShareImportChoice,
  ShareImportOpenInput,
  VaultIdentity,
} from './share';
import { ItemKind, SyncProgress, SyncStatus, SyncSummary } from './sync';

// Every call the UI can make (DESIGN.md, "One contract, four users"). Adding a call means adding
// one entry here; main registers it, the preload exposes it and the renderer calls it from this list.

const none = z.undefined();
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

export const RemoteTestResult = z.object({ ok: z.boolean(), message: z.string() });

export const HealthFinding = z.object({
  severity: z.enum(['warning', 'problem']),
  rule: z.enum(['old-key', 'failed-probe', 'reused-key', 'undeclared-keys', 'stale-draft', 'sync-failed', 'remote-paused']),
  kind: ItemKind.or(z.literal('remote')),
  id: z.string(),
  ref: z.string(),
  message: z.string(),
});
export type HealthFinding = z.infer<typeof HealthFinding>;

export const PasswordStrength = z.object({
  score: z.number().int().min(0).max(4),
  label: z.string(),
  /** Good enough for a master password without the person's explicit consent. */
  strongEnough: z.boolean(),
});
export type PasswordStrength = z.infer<typeof PasswordStrength>;

export const contract = {
  // ---- vault -----------------------------------------------------------------------------
  vaultStatus: defineCall({ input: none, output: VaultStatus }),
  vaultCreate: defineCall({ input: z.object({ password: MasterPassword, kdf: Kdf.default('standard') }), output: VaultStatus }),
  vaultUnlock: defineCall({ input: z.object({ password: z.string().min(1).max(1024) }), output: VaultStatus }),
  vaultQuickUnlock: defineCall({ input: none, output: VaultStatus }),
  /** Estimates a typed master password or passphrase (the CLI's estimator); nothing is stored or logged. */
  passwordStrength: defineCall({ input: z.object({ password: z.string().max(1024) }), output: PasswordStrength }),
  vaultLock: defineCall({ input: none, output: VaultStatus }),
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
  profileDelete: defineCall({ input: Ref, output: z.object({ id: z.string(), wasSynced: z.boolean() }) }),
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
  byokValidate: defineCall({ input: Kind, output: z.record(z.string(), z.unknown()) }),
  byokDelete: defineCall({ input: Kind, output: z.object({ id: z.string() }) }),
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
  shareImportApply: defineCall({ input: ShareImportChoice, output: ImportResult }),

  // ---- activity, health, settings -------------------------------------------------------------
  auditList: defineCall({
    input: z.object({ limit: z.number().int().min(1).max(10_000).default(500), event: AuditEvent.optional() }).default({ limit: 500 }),
    output: z.array(AuditEntry),
  }),
  auditVerify: defineCall({ input: none, output: AuditVerifyResult }),
  healthReport: defineCall({ input: none, output: z.array(HealthFinding) }),
  settingsGet: defineCall({ input: none, output: UserSettings }),
  settingsSet: defineCall({ input: UserSettings.partial(), output: UserSettings }),
};

export const events = {
  /** The vault locked (button, shortcut, idle, suspend, screen lock): show the unlock screen. */
  locked: z.object({ reason: z.enum(['user', 'idle', 'suspend', 'lock-screen']) }),
  /** A sync pass is under way. */
  syncProgress: SyncProgress,
  /** An item's sync state changed (pushed, failed, retried). */
  itemChanged: z.object({ kind: ItemKind, id: z.string(), state: SyncState }),
  /** Online/offline as main sees it. */
  network: z.object({ online: z.boolean() }),
};

export type KeyholdContract = typeof contract;
export type KeyholdEvents = typeof events;
