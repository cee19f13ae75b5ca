import { AsyncLocalStorage } from 'node:async_hooks';
import { readSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { KeyholdError } from '../shared/keyhold-error';
import { INVISIBLE, LINE_REORDERING } from '../shared/text';
import type { ItemVersion } from '../shared/domain';

/**
 * Everything the CLI takes from, or gives to, the process it runs in: its streams, environment and
 * exit code. `main(argv, io)` runs one command against one of these, so tests run the CLI in their
 * own process with their own streams; the `keyhold` binary passes `processIo()`. Command code never
 * reads `process.env`, `process.stdin`/`stdout`/`stderr` or sets `process.exitCode`: it calls the
 * helpers below, which consult the io of the command being run.
 */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** All of standard input at once (a piped secret, a .env file, a template). */
  readAllStdin: () => Buffer;
  /** Ends the run the way the command it ran ended (`keyhold run`); in-process, only the exit code says so. */
  raiseSignal?: (signal: NodeJS.Signals) => void;
  /** Set by a command that ends with a code other than 0 without an error. */
  exitCode?: number;
  /** Standard input can be read once: set when a value was taken from it. */
  stdinTaken?: boolean;
  /** Set while a command waits on a child that must end first: a closed output does not end the process. */
  keepRunningOnClosedOutput?: boolean;
}

let theProcessIo: CliIo | undefined;

/** The most the CLI reads from standard input or a file it names: far above any value, .env file, config or template. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * All of a file descriptor, read synchronously, refused past MAX_INPUT_BYTES: `yes |` or
 * `--from-env /dev/zero` would otherwise fill memory until the process died. A program that starts
 * `keyhold` from Node (a hook runner, a script with `spawn`) hands over a non-blocking pipe, where a
 * read before the writer has written fails with EAGAIN (`readFileSync(0)` gave up there, and the
 * command failed): wait a moment and read again, until end of input.
 */
export function readAllFd(fd: number, what: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break; // Windows: a closed pipe
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_INPUT_BYTES)
      throw new KeyholdError(
        'TooLarge',
        `${what.charAt(0).toUpperCase()}${what.slice(1)} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; nothing was read.`,
      );
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** The io of the real process: what the `keyhold` binary runs with. */
export function processIo(): CliIo {
  return (theProcessIo ??= {
    // Node makes process.stdin on first use, a stream over a pipe, file or terminal (several of its
    // own modules to load): most commands never read it.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readAllStdin: () => readAllFd(0, 'Standard input'),
    raiseSignal: (signal) => process.kill(process.pid, signal),
  });
}

// Several in-process runs (tests) may overlap, so each carries its io through its own awaits. The
// binary has one run on the process's io: it needs no store, and skips the store's cost on every
// promise (Node 20's AsyncLocalStorage hooks each one).
let store: AsyncLocalStorage<CliIo> | undefined;

/** Runs fn with `io` as the current io (for everything fn awaits too). */
export function runWithIo<T>(io: CliIo, fn: () => T): T {
  if (io === theProcessIo) return fn();
  return (store ??= new AsyncLocalStorage<CliIo>()).run(io, fn);
}

/** The io of the command being run; outside an in-process run, the process's own. */
export function currentIo(): CliIo {
  return store?.getStore() ?? processIo();
}

/** Writes to the current standard output. */
export function out(text: string): void {
  currentIo().stdout.write(text);
}

/** Writes to the current standard error. */
export function err(text: string): void {
  currentIo().stderr.write(text);
}

/**
 * A message for people: the names, file paths and server words it carries may hold control
 * characters, so every one but line breaks and tabs is shown escaped. Data a command prints for
 * other programs (a value, a token, a script, JSON) goes through `out` as it is.
 */
export function say(text: string): void {
  out(cleanText(text));
}

/** The same on standard error. */
export function sayErr(text: string): void {
  err(cleanText(text));
}

/** The current environment (process.env for the binary, the test's own in-process). */
export function env(): Record<string, string | undefined> {
  return currentIo().env;
}

/** A non-empty environment variable, else undefined. */
export function envValue(name: string): string | undefined {
  const value = currentIo().env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Sets the exit code of the command being run (without ending it). */
export function setExitCode(code: number): void {
  currentIo().exitCode = code;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new KeyholdError('BadInput', `${what} is not valid UTF-8.`);
  }
}

/** All of standard input, once per command: a second reader gets a clear error naming what it wanted. */
export function readStdinBytes(what: string): Buffer {
  const io = currentIo();
  if (io.stdinTaken) throw new KeyholdError('BadInput', `Only one value can be read from standard input; ${what} needs another way in.`);
  io.stdinTaken = true;
  return io.readAllStdin();
}

/** Reads all of standard input once (a secret piped in), dropping one trailing newline. */
export function readStdinSecret(what: string): string {
  const io = currentIo();
  if (io.stdinTaken) throw new KeyholdError('BadInput', `Only one value can be read from standard input; ${what} needs another way in.`);
  if (io.stdin.isTTY) {
    io.stdinTaken = true;
    throw new KeyholdError('BadInput', `${what} is read from standard input: pipe it in (e.g. "pbpaste | keyhold …") rather than typing it here.`);
  }
  const text = decodeUtf8(readStdinBytes(what), what);
  return text.replace(/\r?\n$/, '');
}

/** Ctrl-C at a prompt: nothing was done, and the exit code is a shell's for an interrupt (130). */
const interrupted = () => new KeyholdError('Interrupted', 'Cancelled.');

/**
 * Asks on the terminal without echo. Without a terminal the error is `noTerminal`, which says how
 * else the value gets in: each caller knows its own variable.
 */
export function promptHidden(question: string, noTerminal: string): Promise<string> {
  const io = currentIo();
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) return Promise.reject(new KeyholdError('BadInput', noTerminal));
  if (stdin.readableEnded) return Promise.reject(new KeyholdError('Cancelled', 'Cancelled.'));
  const setRawMode = stdin.setRawMode.bind(stdin);
  return new Promise((resolve, reject) => {
    let value = '';
    // Raw before the question shows: a key pressed at once (Ctrl-C too) reaches the handler below,
    // not the terminal, which would echo it and end the process by signal.
    setRawMode(true);
    io.stderr.write(question);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (e?: Error) => {
      setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      io.stderr.write('\n');
      if (e) reject(e);
      else resolve(value);
    };
    // Ctrl-D, or a terminal that went away: no answer is coming (left open, the process ended with 0).
    const onEnd = () => finish(new KeyholdError('Cancelled', 'Cancelled.'));
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(interrupted());
        if (ch === '\u0004') return onEnd();
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
  });
}

/**
 * The master password: KEYHOLD_PASSWORD, else asked. `sessionHelps: false` for a command a session
 * cannot stand in for (`passwd`), so the message does not send the person to `keyhold unlock`.
 */
export async function readPassword(question = 'Master password: ', options: { sessionHelps?: boolean } = {}): Promise<string> {
  const session = options.sessionHelps === false ? '' : ' or use "keyhold unlock" for a session';
  return envValue('KEYHOLD_PASSWORD') ?? promptHidden(question, `No terminal to ask for the master password: set KEYHOLD_PASSWORD${session}.`);
}

/** A new master password: `envVar`, else asked twice. */
export async function readNewPassword(envVar: 'KEYHOLD_PASSWORD' | 'KEYHOLD_NEW_PASSWORD'): Promise<string> {
  const fromEnv = envValue(envVar);
  if (fromEnv !== undefined) return fromEnv;
  const noTerminal = `No terminal to ask for the new master password: set ${envVar}.`;
  const first = await promptHidden('New master password: ', noTerminal);
  const second = await promptHidden('Repeat it: ', noTerminal);
  if (first !== second) throw new KeyholdError('BadInput', 'The two passwords differ. Nothing was changed.');
  return first;
}

export function printJson(value: unknown): void {
  out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table for terminals; --json is the stable interface for scripts. */
export function printTable(headers: string[], rows: string[][]): void {
  if (rows.length === 0) {
    out('(none)\n');
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cleanField(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map(cleanField)
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

/**
 * A profile's or key's versions as a table; a SOURCE column (where an import found the values)
 * appears when any version has one. Every cell, the source included, is shown with its control
 * characters escaped: a file name can hold line breaks and escape sequences.
 */
export function printHistory(versions: readonly ItemVersion[], summaryHeader: string): void {
  const withSource = versions.some((v) => v.source !== undefined);
  printTable(
    ['VERSION', 'TIME', 'REASON', summaryHeader, ...(withSource ? ['SOURCE'] : [])],
    versions.map((v) => [String(v.version), v.at, v.reason, v.summary, ...(withSource ? [v.source ?? '-'] : [])]),
  );
}

export const MASK = '••••••••';

// Text that came from a server, a bundle or a file can hold control characters: ESC starts a
// terminal escape sequence (retitle the window, rewrite the screen, on some terminals answer back
// as typed input), CR and BS overwrite what was printed, bidi overrides reorder a line so a name
// reads as something else, and invisible characters (a zero-width space in a token) hide what is
// there. Every such character is shown as a visible escape instead.
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${LINE_REORDERING}${INVISIBLE}]`, 'g');
const UNSAFE_IN_FIELD = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${LINE_REORDERING}${INVISIBLE}]`, 'g');

const visible = (c: string): string => {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One field (a name, a server's message) for a terminal: every control character, line breaks included, shown escaped. */
export const cleanField = (text: string): string => text.replace(UNSAFE_IN_FIELD, visible);

/** Lines of text for a terminal: line breaks and tabs kept, every other control character shown escaped. */
export const cleanText = (text: string): string => text.replace(UNSAFE, visible);

/**
 * A reader that goes away (`keyhold status | head -1`) closes the pipe: the rest of the output has
 * nowhere to go, and that is not an error to report with a stack trace. The process ends quietly
 * with the exit code it had, unless `keepRunningOnClosedOutput()` says it is waiting on a child that must end first.
 */
export function keepRunningOnClosedOutput(): void {
  currentIo().keepRunningOnClosedOutput = true;
}

/** For the binary: a closed stdout or stderr of the real process ends it quietly (see above). */
export function guardClosedPipes(io: CliIo = processIo()): void {
  for (const stream of [io.stdout, io.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        if (!io.keepRunningOnClosedOutput) process.exit(io.exitCode ?? 0);
        return;
      }
      if (stream === io.stdout) io.stderr.write(`keyhold: cannot write the output (${e.code ?? 'error'}).\n`);
      process.exit(1);
    });
  }
}

/**
 * Asks a yes/no question on the terminal (the question goes to stderr, so stdout stays clean for
 * --json). Without a terminal there is nobody to ask: the caller gets false and says how to confirm.
 * The end of input (Ctrl-D, a closed terminal) is a no; Ctrl-C is an `Interrupted` error, as at the
 * password prompt. Either way the question is settled: an open one left the process with nothing
 * to wait on, and it ended with exit 0 having done nothing.
 */
export async function confirm(question: string): Promise<boolean> {
  const io = currentIo();
  if (!io.stdin.isTTY) return false;
  // Loaded here, not at start: readline brings in a dozen of Node's own modules, which every
  // command would pay for and only a question needs.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string | undefined>((resolve, reject) => {
      let settled = false;
      const settle = (line: string | undefined, error?: Error) => {
        if (settled) return;
        settled = true;
        // Ctrl-C or Ctrl-D leaves the cursor after the question: the next line starts afresh.
        if (line === undefined) io.stderr.write('\n');
        if (error) reject(error);
        else resolve(line);
      };
      // Without a SIGINT listener readline closes on Ctrl-C, which would read as a plain no.
      rl.on('SIGINT', () => settle(undefined, interrupted()));
      rl.on('close', () => settle(undefined));
      rl.question(question, (line) => settle(line));
    });
    return answer !== undefined && /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * Says on stderr which items a listing left out because they are damaged, so neither the table
 * nor the JSON on stdout changes shape and a script still notices.
 */
export function warnDamaged(what: string, ids: readonly string[]): void {
  if (ids.length === 0) return;
  err(
    `keyhold: ${ids.length} damaged ${what}${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) could not be read and ${ids.length === 1 ? 'is' : 'are'} marked DAMAGED. Run "keyhold doctor" for details.\n`,
  );
}
