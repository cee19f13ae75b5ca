/**
 * When to try a transient failure again: exponential backoff with full jitter (each delay drawn
 * uniformly from [0, min(cap, base · 2^attempt)]), so many clients failing at once do not retry
 * in lockstep, and never sooner than the server asked with Retry-After. Pure functions: the
 * randomness and the clock are passed in.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };

/** The ceiling of the jitter window after `attempt` earlier failures (0 for the first retry). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = attempt > 0 ? Math.floor(attempt) : 0;
  // 2 ** n overflows to Infinity for large n, which min() turns into the cap.
  return Math.max(0, Math.min(policy.capMs, policy.baseMs * 2 ** n));
}

/** Full jitter. `random` returns a number in [0, 1), like Math.random. */
export function backoffDelay(attempt: number, random: () => number = Math.random, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(attempt, policy));
}

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3) into milliseconds from `now`: either
 * delta-seconds or an HTTP-date. A date in the past means "now" (0). Anything else is ignored.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined, now: number): number | undefined {
  const raw = typeof value === 'string' ? value : value?.[0];
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (/^\d+$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // A date names a weekday or month; requiring letters keeps Date.parse's lenient guessing away
  // from bare or signed numbers.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface RetryDelayInput {
  /** 0 for the first retry, 1 for the second, and so on. */
  attempt: number;
  retryAfterMs?: number | undefined;
  random?: () => number;
  policy?: BackoffPolicy;
}

/** The larger of the server's Retry-After and the jittered backoff, never above the cap. */
export function nextRetryDelay({ attempt, retryAfterMs, random = Math.random, policy = DEFAULT_BACKOFF }: RetryDelayInput): number {
  const jittered = backoffDelay(attempt, random, policy);
  const asked = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
  return Math.min(policy.capMs, Math.max(asked, jittered));
}
