import { afterEach } from 'vitest';
import { KeyholdError } from '../../src/shared/errors';

/** A list of undo steps run (newest first, awaited) after each test of the file that calls it. */
export function useCleanups(): (() => unknown)[] {
  const steps: (() => unknown)[] = [];
  afterEach(async () => {
    while (steps.length) await steps.pop()?.();
  });
  return steps;
}

/** The KeyholdError fn throws; fails the test if it throws nothing or something else. */
export function refusal(fn: () => unknown): KeyholdError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyholdError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** The KeyholdError a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<KeyholdError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof KeyholdError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
