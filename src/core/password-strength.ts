import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import type { PasswordStrength } from '../shared/contract';
import { LIMITS } from '../shared/domain';

// zxcvbn-ts: dictionaries of common passwords and words, keyboard walks, sequences, dates and
// repeats. Built once, on first use (the lists take a moment to index).
let factory: ZxcvbnFactory | null = null;

const LABEL = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

/** Below this score a new master password needs the person's explicit consent. */
export const STRONG_ENOUGH = 3;

/** How hard `password` is to guess, 0 (among the first guesses) … 4 (strong). */
export function estimatePassword(password: string): PasswordStrength {
  if (password.length < LIMITS.passwordMinChars) return { score: 0, label: 'Too short', strongEnough: false };
  factory ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  // zxcvbn's cost grows with length; what follows the first 100 characters only adds strength.
  const { score } = factory.check(password.slice(0, 100));
  return { score, label: LABEL[score], strongEnough: score >= STRONG_ENOUGH };
}
