import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../out/cli/keyhold.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = unknown>() => T;
}

/**
 * Runs the built CLI with a clean environment plus `env`; `input` is piped to stdin. The KDF
 * floor is lowered for tests (src/core/crypto/kdf.ts) unless `env` sets KEYHOLD_INSECURE_TEST_KDF.
 */
export function keyhold(args: string[], options: { env?: Record<string, string>; input?: string | Buffer } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KEYHOLD_INSECURE_TEST_KDF: '1', ...options.env },
    input: options.input ?? '',
    timeout: 60_000,
  });
  const stdout = r.stdout.toString('utf8');
  return {
    code: r.status ?? -1,
    stdout,
    stderr: r.stderr.toString('utf8'),
    json: <T,>() => JSON.parse(stdout) as T,
  };
}

/**
 * Runs the built CLI without blocking this process (fake servers living here keep answering),
 * with a clean environment plus `env`; `input` is piped to stdin.
 */
export function keyholdAsync(args: string[], env: Record<string, string>, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}
