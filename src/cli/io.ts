import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { KeyholdError } from '../shared/keyhold-error';

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
}

let theProcessIo: CliIo | undefined;

/** The io of the real process: what the `keyhold` binary runs with. */
export function processIo(): CliIo {
  return (theProcessIo ??= {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readAllStdin: () => readFileSync(0),
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

/** Asks on the terminal without echo. */
export function promptHidden(question: string): Promise<string> {
  const io = currentIo();
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    return Promise.reject(
      new KeyholdError('BadInput', 'No terminal to ask for the master password: set KEYHOLD_PASSWORD or use "keyhold unlock" for a session.'),
    );
  }
  const setRawMode = stdin.setRawMode.bind(stdin);
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (e?: Error) => {
      setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr.write('\n');
      if (e) reject(e);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new KeyholdError('Cancelled', 'Cancelled.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function readPassword(question = 'Master password: '): Promise<string> {
  return envValue('KEYHOLD_PASSWORD') ?? promptHidden(question);
}

export async function readNewPassword(envVar: 'KEYHOLD_PASSWORD' | 'KEYHOLD_NEW_PASSWORD'): Promise<string> {
  const fromEnv = envValue(envVar);
  if (fromEnv !== undefined) return fromEnv;
  const first = await promptHidden('New master password: ');
  const second = await promptHidden('Repeat it: ');
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
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

export const MASK = '••••••••';
