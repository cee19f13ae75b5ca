import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { build } from 'vite';
import { createSession } from '../src/core/vault/sessions';
import { Vault } from '../src/core/vault/vault';
import { FAST_KDF, PASSWORD, median, profiles, report, type Row } from './harness';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'out', 'cli', 'keyhold.js');
// The same build less its V8 code cache (src/cli/code-cache.ts), for the row that shows what the
// cache saves; beside out/cli so that it finds node_modules the same way.
const UNCACHED = join(ROOT, 'out', 'bench-cli-uncached');
const RUNS = 15;
const N = 1_000;

// GNU time reports a child's CPU time (user + system), which a busy machine inflates far less than
// wall time; where it is missing, only wall time is reported.
const GNU_TIME = '/usr/bin/time';
const hasTime = existsSync(GNU_TIME);

/** Wall time and CPU time of one process, start to exit, in ms. */
function measure(args: string[], env: Record<string, string>): { wall: number; cpu: number } {
  const [command, argv] = hasTime ? [GNU_TIME, ['-f', 'cpu %U %S', process.execPath, ...args]] : [process.execPath, args];
  const t = performance.now();
  const r = spawnSync(command, argv, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const cpu = /cpu (\S+) (\S+)\s*$/.exec(r.stderr.toString());
  // GNU time prints seconds with two decimals: whole ms, so 0.05 + 0.01 s is 60 ms and not 60.00000000000001.
  return { wall, cpu: cpu ? Math.round((Number(cpu[1]) + Number(cpu[2])) * 1000) : NaN };
}

/**
 * How long a `keyhold` command takes from the shell's point of view, beside the floor of any
 * Node program (`node -e 0`) measured in the same run, interleaved so a busy moment of the
 * machine hits both alike.
 */
export async function benchCli(): Promise<void> {
  await build({ root: ROOT, configFile: join(ROOT, 'vite.cli.config.ts'), logLevel: 'warn' });
  // The build warns and goes on without a code cache when it cannot write one: measure none such.
  if (!readdirSync(join(ROOT, 'out', 'cli')).some((f) => f.endsWith('.v8cache'))) throw new Error('The CLI was built without its code cache.');
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-cli-'));
  rmSync(UNCACHED, { recursive: true, force: true });
  cpSync(join(ROOT, 'out', 'cli'), UNCACHED, { recursive: true });
  for (const f of readdirSync(UNCACHED)) if (f.endsWith('.v8cache')) rmSync(join(UNCACHED, f));
  try {
    const vaultDir = join(dir, 'vault');
    const vault = await Vault.create(vaultDir, PASSWORD, { kdf: FAST_KDF });
    vault.profiles.createMany(profiles(N));
    const { token } = createSession(vault, 60);
    const listing = vault.profiles.list();
    vault.close();
    const session = { KEYHOLD_VAULT: vaultDir, KEYHOLD_SESSION: token };
    const floorScript = writeListFloor(dir, listing);

    const cases = {
      floor: ['-e', '0'],
      version: [CLI, '--version'],
      help: [CLI, '--help'],
      list: [CLI, 'profile', 'list', '--json'],
      listUncached: [join(UNCACHED, 'keyhold.js'), 'profile', 'list', '--json'],
      listFloor: [floorScript],
    } as const;
    type Case = keyof typeof cases;
    const names = Object.keys(cases) as Case[];
    const run = (name: Case) => measure([...cases[name]], name === 'list' || name === 'listUncached' ? session : {});
    const samples = Object.fromEntries(names.map((n) => [n, [] as { wall: number; cpu: number }[]])) as Record<Case, { wall: number; cpu: number }[]>;
    for (const name of names) run(name); // warm the file cache
    for (let i = 0; i < RUNS; i++) for (const name of names) samples[name].push(run(name));
    const wallOf = (n: Case) => median(samples[n].map((s) => s.wall));
    const cpuOf = (n: Case) => median(samples[n].map((s) => s.cpu));
    const row = (metric: string, name: Case, factor: number, kind: 'wall' | 'cpu'): Row => {
      const [ms, floor] = kind === 'wall' ? [wallOf(name), wallOf('floor')] : [cpuOf(name), cpuOf('floor')];
      return {
        metric: kind === 'wall' ? metric : `${metric}, CPU time`,
        keyhold: ms,
        baseline: floor,
        unit: 'ms',
        target: `≤ ${factor}× node -e 0`,
        pass: ms <= factor * floor,
      };
    };
    const list = `\`keyhold profile list --json\` with a session, ${N.toLocaleString('en')} profiles`;
    const rows = [
      row(`\`keyhold --version\` (median of ${RUNS} processes)`, 'version', 2, 'wall'),
      row('`keyhold --help`', 'help', 2, 'wall'),
      row(list, 'list', 3, 'wall'),
      {
        metric: `list floor: a Node script that opens SQLite, decrypts one AES-GCM cell holding the ${N.toLocaleString('en')} summaries and prints them as JSON`,
        keyhold: wallOf('listFloor'),
        baseline: wallOf('floor'),
        unit: 'ms',
        target: 'informational',
        pass: true,
      },
      {
        metric: `${list}, without its V8 code cache (every chunk compiled from source) vs with it`,
        keyhold: wallOf('listUncached'),
        baseline: wallOf('list'),
        unit: 'ms',
        target: 'informational',
        pass: true,
      },
      {
        metric: `${list} vs that list floor`,
        keyhold: wallOf('list'),
        baseline: wallOf('listFloor'),
        unit: 'ms',
        target: 'informational',
        pass: true,
      },
    ];
    if (hasTime) rows.push(row('`keyhold --version`', 'version', 2, 'cpu'), row('`keyhold --help`', 'help', 2, 'cpu'), row(list, 'list', 3, 'cpu'));
    report('cli', rows, [
      `Baseline: \`node -e 0\` (median of ${RUNS}), run interleaved with the rows above on the same machine; wall time from start to exit, and the process's CPU time (user + system, from GNU time).`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(UNCACHED, { recursive: true, force: true });
  }
}

/**
 * The least a Node program does to print this listing from an encrypted SQLite file: load the
 * addon, open the database, read and decrypt one cell with the listing, print it as JSON. No
 * argument parser, no schemas, no integrity check, no session to unwrap, no audit: what is left of
 * `keyhold profile list` above this is Keyhold's own per-command work.
 */
function writeListFloor(dir: string, listing: unknown): string {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(listing)), cipher.final()]);
  const dbFile = join(dir, 'floor.sqlite');
  const db = new Database(dbFile);
  db.exec('CREATE TABLE cells (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  db.prepare('INSERT INTO cells (id, body) VALUES (1, ?)').run(body);
  db.close();
  const addon = createRequire(join(ROOT, 'package.json')).resolve('better-sqlite3');
  const script = join(dir, 'list-floor.cjs');
  writeFileSync(
    script,
    [
      `const Database = require(${JSON.stringify(addon)});`,
      `const { createDecipheriv } = require('node:crypto');`,
      `const db = new Database(${JSON.stringify(dbFile)}, { readonly: true, fileMustExist: true });`,
      `const { body } = db.prepare('SELECT body FROM cells WHERE id = 1').get();`,
      `const d = createDecipheriv('aes-256-gcm', Buffer.from(${JSON.stringify(key.toString('hex'))}, 'hex'), Buffer.from(${JSON.stringify(iv.toString('hex'))}, 'hex'));`,
      `d.setAuthTag(Buffer.from(${JSON.stringify(cipher.getAuthTag().toString('hex'))}, 'hex'));`,
      `const items = JSON.parse(Buffer.concat([d.update(body), d.final()]).toString('utf8'));`,
      `db.close();`,
      `process.stdout.write(JSON.stringify(items, null, 2) + '\\n');`,
    ].join('\n'),
  );
  return script;
}
