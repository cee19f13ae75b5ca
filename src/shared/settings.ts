import { z } from 'zod';

/** Preferences the person can change from the UI; never a secret (they live in plain JSON). */
export const UserSettings = z.object({
  autoLockMinutes: z.number().int().min(1).max(24 * 60),
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
