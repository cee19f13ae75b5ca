import type { ErrorCode } from '../shared/errors';

// Documented in the README ("Exit codes"); scripts rely on them, so they only ever grow.
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  wrongPassword: 3,
  vault: 4,
  notFound: 5,
  conflict: 6,
  remote: 7,
  integrity: 8,
  locked: 9,
  /** Another process holds the vault's sync lease, or held its write lock past the wait. */
  busy: 10,
  /** `run`: the command was found but could not be started; a shell's code for it. */
  commandNotRunnable: 126,
  /** `run`: no such command; a shell's code for it. */
  commandNotFound: 127,
  /** Ctrl-C at a prompt (a password, a [y/N] question): nothing was done; a shell's code for an interrupt (128 + SIGINT). */
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'BadInput':
    case 'TooLarge':
    case 'UndeclaredKey':
    case 'DangerousKey':
    case 'WeakPassword':
    case 'RemoteInsecure': // an address refused by its shape (plain http:// to another machine), like ftp://: nothing was contacted
      return EXIT.usage;
    case 'WrongPassword':
    case 'DecryptFailed':
      return EXIT.wrongPassword;
    case 'VaultNotFound':
    case 'VaultExists':
    case 'NotAVault':
    case 'VaultTooNew':
    case 'WeakKdf':
    case 'VaultUnwritable':
      return EXIT.vault;
    case 'NotFound':
      return EXIT.notFound;
    case 'Conflict':
      return EXIT.conflict;
    case 'RemoteMissing':
    case 'RemoteUnavailable':
    case 'RemoteRejected':
    case 'RemoteBadResponse':
    case 'CredentialsRejected':
    case 'RemoteProfileMissing':
      return EXIT.remote;
    case 'VaultCorrupt':
    case 'TamperedCell':
    case 'TamperedHeader':
    case 'Damaged':
    case 'BundleInvalid':
    case 'SignatureInvalid':
    case 'Unsigned':
    case 'UntrustedSigner':
    case 'UntrustedFile':
      return EXIT.integrity;
    case 'VaultLocked':
    case 'SessionInvalid':
      return EXIT.locked;
    case 'SyncBusy':
    case 'VaultBusy':
      return EXIT.busy;
    case 'CommandNotRunnable':
      return EXIT.commandNotRunnable;
    case 'CommandNotFound':
      return EXIT.commandNotFound;
    case 'Interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.error;
  }
}
