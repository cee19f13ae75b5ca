import type { ErrorCode, ErrorPayload } from './errors';

// The error class itself needs no zod (its codes are a type here), so code that only throws it,
// like the CLI's argument checks, loads without the schemas. src/shared/errors.ts re-exports it.
export class KeyholdError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeyholdError';
    this.code = code;
    this.field = options?.field;
  }

  toPayload(): ErrorPayload {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}

export const isKeyholdError = (e: unknown): e is KeyholdError => e instanceof KeyholdError;
