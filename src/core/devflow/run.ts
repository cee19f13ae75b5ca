import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import { sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyholdError } from '../../shared/errors';
import { assertEnvName, assertEnvNamesAllowed, assertEnvValue, mergeEnv, quoteName, withoutKeyholdVariables } from './env-names';
import { SecretMask, type MaskOptions } from './mask';

/** How the child ended: the caller exits with the same code, or raises the same signal on itself. */
export type RunResult = { code: number } | { signal: NodeJS.Signals };

export interface RunOptions {
  command: string;
  args?: readonly string[];
  /** The variables to inject (names → secret values); they take precedence over `baseEnv`. */
  env: Readonly<Record<string, string>>;
  /** Conceal every injected value in the child's stdout and stderr. */
  mask: boolean;
  maskOptions?: MaskOptions;
  /** Defaults to this process's streams. A stream with a file descriptor is handed to the child as is. */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Defaults to `process.env`. Keyhold's own variables (KEYHOLD_*) are never passed on from it. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Injected names that change how a program runs (NODE_OPTIONS, LD_PRELOAD…) allowed for this run. */
  allowEnv?: readonly string[];
}

// What a terminal, a service manager or a closing session sends; the child decides how to end.
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function fdOf(stream: Readable | Writable): number | undefined {
  const fd: unknown = (stream as { fd?: unknown }).fd;
  return typeof fd === 'number' ? fd : undefined;
}

/** Whether a command named by its path is a folder (spawn says only EACCES); a bare name is looked up on PATH, not here. */
function isFolder(command: string): boolean {
  if (!command.includes(sep) && !command.includes('/')) return false;
  try {
    return statSync(command).isDirectory();
  } catch {
    return false;
  }
}

// Node's own spawn errors name only the syscall and the file, but we write ours for a person,
// and never pass on an argument or the environment, which may hold a secret.
function startError(e: unknown, command: string): KeyholdError {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const shown = quoteName(command);
  switch (code) {
    case 'ENOENT':
      return new KeyholdError('CommandNotFound', `command not found: ${command}`);
    case 'EACCES':
    case 'EPERM':
      return new KeyholdError(
        'CommandNotRunnable',
        isFolder(command) ? `Cannot run ${shown}: it is a folder.` : `Cannot run ${shown}: permission denied (is it executable?).`,
      );
    case 'ENOEXEC':
      return new KeyholdError('CommandNotRunnable', `Cannot run ${shown}: it is not a program this system can run.`);
    case 'E2BIG':
      return new KeyholdError('CommandNotRunnable', `Cannot run ${shown}: its arguments and environment are too large.`);
    case 'EINVAL':
      if (process.platform === 'win32') {
        return new KeyholdError('BadInput', `Cannot run ${shown} without a shell: run .cmd and .bat files as cmd /c ${command}.`);
      }
      break;
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_INVALID_ARG_TYPE':
      return new KeyholdError('BadInput', `Cannot run ${shown}: the command, an argument or the environment contains a NUL character.`);
  }
  return new KeyholdError('Internal', `Could not start ${shown}${code ? ` (${code})` : ''}.`);
}

async function relay(from: Readable, to: Writable, mask: SecretMask | undefined): Promise<void> {
  try {
    await (mask ? pipeline(from, mask.createStream(), to, { end: false }) : pipeline(from, to, { end: false }));
  } catch {
    // The reader went away (e.g. `| head`): the pipe is closed and the child sees EPIPE, as it would unwrapped.
  }
}

/**
 * Runs a program with secrets in its environment, the way `op run` and `doppler run` do: no shell
 * (arguments reach the program as they are, never re-parsed), stdin passed through, stdout and
 * stderr each masked on their own when asked, and SIGINT, SIGTERM and SIGHUP passed on to the
 * child while this process waits for it. Resolves once the child has exited and its output is
 * written. While output is masked the child writes to a pipe, not the terminal, so it may buffer
 * more or drop colours; without masking, streams with a file descriptor are handed over as they are.
 */
export async function runWithSecrets(options: RunOptions): Promise<RunResult> {
  const { command, args = [], env, mask } = options;
  if (command.length === 0) throw new KeyholdError('BadInput', 'No command to run.');
  for (const [name, value] of Object.entries(env)) {
    assertEnvName(name);
    assertEnvValue(name, value);
  }
  assertEnvNamesAllowed(Object.keys(env), options.allowEnv ?? [], 'The environment to inject');
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const secrets = mask ? new SecretMask(Object.values(env), options.maskOptions) : undefined;
  const masked = secrets !== undefined && !secrets.isEmpty ? secrets : undefined;
  const outputSpec = (stream: Writable) => (masked ? 'pipe' : (fdOf(stream) ?? 'pipe'));
  const stdio: StdioOptions = [fdOf(stdin) ?? 'pipe', outputSpec(stdout), outputSpec(stderr)];

  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      env: mergeEnv(withoutKeyholdVariables(options.baseEnv ?? process.env), env),
      stdio,
      shell: false,
      windowsHide: true,
    });
  } catch (e) {
    throw startError(e, command);
  }

  const forwarders = FORWARDED.map((signal) => [signal, () => child.kill(signal)] as const);
  for (const [signal, forward] of forwarders) process.on(signal, forward);
  if (child.stdin) {
    // A child that exits without reading all its input closes the pipe under us: that is not an error.
    child.stdin.on('error', () => undefined);
    stdin.pipe(child.stdin);
  }
  const outputs = [child.stdout ? relay(child.stdout, stdout, masked) : undefined, child.stderr ? relay(child.stderr, stderr, masked) : undefined];
  const cleanup = () => {
    for (const [signal, forward] of forwarders) process.off(signal, forward);
    if (child.stdin) stdin.unpipe(child.stdin);
  };

  return new Promise<RunResult>((resolve, reject) => {
    child.once('error', (e) => {
      // After a successful start, an error only means a signal could not be delivered.
      if (child.pid !== undefined) return;
      cleanup();
      reject(startError(e, command));
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      void Promise.all(outputs).then(() => {
        cleanup();
        resolve(signal !== null ? { signal } : { code: code ?? 1 });
      });
    });
  });
}
