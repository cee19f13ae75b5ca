import { join } from 'node:path';
import { expect } from 'vitest';
import { keyhold, type CliResult } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

/** A fresh vault for CLI attacks; `run` and `ok` call the built keyhold on it. */
export function cliVault(prefix: string) {
  const t = tempDir(prefix);
  const env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  const run = (args: string[], input?: string): CliResult => keyhold(args, { env, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): CliResult => {
    const r = run(args, input);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  ok(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
  return { dir: t.dir, env, run, ok, cleanup: t.cleanup };
}
