import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { keyhold } from './cli';
import { PASSWORD, tempDir } from './vault';

/**
 * A temporary HOME (empty) and a fresh vault beside it, for CLI tests of what reads a person's
 * configs (`scan`, `mcp wrap`); `env` runs keyhold on both, in-process or spawned.
 */
export async function cliHome(prefix: string): Promise<{ dir: string; home: string; env: Record<string, string>; cleanup: () => void }> {
  const t = tempDir(prefix);
  const home = join(t.dir, 'home');
  mkdirSync(home);
  const env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, HOME: home };
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env })).code).toBe(0);
  return { dir: t.dir, home, env, cleanup: t.cleanup };
}

/** One finding of `keyhold scan --json`, as the tests read it. */
export interface ScanJsonFinding {
  file: string;
  line: number;
  where: string;
  rule: string;
  server: string | null;
  masked: string;
  wellKnown: boolean;
  inVault: string;
  vaultItem: string | null;
  import?: { result: string; target: string; reason?: string };
}

/** The findings of `keyhold scan --json`'s output. */
export const scanFindings = (stdout: string): ScanJsonFinding[] => (JSON.parse(stdout) as { findings: ScanJsonFinding[] }).findings;
