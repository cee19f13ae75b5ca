import type { ItemResult } from '../../shared/sync';
import type { RemoteKind } from '../../shared/domain';
import type { ItemKind } from '../vault/items';
import type { Vault } from '../vault/vault';
import type { BackoffPolicy } from './backoff';
import type { HttpClient } from './http';
import type { Outbox, PushRow } from './outbox';

/*
 * What one sync pass hands the code that pushes each kind of item (kura-push.ts, backside-push.ts)
 * and records the outcomes (outcomes.ts): the vault and its outbox, the clock and retry policy, the
 * connections read once for the pass, and the pass's own signal and bookkeeping.
 */

export const REMOTE_OF: Record<ItemKind, RemoteKind> = { profile: 'kura', byok: 'backside' };

export interface UsableConnection {
  url: string;
  credential: string;
  /** When this address and credential were set, to tell whether they changed during the pass. */
  setAt: number;
}

export interface Job {
  row: PushRow;
  ref: string;
  version: number;
  /** The outcome to record, or null when its recording waits for the end of the pass or the run was cancelled meanwhile. */
  send: () => Promise<(() => ItemResult) | null>;
}

/**
 * KURA_FORBIDDEN_RULE. Kura answers each request on its own, and its 403 usually names that request
 * (a token bound to another agent), so a 403 fails only its profile, with Kura's reason. It is the
 * API key, and pauses the connection, when every request Kura answered in the pass was a 403 and
 * that is conclusive: two or more of them, or one for a create, which carries no token to blame.
 * A 401 always pauses. Until the pass ends, 403 outcomes wait here (their rows stay claimed).
 */
export interface ForbiddenOutcomes {
  waiting: { create: boolean; apply: (connectionWide: boolean) => ItemResult }[];
  /** Kura answers in this pass that were not a 403. */
  otherAnswers: number;
}

export interface PassContext {
  vault: Vault;
  outbox: Outbox;
  now: () => number;
  random: () => number;
  backoff: BackoffPolicy;
  /** The pass's signal: every request of the pass is made through a client bound to it. */
  signal: AbortSignal;
  /** The connection to a remote as read once for the pass, or why it cannot be used. */
  connection: (kind: RemoteKind) => UsableConnection | string;
  client: (kind: RemoteKind, url: string) => HttpClient;
  /** Connections a push succeeded on in this pass: proof that their address and credential work. */
  proven: Set<RemoteKind>;
  forbidden: ForbiddenOutcomes;
}
