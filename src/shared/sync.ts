import { z } from 'zod';
import { RemoteSummary, SyncState, SyncType } from './domain';

export const ItemKind = z.enum(['profile', 'byok']);
export type ItemKind = z.infer<typeof ItemKind>;

export const SyncOutcome = z.enum(['pushed', 'retry', 'blocked', 'failed', 'skipped']);

export const ItemResult = z.object({
  kind: ItemKind,
  id: z.string(),
  ref: z.string(),
  outcome: SyncOutcome,
  state: SyncState,
  syncType: SyncType.optional(),
  /** Kura replaced an existing remote profile of the same agent + name that was not ours. */
  replacedForeign: z.boolean().optional(),
  message: z.string().optional(),
});
export type ItemResult = z.infer<typeof ItemResult>;

export const PendingItem = z.object({
  kind: ItemKind,
  id: z.string(),
  ref: z.string(),
  reason: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});

export const SyncSummary = z.object({
  pushed: z.array(ItemResult),
  failed: z.array(ItemResult),
  pending: z.array(PendingItem),
  replaced: z.array(ItemResult),
  timedOut: z.boolean(),
});
export type SyncSummary = z.infer<typeof SyncSummary>;

export const SyncProgress = z.object({ done: z.number().int(), total: z.number().int() });
export type SyncProgress = z.infer<typeof SyncProgress>;

const Counts = z.object({
  draft: z.number().int(),
  pending: z.number().int(),
  synced: z.number().int(),
  failed: z.number().int(),
  /** BYOK keys of providers Backside does not take: kept here, never pushed (not counted as drafts). */
  localOnly: z.number().int(),
});

export const StatusRow = z.object({
  kind: ItemKind,
  id: z.string(),
  ref: z.string(),
  state: SyncState,
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /** Kept on this machine on purpose (a BYOK key Backside does not take): nothing to do. */
  localOnly: z.boolean(),
});
export type StatusRow = z.infer<typeof StatusRow>;

export const SyncStatus = z.object({
  counts: z.object({ profile: Counts, byok: Counts }),
  items: z.array(StatusRow),
  remotes: z.array(RemoteSummary),
});
export type SyncStatus = z.infer<typeof SyncStatus>;
