import { LIMITS } from '../../shared/domain';

export interface Strength {
  /** 0 (unusable) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
}

const COMMON = /^(?:password|passw0rd|qwerty|letmein|welcome|admin|iloveyou|123456|keyhold)/i;

// A rough estimate of guessing effort: length and variety dominate, repeats and well-known
// openings cost. It only guides the person; the vault's real protection is Argon2id.
export function passwordStrength(password: string): Strength {
  if (password.length === 0) return { score: 0, label: 'Empty', hint: `Use at least ${LIMITS.passwordMinChars} characters.` };
  if (password.length < LIMITS.passwordMinChars) {
    return { score: 0, label: 'Too short', hint: `Use at least ${LIMITS.passwordMinChars} characters.` };
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  const unique = new Set(password).size;
  let bits = password.length * Math.log2(Math.max(2, classes * 16));
  if (unique < password.length / 3) bits /= 2;
  if (COMMON.test(password)) bits /= 3;
  if (bits < 45) return { score: 1, label: 'Weak', hint: 'Add more words or characters; a few unrelated words work well.' };
  if (bits < 65) return { score: 2, label: 'Fair', hint: 'Longer is better: add another word.' };
  if (bits < 90) return { score: 3, label: 'Good', hint: 'A good password. Longer still is stronger.' };
  return { score: 4, label: 'Strong', hint: 'A strong password.' };
}
