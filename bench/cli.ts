import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { createSession } from '../src/core/vault/sessions';
import { Vault } from '../src/core/vault/vault';
import { FAST_KDF, PASSWORD, median, profiles, report, type Row } from './harness';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'out', 'cli', 'keyhold.js');
const RUNS = 15;
const N = 1_000;

/** Wall time of one process, start to exit, in ms. */
function wall(args: string[], env: Record<string, string>): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

/**
 * How long a `keyhold` command takes from the shell's point of view, beside the floor of any
 * Node program (`node -e 0`) measured in the same run, interleaved so a busy moment of the
 * machine hits both alike.
 */
export async function benchCli(): Promise<void> {
  await build({ root: ROOT, configFile: join(ROOT, 'vite.cli.config.ts'), logLevel: 'warn' });
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-cli-'));
  try {
    const vaultDir = join(dir, 'vault');
    const vault = await Vault.create(vaultDir, PASSWORD, { kdf: FAST_KDF });
    vault.profiles.createMany(profiles(N));
    const { token } = createSession(vault, 60);
    vault.close();
    const session = { KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: token };

    const cases = {
      floor: () => wall(['-e', '0'], {}),
      version: () => wall([CLI, '--version'], {}),
      help: () => wall([CLI, '--help'], {}),
      list: () => wall([CLI, 'profile', 'list', '--json'], session),
    };
    const samples: Record<keyof typeof cases, number[]> = { floor: [], version: [], help: [], list: [] };
    for (const run of Object.values(cases)) run(); // warm the file cache
    for (let i = 0; i < RUNS; i++) {
      for (const [name, run] of Object.entries(cases) as [keyof typeof cases, () => number][]) samples[name].push(run());
    }
    const floor = median(samples.floor);
    const row = (metric: string, ms: number, factor: number): Row => ({
      metric,
      keyhold: ms,
      baseline: floor,
      unit: 'ms',
      target: `≤ ${factor}× node -e 0`,
      pass: ms <= factor * floor,
    });
    report('cli', [
      row('`keyhold --version` (median of 15 processes)', median(samples.version), 2),
      row('`keyhold --help`', median(samples.help), 2),
      row(`\`keyhold profile list --json\` with a session, ${N.toLocaleString('en')} profiles`, median(samples.list), 3),
    ], [`Baseline: \`node -e 0\` (median of ${RUNS}), run interleaved with the rows above on the same machine.`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
