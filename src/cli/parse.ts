import { KeyholdError } from '../shared/keyhold-error';
import { readStdinSecret } from './io';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--set KEY=VALUE` pairs (split at the first "=") plus at most one `--set-stdin KEY`. */
export function authDataFrom(sets: string[] = [], stdinKey?: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const pair of sets) {
    const eq = pair.indexOf('=');
    // The argument is not echoed: it may be a secret typed without its key.
    if (eq <= 0) throw new KeyholdError('BadInput', '--set takes KEY=VALUE; one --set argument has no key or no "=".');
    const key = pair.slice(0, eq);
    if (key in data) throw new KeyholdError('BadInput', `Key "${key}" is given twice.`);
    data[key] = pair.slice(eq + 1);
  }
  if (stdinKey !== undefined) {
    if (stdinKey in data) throw new KeyholdError('BadInput', `Key "${stdinKey}" is given twice.`);
    data[stdinKey] = readStdinSecret(`The value of ${stdinKey}`);
  }
  return data;
}

export function parseVersion(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new KeyholdError('BadInput', `VERSION must be a positive whole number, not "${text}".`);
  return n;
}

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
