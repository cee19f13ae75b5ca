import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { KeyholdError } from '../shared/errors';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new KeyholdError('BadInput', `${what} is not valid UTF-8.`);
  }
}

let stdinTaken = false;

/** Reads all of standard input once (a secret piped in), dropping one trailing newline. */
export function readStdinSecret(what: string): string {
  if (stdinTaken) throw new KeyholdError('BadInput', `Only one value can be read from standard input; ${what} needs another way in.`);
  stdinTaken = true;
  if (process.stdin.isTTY) {
    throw new KeyholdError('BadInput', `${what} is read from standard input: pipe it in (e.g. "pbpaste | keyhold …") rather than typing it here.`);
  }
  const text = decodeUtf8(readFileSync(0), what);
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal without echo. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(
      new KeyholdError('BadInput', 'No terminal to ask for the master password: set KEYHOLD_PASSWORD or use "keyhold unlock" for a session.'),
    );
  }
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
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
  const fromEnv = process.env.KEYHOLD_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return promptHidden(question);
}

export async function readNewPassword(envVar: 'KEYHOLD_PASSWORD' | 'KEYHOLD_NEW_PASSWORD'): Promise<string> {
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const first = await promptHidden('New master password: ');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new KeyholdError('BadInput', 'The two passwords differ. Nothing was changed.');
  return first;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table for terminals; --json is the stable interface for scripts. */
export function printTable(headers: string[], rows: string[][]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cleanField(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map(cleanField)
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

export const MASK = '••••••••';

// Text that came from a server, a bundle or a file can hold control characters: ESC starts a
// terminal escape sequence (retitle the window, rewrite the screen, on some terminals answer back
// as typed input), CR and BS overwrite what was printed, and bidi overrides reorder a line so a
// name reads as something else. Every such character is shown as a visible escape instead.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_FIELD = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

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
let exitOnClosedOutput = true;

export function keepRunningOnClosedOutput(): void {
  exitOnClosedOutput = false;
}

export function guardClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        if (exitOnClosedOutput) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
        return;
      }
      if (stream === process.stdout) process.stderr.write(`keyhold: cannot write the output (${e.code ?? 'error'}).\n`);
      process.exit(1);
    });
  }
}

/**
 * Asks a yes/no question on the terminal (the question goes to stderr, so stdout stays clean for
 * --json). Without a terminal there is nobody to ask: the caller gets false and says how to confirm.
 */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
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
  process.stderr.write(
    `keyhold: ${ids.length} damaged ${what}${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) could not be read and ${ids.length === 1 ? 'is' : 'are'} marked DAMAGED. Run "keyhold doctor" for details.\n`,
  );
}
