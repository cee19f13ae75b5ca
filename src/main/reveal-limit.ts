import type { KeyholdContract } from '../shared/contract';
import { fail } from '../shared/ipc';
import type { Envelope } from '../shared/ipc';

/**
 * Every call that hands the window a secret value or puts one on the clipboard. A call added to the
 * contract that does either belongs here (test/unit/main-reveal-limit.test.ts checks the names).
 */
export const SECRET_CALLS = [
  'profileReveal',
  'profileTokenReveal',
  'byokReveal',
  'profileCopy',
  'profileTokenCopy',
  'byokCopy',
] as const satisfies readonly (keyof KeyholdContract)[];

/** As many as a person could click through at once: every value of a large profile, and its token. */
export const REVEAL_BURST = 20;
/** One more every few seconds, about as fast as a person reads a value or pastes it somewhere. */
export const REVEAL_REFILL_MS = 3_000;

export interface RevealLimitOptions {
  /** The calls the limit counts; every other call passes untouched. */
  calls: readonly string[];
  burst?: number;
  refillMs?: number;
  /** A monotonic clock in milliseconds; tests pass their own. */
  now?: () => number;
}

const seconds = (n: number): string => `${n} second${n === 1 ? '' : 's'}`;

/**
 * The limit main puts on secrets leaving through the window (a token bucket: REVEAL_BURST at once,
 * then one per REVEAL_REFILL_MS). The page is not trusted: a script running in it could otherwise
 * reveal or copy every secret of the vault in a loop. A refused call reaches no handler, so nothing
 * is revealed, copied or audited; the error names no item and holds no value.
 *
 * Going over the limit does not lock the vault. A script that paces itself under the refill rate
 * never trips it, so a lock would stop only one that does not, which the refusal already holds to
 * the refill rate; a lock would cost the person who clicked fast their open screens and a password
 * prompt. Every reveal and copy that went through is in the audit log (secret_revealed,
 * secret_copied) for the person to see in Activity.
 */
export class RevealLimit {
  readonly #calls: ReadonlySet<string>;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(options: RevealLimitOptions) {
    this.#calls = new Set(options.calls);
    this.#burst = options.burst ?? REVEAL_BURST;
    this.#refillMs = options.refillMs ?? REVEAL_REFILL_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#burst;
    this.#at = this.#now();
  }

  /** Null when the call may go ahead (a counted call uses up one); otherwise the refusal to send back. */
  check(name: string): Envelope<never> | null {
    if (!this.#calls.has(name)) return null;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#at) / this.#refillMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return null;
    }
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * this.#refillMs) / 1000));
    return fail({
      code: 'TooManyReveals',
      message:
        `Secrets were revealed or copied faster than a person does, so Keyhold refused this one: nothing was shown or copied. ` +
        `It allows ${this.#burst} in a row, then one every ${seconds(this.#refillMs / 1000)}. Try again in ${seconds(wait)}.`,
    });
  }
}
