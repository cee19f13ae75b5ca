import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { LIMITS } from '../../shared/domain';

export interface Strength {
  /** 0 (unusable) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
}

/** Below this score a new master password is refused unless the person says they mean it. */
export const STRONG_ENOUGH = 3;

const LABEL = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;
const HINT = [
  'This is among the first guesses an attacker tries.',
  'Easy to guess: add a few unrelated words.',
  'Longer is better: add another word or two.',
  'A good password. Longer still is stronger.',
  'A strong password.',
] as const;

// zxcvbn-ts (the estimator the CLI uses): patterns, sequences, dates and repeats from the core;
// the common-password and word lists (~400 KB) load on demand, only where a password is typed.
let factory = new ZxcvbnFactory();
let loading: Promise<void> | null = null;
let loaded = false;

export function loadStrengthDictionaries(): Promise<void> {
  loading ??= import('@zxcvbn-ts/language-common').then((common) => {
    factory = new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
    loaded = true;
  });
  return loading;
}

export const strengthDictionariesLoaded = (): boolean => loaded;

export function passwordStrength(password: string): Strength {
  if (password.length === 0) return { score: 0, label: 'Empty', hint: `Use at least ${LIMITS.passwordMinChars} characters.` };
  if (password.length < LIMITS.passwordMinChars) {
    return { score: 0, label: 'Too short', hint: `Use at least ${LIMITS.passwordMinChars} characters.` };
  }
  const { score } = factory.check(password.slice(0, 256));
  return { score, label: LABEL[score], hint: HINT[score] };
}
