import { randomInt } from 'node:crypto';

// Look-alike keys for tests: the shape of each provider's keys, random characters, never a real key.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const randomChars = (n: number, alphabet = ALNUM): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

export const lookalike = {
  anthropic: () => `sk-ant-api03-${randomChars(93, `${ALNUM}_-`)}AA`,
  openai: () => `sk-proj-${randomChars(74, `${ALNUM}_-`)}T3BlbkFJ${randomChars(74, `${ALNUM}_-`)}`,
  github: () => `ghp_${randomChars(36)}`,
  githubFine: () => `github_pat_${randomChars(82, `${ALNUM}_`)}`,
  aws: () => `AKIA${randomChars(16, UPPER32)}`,
  slack: () => `xoxb-${randomChars(12, '0123456789')}-${randomChars(12, '0123456789')}-${randomChars(24)}`,
  stripe: () => `sk_live_${randomChars(24)}`,
  google: () => `AIza${randomChars(35, `${ALNUM}_-`)}`,
  generic: () => randomChars(40),
};
