import { z } from 'zod';
import { RESERVED_KEY_MESSAGE, checked, fitsUtf8, isReservedKey, label, labelProblem, text, textProblem, token } from './text-rules';

// Limits: generous for real credentials, small enough that one bad paste cannot bloat the vault.
export const LIMITS = {
  nameChars: 200,
  agentIdChars: 200,
  keyChars: 128,
  valueBytes: 64 * 1024,
  keysPerProfile: 200,
  profileBytes: 1024 * 1024,
  byokKeyChars: 4096,
  kindChars: 100,
  contactNameChars: 100,
  urlChars: 2048,
  credentialChars: 4096,
  argsPerAgent: 200,
  passwordMinChars: 10,
  passwordMaxChars: 1024,
} as const;

/**
 * A schema of what Keyhold shows (a summary, a report), which only the IPC contract parses. Built
 * as written, at import; marked free of side effects so that a bundle which never reads it leaves
 * it out instead of building it at every start. The CLI prints what the vault returns and parses
 * none of these: they were 140 of the 251 zod schemas `keyhold profile list` built.
 */
/* @__NO_SIDE_EFFECTS__ */
function shownOnly<T>(build: () => T): T {
  return build();
}

/** Why a string cannot be an agent id (a folder's or an MCP server's name, say), or null: AgentId's rule. */
export const agentIdProblem = (s: string): string | null => labelProblem(s, 'Agent id', LIMITS.agentIdChars);
export const AgentId = checked('Agent id', agentIdProblem);
export const ProfileName = label('Profile name', LIMITS.nameChars);
/** Why a string cannot be a credential's name in a profile (AuthKey's rule), or null. */
export const keyProblem = (s: string): string | null => (isReservedKey(s) ? RESERVED_KEY_MESSAGE : labelProblem(s, 'Key name', LIMITS.keyChars));

export const AuthKey = checked('Key name', keyProblem);
export const AgentKind = label('Agent kind', LIMITS.kindChars).refine((s) => !s.includes('/'), {
  message: 'Agent kind may not contain "/".',
});
export const Provider = z.enum(['anthropic', 'openai', 'google', 'other']);

const valueProblem = (s: string): string | null =>
  textProblem(s, 'Value', null) ?? (fitsUtf8(s, LIMITS.valueBytes) ? null : `Value is larger than ${LIMITS.valueBytes / 1024} KiB.`);
export const AuthValue = checked('Value', valueProblem);

// One check over the record, with AuthKey's and AuthValue's rules, rather than a schema run per name
// and per value and a refinement per limit: a bulk import checks 50,000 names and values, and
// that machinery took three times as long as the rules. Each problem names the member's field.
const MAX_KEYS = `A profile may hold at most ${LIMITS.keysPerProfile} keys.`;
const MAX_PROFILE = `A profile's values may total at most ${LIMITS.profileBytes / 1024 / 1024} MiB.`;
// An object of strings rather than z.record: the same JSON Schema less a redundant `propertyNames:
// {type: string}` (JSON names are strings), and a third of the time per profile.
export const AuthData = z
  .object({}, { error: 'Credentials must be an object of names to values.' })
  .catchall(z.string({ error: 'Value must be text.' }))
  .check((ctx) => {
    let keys = 0;
    // Bounds JSON.stringify's UTF-8 size without serializing: a code unit takes at most 6 bytes (an
    // escape such as \u001f), a member 6 more (two pairs of quotes, ":" and ","), the braces 2.
    let jsonBound = 2;
    let bad = false;
    for (const key in ctx.value) {
      const value = ctx.value[key] as string;
      const keyIssue = keyProblem(key);
      const message = keyIssue ?? valueProblem(value);
      if (message) {
        ctx.issues.push({ code: 'custom', message, input: keyIssue ? key : value, path: [key] });
        bad = true;
      }
      keys++;
      jsonBound += 6 * (key.length + value.length) + 6;
    }
    if (bad) return;
    if (keys > LIMITS.keysPerProfile) ctx.issues.push({ code: 'custom', message: MAX_KEYS, input: ctx.value });
    else if (jsonBound > LIMITS.profileBytes && !fitsUtf8(JSON.stringify(ctx.value), LIMITS.profileBytes)) {
      ctx.issues.push({ code: 'custom', message: MAX_PROFILE, input: ctx.value });
    }
  });
export type AuthData = z.infer<typeof AuthData>;

export const ByokApiKey = token('API key', LIMITS.byokKeyChars);
/** The token Kura hands back for a profile: what a person runs the agent with. */
export const AuthToken = token('Kura auth token', LIMITS.credentialChars);

export const MasterPassword = z
  .string()
  .refine((s) => s.isWellFormed(), { message: 'Password is not valid Unicode text.' })
  .refine((s) => s.length >= LIMITS.passwordMinChars, {
    message: `Master password must be at least ${LIMITS.passwordMinChars} characters.`,
  })
  .refine((s) => s.length <= LIMITS.passwordMaxChars, { message: 'Master password is too long.' });

export const SyncState = z.enum(['draft', 'pending', 'synced', 'failed']);
export type SyncState = z.infer<typeof SyncState>;
export const SyncType = z.enum(['create', 'replace', 'update']);
export type SyncType = z.infer<typeof SyncType>;

export const Id = z.uuid({ error: 'Not a valid id.' });
export const Timestamp = z.string(); // ISO-8601

/** A profile is named by its id or by `AGENT_ID/NAME`. */
export const ProfileRef = text('Profile reference', LIMITS.agentIdChars + LIMITS.nameChars + 1).refine((s) => s.length > 0, {
  message: 'Profile reference may not be empty.',
});

/**
 * Keys allowed by name although they change how a program loads or runs when injected
 * (NODE_OPTIONS, LD_PRELOAD…): src/core/devflow/env-names.ts holds the list.
 */
export const AllowEnv = z.array(AuthKey).max(LIMITS.keysPerProfile, { error: `At most ${LIMITS.keysPerProfile} keys can be allowed by name.` });

export const ProfileInput = z.object({
  agentId: AgentId,
  name: ProfileName,
  authData: AuthData,
  saveSession: z.boolean().default(false),
  draft: z.boolean().default(false),
  allowEnv: AllowEnv.default([]),
});
export type ProfileInput = z.input<typeof ProfileInput>;

export const ProfilePatch = z.object({
  agentId: AgentId.optional(),
  name: ProfileName.optional(),
  set: AuthData.optional(),
  unset: z.array(AuthKey).optional(),
  replaceAuthData: AuthData.optional(),
  saveSession: z.boolean().optional(),
  draft: z.boolean().optional(),
  /** Allowances for the keys this change sets; each must be given with the change that sets its value. */
  allowEnv: AllowEnv.optional(),
});
export type ProfilePatch = z.input<typeof ProfilePatch>;

/** When one profile value expires and/or how often it should be replaced (counted from `since`, when the value last changed). */
export const KeyExpiry = shownOnly(() =>
  z.object({
    expiresAt: Timestamp.optional(),
    rotateDays: z.number().int().positive().optional(),
    since: Timestamp,
  }),
);
export type KeyExpiry = z.infer<typeof KeyExpiry>;

export const ProfileSummary = shownOnly(() =>
  z.object({
    id: Id,
    agentId: z.string(),
    name: z.string(),
    keys: z.array(z.string()),
    saveSession: z.boolean(),
    syncState: SyncState,
    hasToken: z.boolean(),
    lastSyncType: SyncType.nullable(),
    lastError: z.string().nullable(),
    /** Keys that change how a program runs, allowed by name (absent: none). */
    allowEnv: z.array(z.string()).optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int(),
    /** Per key, for the keys that have an expiry or a rotation period; absent when none has. */
    expiry: z.record(z.string(), KeyExpiry).optional(),
  }),
);
export type ProfileSummary = z.infer<typeof ProfileSummary>;

export const ProfileDetail = shownOnly(() =>
  ProfileSummary.extend({
    /** Values are present only when revealed; otherwise every value is null. */
    authData: z.record(z.string(), z.string().nullable()),
    revealed: z.boolean(),
    /** The Kura auth token: present only when revealed (null: the profile has no usable token). */
    authToken: z.string().nullable().optional(),
    /** When this vault got its token; null when it has none or the time is unknown (imported). */
    tokenObtainedAt: Timestamp.nullable().optional(),
  }),
);
export type ProfileDetail = z.infer<typeof ProfileDetail>;

/** A revealed profile's values (a revealed detail has no null value). */
export function revealedAuthData(detail: Pick<ProfileDetail, 'authData'>): Record<string, string> {
  return Object.fromEntries(Object.entries(detail.authData).filter((entry): entry is [string, string] => entry[1] !== null));
}

export const VersionReason = z.enum(['create', 'edit', 'restore', 'sync', 'import']);
export const ItemVersion = shownOnly(() =>
  z.object({
    version: z.number().int(),
    at: Timestamp,
    reason: VersionReason,
    summary: z.string(),
    /** Where an imported version came from: a file with line and path, or a bundle and its signer. */
    source: z.string().optional(),
  }),
);
export type ItemVersion = z.infer<typeof ItemVersion>;

export const ByokInput = z.object({
  kind: AgentKind,
  provider: Provider.default('anthropic'),
  apiKey: ByokApiKey,
  draft: z.boolean().default(false),
});
export type ByokInput = z.input<typeof ByokInput>;

export const ByokRemoteRow = shownOnly(() => z.record(z.string(), z.unknown()));

/**
 * Backside stores Anthropic keys only (the seed's api_key is a "Plaintext Anthropic API key"). Keys
 * of other providers are kept for run and inject but stay on this machine: "local only", never
 * queued, never pushed.
 */
export const SYNCED_PROVIDER = 'anthropic' satisfies z.infer<typeof Provider>;
export const isLocalOnlyProvider = (provider: z.infer<typeof Provider>): boolean => provider !== SYNCED_PROVIDER;

/** The outcome of one check by a remote: Backside probing a key, or a connection test. */
export const CheckRecord = shownOnly(() => z.object({ ok: z.boolean(), at: Timestamp, message: z.string().nullable() }));
export type CheckRecord = z.infer<typeof CheckRecord>;

/**
 * Whether a BYOK key is healthy, by one rule: its last probe by Backside passed (a push, which
 * Backside stores only after its probe accepts the key, or a validate-key check). The row's
 * `byok_status` is a word Backside chooses ("active", "valid", anything) and is shown verbatim,
 * never judged. `unchecked`: never probed since it was set; `local-only`: never sent to Backside.
 */
export const ProbeHealth = z.enum(['healthy', 'failing', 'unchecked', 'local-only']);
export type ProbeHealth = z.infer<typeof ProbeHealth>;
export function probeHealth(provider: z.infer<typeof Provider>, lastProbe: { ok: boolean } | null): ProbeHealth {
  if (isLocalOnlyProvider(provider)) return 'local-only';
  if (lastProbe === null) return 'unchecked';
  return lastProbe.ok ? 'healthy' : 'failing';
}

export const ByokSummary = shownOnly(() =>
  z.object({
    id: Id,
    kind: z.string(),
    provider: Provider,
    keyHint: z.string(),
    syncState: SyncState,
    lastSyncType: SyncType.nullable(),
    lastError: z.string().nullable(),
    /** Not an Anthropic key: kept here for run and inject, never pushed to Backside. */
    localOnly: z.boolean(),
    /**
     * Backside's last probe of this key: a successful push (Backside probes before it stores), a
     * refused one, or a validate-key check. The key is healthy when this is ok, whatever status word
     * the row carries.
     */
    lastProbe: CheckRecord.nullable(),
    /** `probeHealth(provider, lastProbe)`: what a badge shows. */
    probeHealth: ProbeHealth,
    remote: ByokRemoteRow.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int(),
    /** When the key stops working, if its provider said so; absent when not set. */
    expiresAt: Timestamp.optional(),
    /** How often the key should be replaced, in days, counted from its last change; absent when not set. */
    rotateDays: z.number().int().positive().optional(),
  }),
);
export type ByokSummary = z.infer<typeof ByokSummary>;

/** The Kura auth token of a profile, revealed (audited). */
export const ProfileToken = shownOnly(() =>
  z.object({
    ref: z.string(),
    authToken: z.string(),
    agentId: z.string(),
    name: z.string(),
    obtainedAt: Timestamp.nullable(),
  }),
);
export type ProfileToken = z.infer<typeof ProfileToken>;

/** A deleted profile or BYOK key, kept until `purgeAt` with its values, token and history. */
export const TrashEntry = shownOnly(() =>
  z.object({
    id: Id,
    kind: z.enum(['profile', 'byok']),
    /** AGENT_ID/NAME for a profile, the agent kind for a BYOK key. */
    ref: z.string(),
    hasToken: z.boolean(),
    trashedAt: Timestamp,
    purgeAt: Timestamp,
  }),
);
export type TrashEntry = z.infer<typeof TrashEntry>;

export const ByokDetail = shownOnly(() => ByokSummary.extend({ apiKey: z.string().nullable(), revealed: z.boolean() }));
export type ByokDetail = z.infer<typeof ByokDetail>;

export const RemoteKind = z.enum(['kura', 'backside']);
export type RemoteKind = z.infer<typeof RemoteKind>;
/** Each remote service's name as people read it. */
export const REMOTE_LABEL: Readonly<Record<RemoteKind, string>> = { kura: 'Kura', backside: 'Backside' };
export const RemoteUrl = text('URL', LIMITS.urlChars).refine((s) => /^https?:\/\/[^\s]+$/i.test(s), {
  message: 'URL must start with https:// (or http:// for this machine only).',
});
export const RemoteCredential = token('Credential', LIMITS.credentialChars);

export const RemoteInput = z.object({
  kind: RemoteKind,
  url: RemoteUrl,
  credential: RemoteCredential.optional(),
});
export type RemoteInput = z.input<typeof RemoteInput>;

export const RemoteSummary = shownOnly(() =>
  z.object({
    kind: RemoteKind,
    url: z.string(),
    hasCredential: z.boolean(),
    /** An address and a credential are saved. Says nothing about whether they work. */
    configured: z.boolean(),
    paused: z.boolean(),
    pausedReason: z.string().nullable(),
    /**
     * The last time a request proved this address and credential work (a connection test that could
     * tell, or a successful push); null until then, and again after either changes.
     */
    verifiedAt: Timestamp.nullable(),
    verifiedBy: z.enum(['test', 'sync']).nullable(),
    /** The last connection test, whatever it found. */
    lastTest: CheckRecord.nullable(),
    updatedAt: Timestamp,
  }),
);
export type RemoteSummary = z.infer<typeof RemoteSummary>;

export const AgentInput = z.object({
  agentId: AgentId,
  args: z.array(AuthKey).max(LIMITS.argsPerAgent, { error: `An agent declares at most ${LIMITS.argsPerAgent} arguments.` }),
});
/**
 * The keys an agent does not declare among its input arguments: Kura refuses a profile holding any
 * of them. An agent that declares nothing (null) accepts every key.
 */
export function undeclaredKeys(declared: readonly string[] | ReadonlySet<string> | null | undefined, keys: Iterable<string>): string[] {
  if (!declared) return [];
  // A caller checking many profiles against one agent passes the set once instead of an array each time.
  const allowed = declared instanceof Set ? declared : new Set(declared);
  return [...keys].filter((k) => !allowed.has(k));
}

export const AgentSummary = shownOnly(() =>
  z.object({
    agentId: z.string(),
    args: z.array(z.string()),
    updatedAt: Timestamp,
    /** The variable `run` puts this agent's profiles' Kura token in; null: the default, KURA_AUTH_TOKEN. */
    tokenEnv: z.string().nullable().optional(),
  }),
);
export type AgentSummary = z.infer<typeof AgentSummary>;

export const AuditEvent = z.enum([
  'vault_created',
  'unlock_ok',
  'unlock_failed',
  'password_changed',
  'item_created',
  'item_changed',
  'item_deleted',
  'item_restored',
  'secret_revealed',
  'secret_copied',
  'remote_changed',
  'agent_changed',
  'sync_result',
  'session_created',
  'sessions_revoked',
  'bundle_exported',
  'bundle_imported',
  /** A key that changes how a program runs (NODE_OPTIONS, LD_PRELOAD…) was allowed by name. */
  'env_allowed',
  /** A keyhold.toml was trusted (its path and text), or that trust was withdrawn. */
  'file_trusted',
  'file_trust_revoked',
  /** \`mcp wrap\` changed an MCP config (its path), or \`mcp unwrap\` put it back. */
  'config_wrapped',
  'config_unwrapped',
  /** A contact was added (its id, whether its signing key is trusted for imports) or removed. */
  'contact_changed',
  // The chain head was missing or unreadable when an entry had to be added: the chain goes on from
  // the last entry present, and this entry keeps the break visible to every later verification.
  'audit_chain_broken',
]);
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditEntry = shownOnly(() =>
  z.object({
    seq: z.number().int(),
    at: Timestamp,
    event: AuditEvent,
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  }),
);
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditVerifyResult = shownOnly(() =>
  z.object({
    ok: z.boolean(),
    entries: z.number().int(),
    problem: z.string().nullable(),
  }),
);
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;

/** One encrypted cell that failed its integrity check: where it is, and what it takes down. */
export const DamagedCell = shownOnly(() =>
  z.object({
    table: z.string(),
    rowId: z.string(),
    column: z.string(),
    item: z.string(),
    /** A profile's AGENT_ID/NAME or a BYOK key's kind, when its listing cell is readable. */
    name: z.string().optional(),
    /** The profile or BYOK key is in the trash: emptying it from there removes the damage. */
    trashed: z.boolean().optional(),
  }),
);
export type DamagedCell = z.infer<typeof DamagedCell>;

/** What the vault check (doctor) found. `ok` is false when anything but the derived index is wrong. */
export const DoctorReport = shownOnly(() =>
  z.object({
    ok: z.boolean(),
    database: z.object({ ok: z.boolean(), problem: z.string().nullable() }),
    header: z.object({ ok: z.boolean(), problem: z.string().nullable() }),
    /** Whether other users of the computer can open the vault's files or write to its folder (POSIX modes). */
    files: z.object({ ok: z.boolean(), problem: z.string().nullable() }),
    /** The saved listing index as the unlock found it; anything but fresh was rebuilt from the rows. */
    index: z.object({ snapshot: z.enum(['fresh', 'missing', 'stale', 'unreadable']), rebuiltFromRows: z.boolean() }),
    audit: AuditVerifyResult,
    damaged: z.array(DamagedCell),
  }),
);
export type DoctorReport = z.infer<typeof DoctorReport>;

/** Known key shapes per provider, checked as people type and again before saving. */
export const PROVIDER_KEY_PREFIX: Record<z.infer<typeof Provider>, string | null> = {
  anthropic: 'sk-ant-',
  openai: 'sk-',
  google: 'AIza',
  other: null,
};

export function checkProviderKey(provider: z.infer<typeof Provider>, apiKey: string): string | null {
  const prefix = PROVIDER_KEY_PREFIX[provider];
  if (prefix && !apiKey.startsWith(prefix)) return `${provider} keys start with "${prefix}".`;
  if (apiKey.length < 20) return 'This key is too short to be a provider API key.';
  return null;
}

/** A recognisable, non-secret hint of a key: its public prefix and last four characters. */
export function keyHint(apiKey: string): string {
  if (apiKey.length < 20) return '…';
  const prefix = /^[A-Za-z]+-(?:[A-Za-z]+-)?/.exec(apiKey)?.[0] ?? apiKey.slice(0, 3);
  return `${prefix.slice(0, 8)}…${apiKey.slice(-4)}`;
}
