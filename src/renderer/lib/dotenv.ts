/** True when pasted text looks like a .env block rather than one key name; main reads it (dotenvRead). */
export const looksLikeDotenv = (text: string): boolean => /\n/.test(text.trim()) || /^[A-Za-z_][\w.-]*\s*=/.test(text.trim());
