import { readFileSync } from 'node:fs';
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
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

export const MASK = '••••••••';

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
