import { LIMITS } from './domain';
import { KeyholdError } from './errors';

/*
 * The one password strength estimator, for the CLI (init, passwd) and the window alike: zxcvbn-ts,
 * which scores a password by the guesses an attacker with dictionaries, keyboard patterns,
 * dates and l33t substitutions would need. It lives in shared because the renderer must use it
 * too; the library is pure computation (no I/O, no Node or DOM APIs). Its dictionaries weigh
 * about 2 MB, so they are loaded on first use only, never by commands that do not set a password.
 */

/** 0 (guessed at once) … 4 (very hard to guess), as zxcvbn scores it. */
export type StrengthScore = 0 | 1 | 2 | 3 | 4;

/** The lowest score accepted for a master password without an explicit override. */
export const MIN_PASSWORD_SCORE: StrengthScore = 3;

export interface PasswordStrength {
  score: StrengthScore;
  weak: boolean;
  /** Why it scored low, in plain words, when the estimator says. */
  warning: string | null;
}

// zxcvbn-ts reports warnings as keys (translations are a separate package); these are its keys.
const WARNINGS: Record<string, string> = {
  straightRow: 'Straight rows of keys on a keyboard are easy to guess.',
  keyPattern: 'Short keyboard patterns are easy to guess.',
  simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
  extendedRepeat: 'Repeated patterns like "abcabcabc" are easy to guess.',
  sequences: 'Common sequences like "abc" are easy to guess.',
  recentYears: 'Recent years are easy to guess.',
  dates: 'Dates are easy to guess.',
  topTen: 'This is one of the most used passwords.',
  topHundred: 'This is a very commonly used password.',
  common: 'This is a commonly used password.',
  similarToCommon: 'This is similar to a commonly used password.',
  wordByItself: 'Single words are easy to guess.',
  namesByThemselves: 'Single names or surnames are easy to guess.',
  commonNames: 'Common names and surnames are easy to guess.',
  userInputs: 'It contains words from the rest of what you entered.',
  pwned: 'This password appeared in a data breach.',
};

type Checker = (password: string, userInputs: string[]) => { score: number; feedback: { warning: string | null } };
let checker: Promise<Checker> | null = null;

function load(): Promise<Checker> {
  checker ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(([core, common]) => {
    const zxcvbn = new core.ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
    return (password, userInputs) => zxcvbn.check(password, userInputs);
  });
  return checker;
}

/** Scores a candidate master password; `userInputs` are words it should not lean on (e.g. the vault's name). */
export async function estimatePasswordStrength(password: string, userInputs: string[] = []): Promise<PasswordStrength> {
  // zxcvbn's cost grows with length; what follows the first 100 characters only adds strength.
  const result = (await load())(password.slice(0, 100), userInputs);
  const score = Math.max(0, Math.min(4, result.score)) as StrengthScore;
  const key = result.feedback.warning;
  return { score, weak: score < MIN_PASSWORD_SCORE, warning: key ? (WARNINGS[key] ?? null) : null };
}

const LABEL = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

/** What a form shows while a new master password is typed: too short, or the estimator's grade. */
export async function describePasswordStrength(password: string): Promise<{ score: StrengthScore; label: string; strongEnough: boolean }> {
  if (password.length < LIMITS.passwordMinChars) return { score: 0, label: 'Too short', strongEnough: false };
  const { score, weak } = await estimatePasswordStrength(password);
  return { score, label: LABEL[score], strongEnough: !weak };
}

/**
 * Refuses a weak new master password (or passphrase) unless the person chose to keep it. The
 * error points at `weakPassword`, the confirmation it lacks, so each front end can say how.
 */
export async function checkNewPassword(password: string, options: { allowWeak?: boolean; what?: string } = {}): Promise<void> {
  if (options.allowWeak) return;
  const strength = await estimatePasswordStrength(password);
  if (!strength.weak) return;
  const what = options.what ?? 'This master password';
  throw new KeyholdError(
    'WeakPassword',
    `${what} is too easy to guess (strength ${strength.score} of 4; at least ${MIN_PASSWORD_SCORE} is needed).${strength.warning ? ` ${strength.warning}` : ''} A few unrelated words make a strong one.`,
    { field: 'weakPassword' },
  );
}
