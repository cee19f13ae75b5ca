import { z } from 'zod';

/** Preferences the person can change from the UI; never a secret (they live in plain JSON). */
export const UserSettings = z.object({
  autoLockMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  clipboardSeconds: z.number().int().min(5).max(600),
  theme: z.enum(['system', 'light', 'dark']),
  quickUnlock: z.boolean(),
  /** Keys older than this many days are flagged on the health page. */
  keyMaxAgeDays: z.number().int().min(1).max(3650),
});
export type UserSettings = z.infer<typeof UserSettings>;

export const DEFAULT_SETTINGS: UserSettings = {
  autoLockMinutes: 10,
  clipboardSeconds: 30,
  theme: 'system',
  quickUnlock: false,
  keyMaxAgeDays: 90,
};

/** Where and how large the window was, restored at the next start. */
export const WindowBounds = z
  .object({
    x: z.number().int().min(-100_000).max(100_000),
    y: z.number().int().min(-100_000).max(100_000),
    width: z.number().int().min(200).max(100_000),
    height: z.number().int().min(200).max(100_000),
  })
  .strict();
export type WindowBounds = z.infer<typeof WindowBounds>;

/** Everything main keeps in its settings file: the person's preferences and the shell's own. */
export const StoredSettings = UserSettings.extend({
  windowBounds: WindowBounds.optional(),
  lastVaultPath: z.string().min(1).max(4096).optional(),
});
export type StoredSettings = z.infer<typeof StoredSettings>;

/**
 * The settings file's JSON Schema, one entry per key with the preference defaults, derived from
 * StoredSettings so the file's validation and the UI's can never disagree.
 */
export function storedSettingsJsonSchema(): Record<keyof StoredSettings, Record<string, unknown>> {
  const { properties } = z.toJSONSchema(StoredSettings) as { properties: Record<keyof StoredSettings, Record<string, unknown>> };
  const withDefault = (key: keyof StoredSettings, schema: Record<string, unknown>) =>
    key in DEFAULT_SETTINGS ? { ...schema, default: DEFAULT_SETTINGS[key as keyof UserSettings] } : schema;
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, withDefault(key as keyof StoredSettings, schema)])) as Record<
    keyof StoredSettings,
    Record<string, unknown>
  >;
}
