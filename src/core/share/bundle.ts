import { z } from 'zod';
import { AgentId, AgentKind, AuthData, AuthKey, AuthToken, ByokApiKey, LIMITS, ProfileName, Provider } from '../../shared/domain';
import { KeyholdError, parseInput, toErrorPayload } from '../../shared/errors';
import { SigningPublicKey } from '../../shared/share';

export const BUNDLE_FORMAT = 'keyhold-bundle';
export const BUNDLE_VERSION = 1;

// Per-field limits are the vault's own (src/shared/domain.ts), so whatever a bundle holds can be
// imported. The whole-bundle limits keep one hostile file from exhausting memory.
export const BUNDLE_LIMITS = {
  items: 50_000,
  plaintextBytes: 64 * 1024 * 1024,
  /** Largest age file read: the armored encryption of a maximal plaintext, with room for the header. */
  fileBytes: 96 * 1024 * 1024,
  argsPerAgent: LIMITS.argsPerAgent,
} as const;

const SIGNATURE_B64 = /^[A-Za-z0-9+/]{85}[AQgw]==$/;

// Descriptions end up in docs/bundle.schema.json, for exporters written without Keyhold's code.
const LABEL_RULES =
  'no C0 or C1 control characters or DEL, no bidi controls, separators or invisible characters (docs/bundle-format.md), no leading or trailing white space, valid Unicode';
const label = (max: number) => `${LABEL_RULES}; 1 to ${max} UTF-16 code units.`;

// Every object schema lists its members in canonical order (section 4 of docs/bundle-format.md):
// zod builds its output in schema order, so a checked bundle is already in the order its signature
// covers and canonicalJson serializes it without copying it. Only authData, which keeps the
// sender's order of credential names, is copied into order.
export const BundleProfile = z
  .strictObject({
    agentId: AgentId.meta({ description: `Agent id: ${label(LIMITS.agentIdChars)}` }),
    authData: AuthData.meta({
      description:
        `Credential names to values. At most ${LIMITS.keysPerProfile} names, each: ${label(LIMITS.keyChars)} ` +
        `Values: valid Unicode without NUL, at most ${LIMITS.valueBytes} UTF-8 bytes each; ` +
        `the canonical JSON of the whole object is at most ${LIMITS.profileBytes} UTF-8 bytes.`,
    }),
    authToken: AuthToken.meta({
      description: 'The Kura auth token; present only when tokensIncluded is true. No white space or control characters, valid Unicode.',
    }).optional(),
    name: ProfileName.meta({ description: `Profile name: ${label(LIMITS.nameChars)}` }),
    saveSession: z.boolean(),
  })
  .meta({ description: 'One agent auth profile. Identified by agentId + name, unique within a bundle.' });
export type BundleProfile = z.infer<typeof BundleProfile>;

export const BundleByokKey = z
  .strictObject({
    apiKey: ByokApiKey.meta({
      description: `Provider API key: 1 to ${LIMITS.byokKeyChars} UTF-16 code units, valid Unicode, no white space or control characters.`,
    }),
    kind: AgentKind.meta({ description: `Agent kind: ${label(LIMITS.kindChars)} No "/".` }),
    provider: Provider,
  })
  .meta({ description: 'One BYOK provider API key. Identified by kind, unique within a bundle.' });
export type BundleByokKey = z.infer<typeof BundleByokKey>;

export const BundleAgent = z
  .strictObject({
    agentId: AgentId.meta({ description: `Agent id: ${label(LIMITS.agentIdChars)}` }),
    args: z
      .array(AuthKey)
      .max(BUNDLE_LIMITS.argsPerAgent)
      .meta({ description: `Declared credential names, each: ${label(LIMITS.keyChars)}` }),
  })
  .meta({ description: "An agent's declared input arguments. Identified by agentId, unique within a bundle." });
export type BundleAgent = z.infer<typeof BundleAgent>;

function duplicate(values: string[]): boolean {
  return new Set(values).size !== values.length;
}

/** Whether two profiles share agent id and name: names kept per agent id, no joined key built per profile. */
function duplicateProfile(profiles: readonly { agentId: string; name: string }[]): boolean {
  const names = new Map<string, Set<string>>();
  for (const p of profiles) {
    let seen = names.get(p.agentId);
    if (!seen) names.set(p.agentId, (seen = new Set()));
    if (seen.has(p.name)) return true;
    seen.add(p.name);
  }
  return false;
}

export const BundleItems = z
  .strictObject({
    agents: z.array(BundleAgent).max(BUNDLE_LIMITS.items).optional(),
    byokKeys: z.array(BundleByokKey).max(BUNDLE_LIMITS.items).optional(),
    profiles: z.array(BundleProfile).max(BUNDLE_LIMITS.items),
  })
  .refine((i) => countItems(i) <= BUNDLE_LIMITS.items, {
    message: `A bundle may hold at most ${BUNDLE_LIMITS.items.toLocaleString('en-US')} items.`,
  })
  .refine((i) => !duplicateProfile(i.profiles), {
    message: 'Two profiles in the bundle have the same agent id and name.',
    path: ['profiles'],
  })
  .refine((i) => !duplicate((i.byokKeys ?? []).map((k) => k.kind)), {
    message: 'Two BYOK keys in the bundle have the same kind.',
    path: ['byokKeys'],
  })
  .refine((i) => !duplicate((i.agents ?? []).map((a) => a.agentId)), {
    message: 'Two agents in the bundle have the same agent id.',
    path: ['agents'],
  });
export type BundleItems = z.infer<typeof BundleItems>;

export function countItems(items: { profiles?: unknown; byokKeys?: unknown; agents?: unknown }): number {
  const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
  return len(items.profiles) + len(items.byokKeys) + len(items.agents);
}

export const BundleSignerField = z.strictObject({
  alg: z.literal('ed25519'),
  publicKey: SigningPublicKey,
});

const noTokensUnlessIncluded = (b: { tokensIncluded: boolean; items: BundleItems }): boolean =>
  b.tokensIncluded || b.items.profiles.every((p) => p.authToken === undefined);
const tokensMessage = { message: 'The bundle says it holds no auth tokens, but a profile has one.', path: ['tokensIncluded'] };

const unsignedShape = {
  exportedAt: z.iso.datetime({ error: 'exportedAt must be a UTC ISO-8601 time such as 2025-01-31T09:30:00.000Z.' }),
  format: z.literal(BUNDLE_FORMAT),
  items: BundleItems,
  tokensIncluded: z.boolean(),
  version: z.literal(BUNDLE_VERSION),
};

/** A bundle before it is signed: what `signBundle` takes. */
export const UnsignedBundle = z.strictObject(unsignedShape).refine(noTokensUnlessIncluded, tokensMessage);
export type UnsignedBundle = z.infer<typeof UnsignedBundle>;

// Whether the profile list holds a token is the one cross-field rule JSON Schema can state;
// uniqueness and the total item count are in the spec's prose and enforced here.
const jsonSchemaRules = {
  dependentRequired: { signer: ['signature'], signature: ['signer'] },
  if: { properties: { tokensIncluded: { const: false } } },
  then: {
    properties: {
      items: {
        type: 'object',
        properties: { profiles: { type: 'array', items: { type: 'object', not: { required: ['authToken'] } } } },
      },
    },
  },
};

/** The plaintext of a Keyhold bundle file, format version 1 (docs/bundle-format.md). */
export const Bundle = z
  .strictObject({
    ...unsignedShape,
    signer: BundleSignerField.optional(),
    signature: z.string().regex(SIGNATURE_B64, { error: 'Signature must be 64 bytes in base64.' }).optional(),
  })
  .refine(noTokensUnlessIncluded, tokensMessage)
  .refine((b) => (b.signer === undefined) === (b.signature === undefined), {
    message: 'A bundle has both a signer and a signature, or neither.',
    path: ['signature'],
  })
  .meta({
    title: 'Keyhold bundle, format version 1',
    description: 'The plaintext of a Keyhold export file. See docs/bundle-format.md for the rules this schema cannot express.',
    ...jsonSchemaRules,
  });
export type Bundle = z.infer<typeof Bundle>;

/**
 * The two schemas a bulk export or import runs, compiled by zod (`z.compile`): the same rules run as
 * generated code, about twice as fast on a 10,000-profile bundle, in a fresh process too. Whatever
 * the generated code does not accept is parsed again by the schema itself, so every refusal and its
 * message are the schema's own. Compiled on first use: most commands never read or write a bundle.
 */
let compiledCache: { bundle: typeof Bundle; unsigned: typeof UnsignedBundle } | null = null;
export function compiledSchemas(): { bundle: typeof Bundle; unsigned: typeof UnsignedBundle } {
  compiledCache ??= { bundle: z.compile(Bundle), unsigned: z.compile(UnsignedBundle) };
  return compiledCache;
}

/** What an exporter supplies; format, version and (by default) the export time are filled in. */
export const BundleContent = z.strictObject({
  items: BundleItems,
  tokensIncluded: z.boolean(),
  exportedAt: unsignedShape.exportedAt.optional(),
});
export type BundleContent = z.input<typeof BundleContent>;

export function createBundle(content: BundleContent, now: Date = new Date()): UnsignedBundle {
  const parsed = parseInput(BundleContent, content);
  return parseInput(UnsignedBundle, {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: parsed.exportedAt ?? now.toISOString(),
    items: parsed.items,
    tokensIncluded: parsed.tokensIncluded,
  });
}

/** The JSON Schema committed as docs/bundle.schema.json, generated so it cannot drift from the code. */
export function bundleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Bundle, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}

/**
 * Checks a parsed plaintext value in the order that gives the most useful message: is it a bundle
 * at all, is it a version this code reads, is it within limits, and only then every field.
 */
export function parseBundleValue(value: unknown): Bundle {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeyholdError('BundleInvalid', 'This file does not hold a Keyhold bundle.');
  }
  const record = value as Record<string, unknown>;
  if (record.format !== BUNDLE_FORMAT) {
    throw new KeyholdError('BundleInvalid', 'This file was decrypted, but it does not hold a Keyhold bundle.');
  }
  const version = record.version;
  if (version !== BUNDLE_VERSION) {
    if (typeof version === 'number' && Number.isSafeInteger(version) && version > BUNDLE_VERSION) {
      throw new KeyholdError(
        'BundleInvalid',
        `This bundle is format version ${version}; this Keyhold reads version ${BUNDLE_VERSION}. Update Keyhold to import it.`,
      );
    }
    throw new KeyholdError('BundleInvalid', `This bundle has no valid format version; this Keyhold reads version ${BUNDLE_VERSION}.`);
  }
  const items = record.items;
  if (typeof items === 'object' && items !== null && countItems(items) > BUNDLE_LIMITS.items) {
    throw new KeyholdError('TooLarge', `This bundle holds more than ${BUNDLE_LIMITS.items.toLocaleString('en-US')} items, the most Keyhold imports at once.`);
  }
  const result = compiledSchemas().bundle.safeParse(value);
  if (!result.success) {
    const payload = toErrorPayload(result.error);
    throw new KeyholdError('BundleInvalid', `The bundle is not valid: ${payload.message}`, {
      ...(payload.field === undefined ? {} : { field: payload.field }),
    });
  }
  return result.data;
}
