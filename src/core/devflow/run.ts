import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync, readSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
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

/** A process's group and its terminal's foreground group (-1 without a terminal), or null if it cannot be read. */
function processGroups(pid: number): { pgrp: number; tpgid: number } | null {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After "pid (comm) ": state ppid pgrp session tty_nr tpgid …
      const [, , pgrp, , , tpgid] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      return pgrp !== undefined && tpgid !== undefined ? { pgrp, tpgid } : null;
    }
    const ps = spawnSync('ps', ['-o', 'pgid=', '-o', 'tpgid=', '-p', String(pid)], { encoding: 'utf8' });
    const [pgrp, tpgid] = (ps.stdout ?? '').trim().split(/\s+/).map(Number);
    return pgrp !== undefined && tpgid !== undefined && !Number.isNaN(pgrp) && !Number.isNaN(tpgid) ? { pgrp, tpgid } : null;
  } catch {
    return null;
  }
}

/**
 * Whether the terminal's Ctrl-C has reached the child already: this process is the terminal's
 * foreground job and the child is still in it (a program may move to a group of its own). Passed
 * on as well, it arrived twice, and a program that takes a second interrupt as "stop now"
 * (Terraform's "Two interrupts received. Exiting immediately", a dev server's "press Ctrl-C again")
 * did just that. Read when the signal comes: a job can be moved to the background and back. On
 * Windows every process of the console gets Ctrl-C, and ChildProcess.kill('SIGINT') would end the
 * child outright.
 */
function interruptReachedChild(child: ChildProcess): boolean {
  if (process.platform === 'win32') return true;
  const self = processGroups(process.pid);
  const theirs = child.pid === undefined ? null : processGroups(child.pid);
  return self !== null && theirs !== null && self.tpgid > 0 && self.tpgid === self.pgrp && theirs.pgrp === self.pgrp;
}

/** Passes a signal this process received on to the child, unless the terminal sent it to the child too. */
function forward(child: ChildProcess, signal: NodeJS.Signals): void {
  if (signal === 'SIGINT' && interruptReachedChild(child)) return;
  child.kill(signal);
}

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

/** The descriptor of the socket Node reads a child's output from, where it has one (not on Windows). */
function socketFd(stream: Readable): number | undefined {
  const fd: unknown = (stream as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Reads and drops what is waiting in the socket now, without waiting for more (the socket does not
 * block). A read that does not fill the buffer took all there was, so the socket can be closed at
 * once, without the time an EAGAIN error takes to build (a writer could fill it again meanwhile).
 */
function dropWaiting(stream: Readable): void {
  const fd = socketFd(stream);
  if (fd === undefined) return;
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  try {
    while (readSync(fd, buffer) === buffer.length);
  } catch {
    // EAGAIN: nothing was waiting.
  }
}

/** How long a child sent SIGSTOP may take to stop: it finishes the system call it is in, if any, first. */
const STOPPED_BY = 20;

/**
 * What a write after the reader went away does to the child (see relay): SIGPIPE, then `close` while
 * the child is stopped. Both outputs share it, so the child is continued only once neither is closing.
 */
function pipeBreaker(child: ChildProcess): (close: () => void) => void {
  let closing = 0;
  return (close) => {
    if (process.platform === 'win32') return close();
    // A child that keeps SIGPIPE's default action ends here, as this write would have ended it.
    child.kill('SIGPIPE');
    // One that survives it must get EPIPE at its next write: the socket is emptied and closed while it is stopped.
    if (closing++ === 0) child.kill('SIGSTOP');
    setTimeout(() => {
      close();
      if (--closing === 0) child.kill('SIGCONT');
    }, STOPPED_BY);
  };
}

/**
 * Copies one output of the child to ours, masked when asked. The child writes to a socket that we
 * read, not to our reader, so when our reader goes away (`keyhold run … | head -1`) we must make
 * the child see what it would in a shell pipeline: its next write raises SIGPIPE, or fails with
 * EPIPE if it ignores SIGPIPE (Node and Python do). Closing the socket with output unread, as a
 * plain pipeline() does, fails that write with ECONNRESET instead ("Connection reset by peer").
 *
 * So from the failed write on, the child's output is read and dropped, and when it writes again
 * (the next chunk arrives) the child is sent SIGPIPE, which ends it unless it ignores or catches
 * it. For one that does, the socket is then closed with nothing left in it, so that its next write
 * fails with EPIPE; the socket can only be emptied while nothing writes to it, so the child is
 * stopped (SIGSTOP) for that moment and continued (SIGCONT) right after. A child that writes nothing
 * more is left alone and ends with its own status, as it would in a pipeline.
 *
 * Limits: only the child itself is signalled and stopped. A program it started that writes to the
 * same output (`sh -c 'yes; …'`) gets EPIPE and SIGPIPE from the system at its next write after the
 * close, or ECONNRESET if it was writing at that very moment; and the child is sent SIGPIPE
 * although it was not the writer. On Windows, which has no such signals, the socket is just closed.
 */
function relay(from: Readable, to: Writable, mask: SecretMask | undefined, brokenPipe: (close: () => void) => void): Promise<void> {
  const masker = mask?.createMasker();
  return new Promise<void>((resolve) => {
    let gone = false;
    let ended = false;
    let settled = false;
    let unwritten = 0;
    let waitingForDrain = false;

    const settle = () => {
      if (settled || !ended || (!gone && unwritten > 0)) return;
      settled = true;
      to.off('error', readerGone);
      resolve();
    };
    function readerGone(): void {
      if (gone) return;
      gone = true;
      from.resume();
      settle();
    }
    const write = (bytes: Buffer) => {
      if (bytes.length === 0 || gone) return;
      if (to.destroyed || to.writableEnded) return readerGone();
      unwritten += 1;
      const more = to.write(bytes, (e) => {
        unwritten -= 1;
        if (e) readerGone();
        settle();
      });
      if (!more && !waitingForDrain) {
        waitingForDrain = true;
        from.pause();
        to.once('drain', () => {
          waitingForDrain = false;
          from.resume();
        });
      }
    };
    let broken = false;
    const writtenAfterReaderGone = () => {
      if (broken) return;
      broken = true;
      brokenPipe(() => {
        dropWaiting(from);
        from.destroy();
      });
    };

    to.on('error', readerGone);
    from.on('data', (chunk: Buffer) => (gone ? writtenAfterReaderGone() : write(masker ? masker.write(chunk) : chunk)));
    from.once('end', () => {
      if (masker) write(masker.end());
    });
    // The child's side failing (it died, or reset the socket) ends its output; there is nothing to report.
    from.on('error', () => undefined);
    from.once('close', () => {
      ended = true;
      settle();
    });
  });
}

/**
 * Runs a program with secrets in its environment, the way `op run` and `doppler run` do: no shell
 * (arguments reach the program as they are, never re-parsed), stdin passed through, stdout and
 * stderr each masked on their own when asked, and SIGINT, SIGTERM and SIGHUP passed on to the
 * child while this process waits for it (SIGINT not while both are the terminal's foreground job:
 * the terminal sent Ctrl-C to the child as well). Resolves once the child has exited and its output is
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

  const forwarders = FORWARDED.map((signal) => [signal, () => forward(child, signal)] as const);
  for (const [signal, forward] of forwarders) process.on(signal, forward);
  if (child.stdin) {
    // A child that exits without reading all its input closes the pipe under us: that is not an error.
    child.stdin.on('error', () => undefined);
    stdin.pipe(child.stdin);
  }
  const brokenPipe = pipeBreaker(child);
  const outputs = [
    child.stdout ? relay(child.stdout, stdout, masked, brokenPipe) : undefined,
    child.stderr ? relay(child.stderr, stderr, masked, brokenPipe) : undefined,
  ];
  const cleanup = () => {
    for (const [signal, forward] of forwarders) process.off(signal, forward);
    if (child.stdin) stdin.unpipe(child.stdin);
  };

  return new Promise<RunResult>((resolve, reject) => {
    child.on('error', (e) => {
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
