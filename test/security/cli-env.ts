import { join } from 'node:path';
import { expect } from 'vitest';
import { keyhold, type CliResult } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

/** A fresh vault for CLI attacks; `run` and `ok` run keyhold on it in-process (`env` also serves a spawned binary). */
export async function cliVault(prefix: string) {
  const t = tempDir(prefix);
  const env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  const run = (args: string[], input?: string): Promise<CliResult> => keyhold(args, { env, ...(input === undefined ? {} : { input }) });
  const ok = async (args: string[], input?: string): Promise<CliResult> => {
    const r = await run(args, input);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await ok(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
  return { dir: t.dir, env, run, ok, cleanup: t.cleanup };
}
