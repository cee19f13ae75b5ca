export const isUniqueViolation = (e: unknown): boolean =>
  (e as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (e as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
