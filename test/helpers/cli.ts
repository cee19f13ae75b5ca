import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { type CliIo, main } from '../../src/cli/main';

export const CLI = join(import.meta.dirname, '../../out/cli/keyhold.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = unknown>() => T;
}

export interface CliOptions {
  env?: Record<string, string>;
  input?: string | Buffer;
}

/**
 * A clean environment plus `env`. The KDF floor is lowered for tests (src/core/crypto/kdf.ts) unless
 * `env` sets KEYHOLD_INSECURE_TEST_KDF; in-process, core reads it from the test process's own
 * environment (vitest.config.ts sets it), so a test of the real floor spawns the CLI.
 */
const baseEnv = (env: Record<string, string> | undefined) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  KEYHOLD_INSECURE_TEST_KDF: '1',
  ...env,
});

function result(code: number, stdout: string, stderr: string): CliResult {
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** A writable that keeps what is written to it. */
export class Collector extends Writable {
  private chunks: Buffer[] = [];
  isTTY = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** An io for `main`: a clean environment plus `env`, `input` as standard input (not a terminal). */
export function testIo(options: CliOptions = {}): CliIo & { stdout: Collector; stderr: Collector } {
  const input = Buffer.from(options.input ?? '');
  const stdin = Readable.from(input.length > 0 ? [input] : []) as CliIo['stdin'];
  return {
    stdin,
    stdout: new Collector(),
    stderr: new Collector(),
    env: baseEnv(options.env),
    readAllStdin: () => input,
  };
}

/**
 * Runs `keyhold ARGS` in this process, through `main(argv, io)`, with a clean environment plus
 * `env` and `input` piped to standard input: the same program as the binary, without a new Node.
 */
export async function keyhold(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const io = testIo(options);
  const code = await main(args, io);
  return result(code, io.stdout.text(), io.stderr.text());
}

/** Runs the built binary out/cli/keyhold.js in a new process: for signals, pipes, exit behaviour and the build itself. */
export function keyholdProcess(args: string[], options: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: baseEnv(options.env), input: options.input ?? '', timeout: 60_000 });
  return result(r.status ?? -1, r.stdout.toString('utf8'), r.stderr.toString('utf8'));
}

/** The same, without blocking this process: for servers (fakes) that live in the test. */
export function keyholdProcessAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: baseEnv(options.env), timeout: 60_000 }, (error, stdout, stderr) =>
      resolve(result(error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr)),
    );
    child.stdin?.end(options.input ?? '');
  });
}
