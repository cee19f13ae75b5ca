/** "1 profile", "3 profiles"; `many` for nouns whose plural is not just an added "s". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

let collator: Intl.Collator | undefined;

/**
 * Orders names for people, as `a.localeCompare(b)` does, through one collator made on first use:
 * `localeCompare` looks the locale's rules up on every call, which made sorting 1,000 profiles
 * cost 9 ms instead of 2.
 */
export function compareText(a: string, b: string): number {
  return (collator ??= new Intl.Collator()).compare(a, b);
}
