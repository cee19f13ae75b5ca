import { z } from 'zod';
import { isKeyholdError, KeyholdError } from './keyhold-error';

// Every failure that crosses a boundary (IPC, CLI, a remote response) is one of these codes with
// a message written for the person who reads it. Messages never contain a secret.
export const ErrorCode = z.enum([
  'BadInput',
  'NotFound',
  'Conflict',
  'TooLarge',
  'UndeclaredKey',
  /** A key that would change how a program loads or runs (NODE_OPTIONS, LD_PRELOAD…), not allowed by name. */
  'DangerousKey',
  'VaultNotFound',
  'VaultExists',
  'NotAVault',
  'VaultCorrupt',
  'VaultTooNew',
  'VaultLocked',
  'WrongPassword',
  'TamperedCell',
  'TamperedHeader',
  'Damaged',
  'WeakKdf',
  'WeakPassword',
  'SessionInvalid',
  'RemoteMissing',
  'RemoteInsecure',
  'RemoteUnavailable',
  'RemoteRejected',
  'RemoteBadResponse',
  'CredentialsRejected',
  'RemoteProfileMissing',
  'BundleInvalid',
  'SignatureInvalid',
  'Unsigned',
  /** A bundle signed by a key that is neither this vault's nor a contact's, not trusted for this import. */
  'UntrustedSigner',
  /** A project file (keyhold.toml) that chooses secrets, not trusted by this vault's owner in its present text. */
  'UntrustedFile',
  'DecryptFailed',
  'Cancelled',
  /** Ctrl-C at a CLI prompt (a password, a [y/N] question): nothing was done; a shell's 130. */
  'Interrupted',
  /** `run`: no program by the name given (a shell's 127). */
  'CommandNotFound',
  /** `run`: the program was found but cannot be started: not executable, a folder, not a program (a shell's 126). */
  'CommandNotRunnable',
  'SyncBusy',
  /** Another process held the vault's write lock past the wait. */
  'VaultBusy',
  /** The vault could not be written: a full disk, a read-only file or folder, a disk error. */
  'VaultUnwritable',
  /** The window asked for secret values (reveals, copies) faster than a person does: main's limit (src/main/reveal-limit.ts). */
  'TooManyReveals',
  'Internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorPayload = z.object({
  code: ErrorCode,
  message: z.string(),
  field: z.string().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

export { KeyholdError, isKeyholdError } from './keyhold-error';

/** Turns any thrown value into a payload that is safe to show: unknown errors lose their text. */
export function toErrorPayload(e: unknown): ErrorPayload {
  if (isKeyholdError(e)) return e.toPayload();
  if (e instanceof z.ZodError) {
    const issue = e.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    // A bad record key wraps the real reason one level down.
    const reason = issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue?.message;
    return {
      code: 'BadInput',
      message: reason ? `${field ? `${field}: ` : ''}${reason}` : 'Invalid input.',
      ...(field ? { field } : {}),
    };
  }
  return { code: 'Internal', message: 'Something went wrong inside Keyhold. Nothing was changed.' };
}

/** Parses input at a boundary; a failure becomes a BadInput error naming the field, never echoing the value. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const payload = toErrorPayload(result.error);
  throw new KeyholdError('BadInput', payload.message, payload.field === undefined ? undefined : { field: payload.field });
}
