import { LIMITS } from '../../shared/domain';

export interface Strength {
  /** 0 (unusable) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
  /** Good enough for a master password without the person's explicit consent. */
  strongEnough: boolean;
}

const HINT = [
  'This is among the first guesses an attacker tries.',
  'Easy to guess: add a few unrelated words.',
  'Longer is better: add another word or two.',
  'A good password. Longer still is stronger.',
  'A strong password.',
] as const;

export const TOO_SHORT_HINT = `Use at least ${LIMITS.passwordMinChars} characters.`;

/** The engine's estimate (the same estimator as the CLI) in the window's words. */
export function describeStrength(score: number, label: string, strongEnough: boolean): Strength {
  const s = Math.max(0, Math.min(4, Math.round(score))) as Strength['score'];
  return { score: s, label, hint: label === 'Too short' ? TOO_SHORT_HINT : HINT[s], strongEnough };
}
