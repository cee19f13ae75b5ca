/** True when pasted text looks like a .env block rather than one key name; main reads it (dotenvRead). */
export const looksLikeDotenv = (text: string): boolean => /\n/.test(text.trim()) || /^[A-Za-z_][\w.-]*\s*=/.test(text.trim());

/**
 * True when pasted text is several lines whose first (comments and blank lines aside) reads as
 * KEY=VALUE: a .env block. Pasted into one value field, which keeps a single line, it would lose its
 * line breaks; the form offers to fill rows from it instead (main reads it, with dotenvRead).
 */
export function isDotenvBlock(text: string): boolean {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const first = lines.find((l) => l !== '' && !l.startsWith('#'));
  return lines.filter((l) => l !== '').length > 1 && first !== undefined && /^(?:export\s+)?[A-Za-z_][\w.-]*\s*=/.test(first);
}
