import { runInNewContext } from 'node:vm';

/** How long hangGuarded lets work run: far past any sound run, far short of a hang. */
export const HANG_MS = 30_000;

/**
 * Runs fn and returns what it returns, stopping it if it is still running after `ms`: a guard for
 * synchronous work a bug could turn into hours (catastrophic regex backtracking), not a performance
 * bound. Vitest's test timeout cannot do this: it fails a synchronous test only once it returns.
 * V8 stops a script past vm's timeout wherever it is, inside a regular expression too.
 */
export function hangGuarded<T>(fn: () => T, ms = HANG_MS): T {
  try {
    return runInNewContext('fn()', { fn }, { timeout: ms }) as T;
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
    throw new Error(`Still running after ${ms / 1000} s and stopped: a hang (such as catastrophic backtracking), not a slow run.`, { cause: e });
  }
}
