import { createHash } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import type { KeyholdContract } from '../../shared/contract';
import { KeyholdError, toErrorPayload } from '../../shared/errors';
import type { Handlers } from '../../shared/ipc';
import type { UserSettings } from '../../shared/settings';
import type { KdfParams } from '../crypto/kdf';
import type { SecretStoragePort } from '../desktop';
import { readDotenvText } from '../devflow/dotenv';
import { healthReport } from '../health';
import { endAllSessions, listSessions } from '../vault/sessions';
import {
  MCP_PROFILE_NAME,
  assertNoBackup,
  backupOf,
  formatOfConfig,
  importFindings,
  planWrap,
  readConfigText,
  scan,
  storeWrapSecrets,
  vaultLookup,
  wellKnownPlaces,
  wrapDiff,
  writeWrapped,
  configTarget,
} from '../agents';
import { assertOneName } from '../agents/mcp-files';
import { describePasswordStrength } from '../../shared/password-strength';
import type { SyncEngineOptions } from '../sync/engine';
import { testRemote } from '../sync/probe';
import { syncStatus } from '../sync/status';
import { VaultSession, type Emit, type LockReason, type UserPresencePort } from './session';
import { DraftKeeper } from './form-draft';
import { asker, refuseAllowances, type ConfirmPort } from './confirm';
import {
  connectionQuestion,
  emptyTrashQuestion,
  loosenings,
  passwordQuestion,
  purgeQuestion,
  removeConnectionQuestion,
  settingsQuestion,
  wrapQuestion,
} from './questions';
import { createShareHandlers, type FileDialogPort } from './share-handlers';

export type { Emit, LockReason, UserPresencePort } from './session';
export type { FileDialogPort, FileFilter } from './share-handlers';
export type { ConfirmPort } from './confirm';

/** The operating system's signals that the network or the machine is back; main feeds them in. */
export interface ConnectivityPort {
  on(event: 'online' | 'offline' | 'resume', listener: () => void): () => void;
}

export interface ApiDeps {
  vaultDir: string;
  emit: Emit;
  /** `clearNow`, when given, runs at every lock: a copied secret does not outlive the session. */
  clipboard: {
    copy(text: string): { clearsAfterSeconds: number };
    clearNow?(): unknown;
    /** Copies a public value (the vault's own recipient) with no timed clear; absent: `copy` is used. */
    copyPublic?(text: string): void;
  };
  /** Save and open dialogs for sharing; absent means exports and imports are refused. */
  fileDialog?: FileDialogPort;
  /**
   * Main's own dialog, asked before a change the window may not make unseen (where sync sends
   * values, who can read an export, what is deleted for good…: ./confirm.ts); absent means such changes are refused.
   */
  confirm?: ConfirmPort;
  /** Tests lower the scrypt work factor of passphrase exports; default: the age CLI's. */
  shareScryptWorkFactor?: number;
  settings: { get(): UserSettings; update(patch: Partial<UserSettings>): UserSettings };
  /** Quick unlock (opt-in): absent means quick unlock is refused. */
  secretStorage?: SecretStoragePort;
  /** Asked to confirm before each quick unlock where the OS can (Touch ID); absent: not asked. */
  userPresence?: UserPresencePort;
  /** Tests lower it; default: the preset the person picks (KDF_PRESETS). */
  kdf?: KdfParams;
  /** Tests pass fast backoff and short timeouts. */
  sync?: SyncEngineOptions;
  now?: () => number;
  /** Online/offline and wake-up signals: a pass is run when either comes back. */
  connectivity?: ConnectivityPort;
  /** The environment the agent tools' config locations are read from (HOME, APPDATA…); default: this process's. */
  scanEnv?: NodeJS.ProcessEnv;
  /** Where the keychain-encrypted quick-unlock key is kept; default: beside the vault directory. */
  quickUnlockFile?: string;
  /** How long "Sync now" waits on retries before answering with what is still pending. */
  syncTimeoutMs?: number;
  /** Failures in the background (a sync pass, saving the quick-unlock key); nothing secret is passed. */
  onError?: (error: unknown) => void;
}

export interface ApiBackend {
  handlers: Handlers<KeyholdContract>;
  lock(reason: LockReason): void;
  /** Auto-lock's warning before an idle lock: passed on to the window while the vault is unlocked. */
  lockSoon(seconds: number): void;
  close(): Promise<void>;
}

export const SYNC_NOW_TIMEOUT_MS = 30_000;

// Only the error code reaches the log: a library's message may quote what it was given.
const logCode = (e: unknown): void => console.error('keyhold backend:', toErrorPayload(e).code);

function noKey(key: string): KeyholdError {
  return new KeyholdError('NotFound', `The profile has no key "${key}".`, { field: 'key' });
}

/**
 * The application backend: one handler per contract call, each a thin call into core. It holds no
 * Electron: main passes its facilities in as ports, and the browser end-to-end tests bind the same
 * handlers to Chromium.
 */
/**
 * A wrap from the window may name only an MCP config in the agent tools' own locations: the page is
 * not trusted to point main at any file to rewrite.
 */
function wrapPlanFor(file: string, env: NodeJS.ProcessEnv, vaultDir: string): { path: string; text: string; plan: ReturnType<typeof planWrap> } {
  const path = resolvePath(file);
  const allowed = wellKnownPlaces(env).some((p) => p.format !== 'shell' && resolvePath(p.path) === path);
  if (!allowed) throw new KeyholdError('BadInput', "Only the agent tools' own MCP config files can be wrapped from the window.");
  const text = readConfigText(path);
  const plan = planWrap(text, formatOfConfig(path), { keyholdCommand: 'keyhold', keyholdArgs: ['--vault', vaultDir], profileName: MCP_PROFILE_NAME });
  return { path, text, plan };
}

/** Which text of a config a wrap preview showed. */
const configRevision = (text: string): string => createHash('sha256').update(text).digest('hex');

export function createBackend(deps: ApiDeps): ApiBackend {
  const onError = deps.onError ?? logCode;
  const session = new VaultSession({
    vaultDir: deps.vaultDir,
    emit: deps.emit,
    settings: () => deps.settings.get(),
    ...(deps.secretStorage ? { secretStorage: deps.secretStorage } : {}),
    ...(deps.quickUnlockFile ? { quickUnlockFile: deps.quickUnlockFile } : {}),
    ...(deps.userPresence ? { userPresence: deps.userPresence } : {}),
    ...(deps.kdf ? { kdf: deps.kdf } : {}),
    ...(deps.sync ? { sync: deps.sync } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    onError,
    // Like `lock` below, but the key is gone already: the forms' edits cannot be sealed, so they go.
    onKeyLost: () => {
      deps.clipboard.clearNow?.();
      share.drop();
      drafts.drop();
    },
  });
  const now = deps.now ?? Date.now;

  const unsubscribe =
    deps.connectivity === undefined
      ? []
      : [
          deps.connectivity.on('online', () => {
            deps.emit('network', { online: true });
            session.online();
          }),
          deps.connectivity.on('offline', () => deps.emit('network', { online: false })),
          deps.connectivity.on('resume', () => session.resume()),
        ];

  const vault = () => session.vault();
  const ask = asker(deps.confirm);
  const share = createShareHandlers({
    vault,
    ask,
    fileDialog: deps.fileDialog,
    copyPublic: (text) => {
      if (!deps.clipboard.copyPublic) return deps.clipboard.copy(text);
      deps.clipboard.copyPublic(text);
      return { clearsAfterSeconds: null };
    },
    scryptWorkFactor: deps.shareScryptWorkFactor,
  });
  const drafts = new DraftKeeper();
  const lock = (reason: LockReason): void => {
    deps.clipboard.clearNow?.();
    // An opened bundle holds decrypted values: it must not outlive the unlocked session.
    share.drop();
    // A form's unsaved edits do outlive it, sealed with the key that goes with the lock.
    if (session.unlocked) drafts.seal(session.vault().cells());
    session.lock(reason);
  };
  /** Runs a write and lets the runner push whatever it queued. */
  const queued = <T>(write: () => T): T => {
    const result = write();
    session.kick();
    return result;
  };

  const profileValue = (ref: string, key: string): { id: string; value: string } => {
    const v = vault();
    const { id } = v.profiles.resolve(ref);
    const { authData } = v.profiles.load(id).secrets;
    if (!Object.hasOwn(authData, key)) throw noKey(key);
    return { id, value: authData[key] as string };
  };

  const handlers: Handlers<KeyholdContract> = {
    // ---- vault ---------------------------------------------------------------------------
    vaultStatus: () => session.status(),
    vaultCreate: ({ password, kdf }) => session.create(password, kdf),
    vaultUnlock: ({ password }) => session.unlock(password),
    vaultQuickUnlock: () => session.quickUnlock(),
    passwordStrength: ({ password }) => describePasswordStrength(password),
    dotenvRead: ({ text }) => readDotenvText(text),
    vaultLock: () => {
      lock('user');
      return session.status();
    },
    formDraftKeep: ({ key, values }) => {
      vault(); // only while unlocked: once locked, what was kept is sealed and stays as it is
      drafts.keep(key, values);
      return null;
    },
    formDraftDiscard: () => {
      vault();
      drafts.drop();
      return null;
    },
    formDraftTake: () => drafts.take(vault().cells()),
    vaultChangePassword: async ({ current, next, kdf }) => {
      // A page that saw the password typed at unlock could otherwise lock the person out for good.
      await session.verifyPassword(current);
      await ask(passwordQuestion());
      return session.changePassword(current, next, kdf);
    },

    // ---- profiles ------------------------------------------------------------------------
    profilesList: ({ search }) => vault().profiles.list(search === undefined ? {} : { search }),
    profileGet: ({ ref }) => vault().profiles.get(ref),
    profileReveal: ({ ref, key }) => {
      const { id, value } = profileValue(ref, key);
      vault().audit.recordRead('secret_revealed', { item: 'profile', id, key });
      return { value };
    },
    profileCopy: ({ ref, key }) => {
      const { id, value } = profileValue(ref, key);
      const result = deps.clipboard.copy(value);
      vault().audit.recordRead('secret_copied', { item: 'profile', id, key });
      return { clearsAfterSeconds: result.clearsAfterSeconds };
    },
    profileCreate: (input) => {
      refuseAllowances(input.allowEnv);
      return queued(() => vault().profiles.create(input));
    },
    profileEdit: ({ ref, patch, confirmNewRemote }) => {
      refuseAllowances(patch.allowEnv);
      return queued(() => vault().profiles.edit(ref, patch, { confirmNewRemote }));
    },
    profileDelete: ({ ref, confirmTokenLoss }) => vault().profiles.remove(ref, { confirmTokenLoss }),
    profileTokenReveal: ({ ref }) => vault().profiles.token(ref, { purpose: 'reveal' }),
    profileTokenCopy: ({ ref }) => {
      const v = vault();
      const token = v.profiles.token(ref, { event: 'secret_copied' });
      return { clearsAfterSeconds: deps.clipboard.copy(token.authToken).clearsAfterSeconds };
    },
    profileHistory: ({ ref }) => vault().profiles.history(ref),
    profileRestore: ({ ref, version, confirmNewRemote }) => queued(() => vault().profiles.restore(ref, version, { confirmNewRemote })),
    profileReady: ({ ref }) => queued(() => vault().profiles.ready(ref)),
    profileRetry: ({ ref }) => queued(() => vault().profiles.retry(ref)),
    profileRecreate: ({ ref }) => queued(() => vault().profiles.recreate(ref)),

    // ---- BYOK keys -----------------------------------------------------------------------
    byokList: () => vault().byok.list(),
    byokGet: ({ kind }) => vault().byok.get(kind),
    byokReveal: ({ kind }) => ({ apiKey: vault().byok.get(kind, { reveal: true }).apiKey as string }),
    byokCopy: ({ kind }) => {
      const v = vault();
      const { id } = v.byok.get(kind);
      const result = deps.clipboard.copy(v.byok.load(id).secrets.apiKey);
      v.audit.recordRead('secret_copied', { item: 'byok', id });
      return { clearsAfterSeconds: result.clearsAfterSeconds };
    },
    byokSet: (input) => queued(() => vault().byok.set(input)),
    byokValidate: async ({ kind }) => {
      const verdict = await session.engine().validate(kind);
      return { ...verdict.answer, accepted: verdict.accepted, message: verdict.message };
    },
    byokCheckKey: ({ provider, apiKey }) => session.engine().checkKey(apiKey, provider),
    byokDelete: ({ kind }) => vault().byok.remove(kind),
    byokHistory: ({ kind }) => vault().byok.history(kind),

    // ---- trash ---------------------------------------------------------------------------
    trashList: () => vault().trash.list(),
    trashRestore: ({ id }) => {
      return queued(() => vault().trash.restore(id));
    },
    trashPurge: async ({ id, confirm }) => {
      if (id !== undefined) {
        const entry = vault().trash.find(id);
        await ask(purgeQuestion(entry));
        vault().trash.purge(entry.id);
        return { purged: 1 };
      }
      const shown = vault().trash.list();
      if (shown.length > 0 && confirm) await ask(emptyTrashQuestion(shown));
      return { purged: vault().trash.purgeAll({ confirm, only: shown }) };
    },
    byokRestore: ({ kind, version }) => queued(() => vault().byok.restore(kind, version)),
    byokReady: ({ kind }) => queued(() => vault().byok.ready(kind)),
    byokRetry: ({ kind }) => queued(() => vault().byok.retry(kind)),

    // ---- connections and agents ------------------------------------------------------------
    remotesList: () => vault().remotes.list(),
    remoteSet: async (input) => {
      const to = vault().remotes.destinationChange(input);
      if (to !== null) await ask(connectionQuestion(to));
      // New credentials lift a pause, so items held back may now go.
      return queued(() => vault().remotes.set(input));
    },
    remoteDelete: async ({ kind }) => {
      const shown = vault()
        .remotes.list()
        .find((r) => r.kind === kind);
      // A connection that is not there is refused by remove; one too damaged to list holds nothing usable.
      if (shown) await ask(removeConnectionQuestion(kind, shown.url));
      const v = vault();
      v.remotes.remove(kind);
      return v.remotes.list();
    },
    remoteTest: ({ kind }) => testRemote(vault(), kind, { ...(deps.sync?.http ? { http: deps.sync.http } : {}), now }),
    agentsList: () => vault().agents.list(),
    agentSet: (input) => vault().agents.set(input),
    agentSetTokenEnv: ({ agentId, tokenEnv }) => vault().agents.setTokenEnv(agentId, tokenEnv),
    agentDelete: ({ agentId }) => vault().agents.remove(agentId),

    // ---- sync ----------------------------------------------------------------------------
    syncNow: async () => {
      const summary = await session.engine().syncAll({ timeoutMs: deps.syncTimeoutMs ?? SYNC_NOW_TIMEOUT_MS });
      session.kick();
      return summary;
    },
    syncStatus: () => syncStatus(vault()),

    // ---- sharing ---------------------------------------------------------------------------
    ...share.handlers,

    // ---- activity, health, settings --------------------------------------------------------
    auditList: ({ limit, event }) => vault().audit.list(event === undefined ? { limit } : { limit, event }),
    auditVerify: () => vault().audit.verify(),
    healthReport: () => healthReport(vault(), { keyMaxAgeDays: deps.settings.get().keyMaxAgeDays, now: now() }),
    sessionsList: () => listSessions(vault()),
    sessionsEnd: () => ({ ended: endAllSessions(vault(), 'ended_in_window') }),
    trustedFilesList: () => vault().trustedFiles.list(),
    trustedFileRevoke: ({ path }) => {
      if (!vault().trustedFiles.revoke(path)) throw new KeyholdError('NotFound', `${path} is not trusted.`);
      return { path };
    },
    agentScan: () => {
      const { findings, filesRead, skipped } = scan({ paths: [], wellKnown: true, env: deps.scanEnv ?? process.env, lookup: vaultLookup(vault()) });
      return {
        filesRead,
        skipped,
        findings: findings.map((f) => ({
          file: f.file,
          line: f.line,
          where: f.where,
          label: f.label,
          rule: f.rule,
          masked: f.masked,
          server: f.server,
          inVault: f.inVault,
          vaultItem: f.vaultItem,
        })),
      };
    },
    mcpWrapPreview: ({ file }) => {
      // Like every call that reads secrets, only while unlocked (the diff conceals them, the file holds them).
      vault();
      const { path, text, plan } = wrapPlanFor(file, deps.scanEnv ?? process.env, deps.vaultDir);
      return { servers: plan.servers.map((s) => s.server), diff: wrapDiff(path, text, plan), revision: configRevision(text), left: plan.left };
    },
    mcpWrap: async ({ file, revision }) => {
      vault();
      const { path, text, plan } = wrapPlanFor(file, deps.scanEnv ?? process.env, deps.vaultDir);
      if (plan.servers.length === 0) throw new KeyholdError('BadInput', 'No server in this file has secret env values to move.');
      // The agent tools write their configs while they run: apply only the change the person saw.
      if (configRevision(text) !== revision) {
        throw new KeyholdError('Conflict', `${path} changed since the change to it was shown. Nothing was changed; look at the new change first.`, {
          field: 'configChanged',
        });
      }
      assertOneName(path);
      assertNoBackup(path);
      await ask(
        wrapQuestion(
          path,
          plan.servers.map((s) => s.server),
          backupOf(path),
        ),
      );
      // The person may answer late: the write below still refuses a file changed since, and this a backup made since.
      assertNoBackup(path);
      storeWrapSecrets(vault(), plan, path);
      await writeWrapped(path, text, plan, vault().wrappedConfigs);
      const target = configTarget(path);
      return { servers: plan.servers.map((s) => s.server), backup: backupOf(path), writtenTo: target === path ? null : target, left: plan.left };
    },
    agentImport: () => {
      const v = vault();
      const { outcomes, earlier } = importFindings(v, scan({ paths: [], wellKnown: true, env: deps.scanEnv ?? process.env, lookup: vaultLookup(v) }).findings);
      const count = (result: string) => outcomes.filter((o) => o.result === result).length;
      return { imported: count('imported'), held: count('held'), conflicts: count('conflict'), refused: count('refused'), earlier };
    },
    settingsGet: () => deps.settings.get(),
    settingsSet: async ({ password, ...patch }) => {
      const before = deps.settings.get();
      const turnsOn = patch.quickUnlock === true && !before.quickUnlock;
      const looser = loosenings(before, patch);
      // Whoever sits at a locked window (or a page that is not to be trusted) may make the vault
      // stricter, never looser: a longer auto-lock or clipboard delay, a later key-age warning or
      // quick unlock need the vault unlocked, and then the person's yes in main's dialog.
      if (looser.length > 0 && !session.unlocked) {
        throw new KeyholdError('VaultLocked', 'Unlock the vault to loosen these settings. While it is locked, they can only be made stricter.');
      }
      if (turnsOn) {
        const refusal = session.quickUnlockRefusal();
        if (refusal !== null) throw new KeyholdError('BadInput', refusal, { field: 'quickUnlock' });
        // Quick unlock opens the vault without the master password afterwards: it takes the password once.
        if (password === undefined) {
          throw new KeyholdError('BadInput', 'Enter your master password to turn on quick unlock.', { field: 'password' });
        }
        await session.verifyPassword(password);
      }
      if (looser.length > 0) await ask(settingsQuestion(looser));
      const next = deps.settings.update(patch);
      if (next.quickUnlock !== before.quickUnlock) session.quickUnlockChanged(next.quickUnlock);
      return next;
    },
  };

  return {
    handlers,
    lock,
    lockSoon(seconds) {
      if (session.unlocked) deps.emit('lockSoon', { seconds });
    },
    async close() {
      drafts.drop();
      for (const off of unsubscribe) off();
      share.drop();
      await session.close();
    },
  };
}
