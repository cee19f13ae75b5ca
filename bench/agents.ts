import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { ALL_RULES_PATTERN } from '../src/core/agents';
import { createSession } from '../src/core/vault/sessions';
import { Vault } from '../src/core/vault/vault';
import { redactionMask } from '../src/core/devflow/redact';
import { FAST_KDF, median, PASSWORD, report, time, type Row } from './harness';
import { lookalike, randomChars } from '../test/helpers/lookalike';

/** The names `formatOf` accepts, as ripgrep globs. */
const SCANNED_GLOBS = [
  '.env',
  '.env.*',
  '*.env',
  '*.json',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!composer.json',
  '*.toml',
  '!keyhold.toml',
  '*.yaml',
  '*.yml',
  '*.ini',
  '*.cfg',
  '*.conf',
  '*.properties',
  '*.sh',
  '*.bash',
  '*.zsh',
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.profile',
  '.zshrc',
  '.zprofile',
  '.zshenv',
  '.envrc',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  'credentials',
  '.yarnrc',
  '.yarnrc.yml',
];

const CLI = join(import.meta.dirname, '../out/cli/keyhold.js');

function hasRipgrep(): boolean {
  return spawnSync('rg', ['--version']).status === 0;
}

interface ProcessRun {
  env?: Record<string, string>;
  stdinFile?: string;
  okCodes?: number[];
}

/** Wall time of one run of a child process, its output sent to /dev/null. */
function runOnce(command: string, args: string[], options: ProcessRun): number {
  const stdin = options.stdinFile ? openSync(options.stdinFile, 'r') : 'ignore';
  const t = performance.now();
  const r = spawnSync(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: [stdin, 'ignore', 'pipe'],
    maxBuffer: 1 << 20,
  });
  const ms = performance.now() - t;
  if (typeof stdin === 'number') closeSync(stdin);
  if (!(options.okCodes ?? [0]).includes(r.status ?? -1)) throw new Error(`${command} ${args[0]} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`);
  return ms;
}

/** Wall time of a child process; median of `runs` after one warm-up. */
function timeProcess(command: string, args: string[], options: ProcessRun & { runs?: number }): number {
  runOnce(command, args, options);
  return median(Array.from({ length: options.runs ?? 3 }, () => runOnce(command, args, options)));
}

/**
 * Two commands timed in turn (A, B, A, B…) after a warm-up of each, so that load from other work
 * on a shared machine falls on both alike; the median of each.
 */
function timeAlternating(a: [string, string[], ProcessRun], b: [string, string[], ProcessRun], runs: number): [number, number] {
  runOnce(...a);
  runOnce(...b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(runOnce(...a));
    bs.push(runOnce(...b));
  }
  return [median(as), median(bs)];
}

/**
 * A tree shaped like a folder of projects: 200 projects × 500 files (sources, docs, configs, a .env,
 * a gitignored node_modules and dist), with look-alike keys planted in some .env and config files.
 */
function makeTree(root: string, files: number): { planted: number } {
  const perProject = 500;
  let planted = 0;
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}: ${randomChars(40)} value=${i}`).join('\n');
  const body = filler(8);
  for (let p = 0; p < files / perProject; p++) {
    const dir = join(root, `project-${p}`);
    for (const sub of ['src', 'docs', 'config', 'node_modules/pkg', 'dist']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\ndist/\n');
    writeFileSync(join(dir, '.env'), `PORT=3000\nGITHUB_TOKEN=${lookalike.github()}\n`);
    planted++;
    let n = 2;
    const put = (path: string, text: string) => {
      writeFileSync(join(dir, path), text);
      n++;
    };
    for (let i = 0; i < 20; i++)
      put(
        `config/settings-${i}.json`,
        JSON.stringify({ name: `s${i}`, ...(i === 0 ? { apiKey: lookalike.stripe() } : {}), note: body.slice(0, 200) }, null, 2),
      );
    planted++;
    for (let i = 0; i < 10; i++) put(`config/deploy-${i}.yaml`, `name: d${i}\nregion: eu-west-1\n${i === 0 ? `aws_key: ${lookalike.aws()}\n` : ''}`);
    planted++;
    for (let i = 0; i < 30; i++) put(`node_modules/pkg/file-${i}.js`, body);
    for (let i = 0; i < 20; i++) put(`dist/out-${i}.js`, body);
    for (let i = 0; i < 100; i++) put(`docs/page-${i}.md`, body);
    while (n < perProject) put(`src/module-${n}.ts`, `export const x${n} = ${JSON.stringify(body.slice(0, 300))};\n`);
  }
  return { planted };
}

export async function benchScan(): Promise<void> {
  if (!hasRipgrep()) throw new Error('The scan benchmark compares with ripgrep: install it (apt-get install ripgrep).');
  await build({ configFile: join(import.meta.dirname, '../vite.cli.config.ts'), logLevel: 'warn' });
  const root = mkdtempSync(join(tmpdir(), 'keyhold-bench-scan-'));
  try {
    const FILES = 100_000;
    const { planted } = makeTree(root, FILES);
    const keyhold = timeProcess(process.execPath, [CLI, 'scan', '--no-well-known', '--json', root], { okCodes: [1] });
    // The same patterns over the same tree, honouring .gitignore and reading hidden files (.env), as scan does.
    const rg = timeProcess('rg', ['--hidden', '--no-messages', '--line-number', '--only-matching', '-e', ALL_RULES_PATTERN, root], { okCodes: [0] });
    // The same again, ripgrep told to read only the files scan reads (by the same names).
    const rgSameFiles = timeProcess(
      'rg',
      ['--hidden', '--no-messages', '--line-number', '--only-matching', ...SCANNED_GLOBS.flatMap((g) => ['-g', g]), '-e', ALL_RULES_PATTERN, root],
      { okCodes: [0] },
    );
    const metric = `scan a ${FILES.toLocaleString('en')}-file tree (${planted} planted keys)`;
    const rows: Row[] = [
      { metric, keyhold, baseline: rg, unit: 'ms', target: '≤ 3× rg', pass: keyhold <= 3 * rg },
      { metric: `${metric}, rg reading only the same file names`, keyhold, baseline: rgSameFiles, unit: 'ms', target: 'informational', pass: true },
    ];
    report('scan', rows, [
      'Baseline: `rg --hidden --line-number --only-matching -e <the same key patterns>` on the same tree (ripgrep honours .gitignore too); the second row limits ripgrep with -g globs to the file names scan reads. Keyhold is the built CLI, Node start-up included; it reads only files whose names can hold keys, and parses JSON, TOML and .env files to report paths and variable names.',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchRedact(): Promise<void> {
  if (!hasRipgrep()) throw new Error('The redact benchmark compares with ripgrep: install it (apt-get install ripgrep).');
  await build({ configFile: join(import.meta.dirname, '../vite.cli.config.ts'), logLevel: 'warn' });
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-redact-'));
  try {
    const VALUES = 1000;
    const values = Array.from({ length: VALUES }, () => `tok_${randomBytes(18).toString('base64url')}`);
    const vault = await Vault.create(join(dir, 'vault'), PASSWORD, { kdf: FAST_KDF });
    const perProfile = 100;
    vault.profiles.createMany(
      Array.from({ length: VALUES / perProfile }, (_, p) => ({
        agentId: 'bench',
        name: `p${p}`,
        authData: Object.fromEntries(values.slice(p * perProfile, (p + 1) * perProfile).map((v, i) => [`KEY_${i}`, v])),
      })),
    );
    const { token } = createSession(vault, 60);
    vault.close();

    // 100 MB of log-like lines; one line in 50 carries a vault value.
    const input = join(dir, 'input.txt');
    const fd = openSync(input, 'w');
    const SIZE = 100 * 1024 * 1024;
    let written = 0;
    let line = 0;
    while (written < SIZE) {
      const chunk: string[] = [];
      for (let i = 0; i < 1000; i++, line++) {
        chunk.push(
          line % 50 === 0
            ? `2026-12-03T08:00:00Z INFO request ${line} auth=${values[line % VALUES]} ok`
            : `2026-12-03T08:00:00Z INFO request ${line} path=/api/v1/items/${line} took=${line % 97}ms user=u${line % 1000}`,
        );
      }
      const text = `${chunk.join('\n')}\n`;
      writeSync(fd, text);
      written += Buffer.byteLength(text);
    }
    closeSync(fd);
    const literals = join(dir, 'literals.txt');
    writeFileSync(literals, `${values.join('\n')}\n`);

    const env = { KEYHOLD_VAULT: join(dir, 'vault'), KEYHOLD_SESSION: token };
    const rgArgs = ['--passthru', '--no-config', '-F', '-f', literals, '--replace', '<concealed by keyhold>'];
    const [keyhold, rg] = timeAlternating([process.execPath, [CLI, 'redact'], { env, stdinFile: input }], ['rg', rgArgs, { stdinFile: input }], 5);
    // Where Keyhold's time goes: what it spends before the first byte (Node, the CLI, unlock, the
    // matcher), and the matcher alone on the same bytes in this process.
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    // ripgrep exits 1 when it finds nothing.
    const [startup, rgStartup] = timeAlternating(
      [process.execPath, [CLI, 'redact'], { env, stdinFile: empty }],
      ['rg', rgArgs, { stdinFile: empty, okCodes: [1] }],
      5,
    );
    const nodeStartup = timeProcess(process.execPath, ['-e', '0'], {});
    const build = median(Array.from({ length: 3 }, () => time(() => redactionMask(values)).ms));
    const mask = redactionMask(values);
    const bytes = readFileSync(input);
    const filter = median(
      Array.from({ length: 3 }, () => {
        // The masker writes over the chunks it is handed, as in the CLI: fresh copies each time.
        const chunks = Array.from({ length: Math.ceil(bytes.length / (1 << 20)) }, (_, i) => Buffer.from(bytes.subarray(i << 20, (i + 1) << 20)));
        return time(() => {
          const masker = mask.createMasker();
          for (const chunk of chunks) masker.write(chunk);
          masker.end();
        }).ms;
      }),
    );
    const mb = (written / (1024 * 1024)).toFixed(0);
    const metric = `redact ${mb} MB with ${VALUES.toLocaleString('en')} vault values`;
    report(
      'redact',
      [
        { metric, keyhold, baseline: rg, unit: 'ms', target: '≤ 2× rg', pass: keyhold <= 2 * rg },
        {
          metric: 'the same on empty input (start, unlock, read values, build the matcher)',
          keyhold: startup,
          baseline: rgStartup,
          unit: 'ms',
          target: 'informational',
          pass: true,
        },
        { metric: '`node -e 0` beside it (Node alone)', keyhold: nodeStartup, baseline: rgStartup, unit: 'ms', target: 'informational', pass: true },
        {
          metric: `in-process: build the matcher for ${VALUES.toLocaleString('en')} values (warm)`,
          keyhold: build,
          baseline: 0,
          unit: 'ms',
          target: 'informational',
          pass: true,
        },
        {
          metric: `in-process: the matcher alone on the ${mb} MB, 1 MiB chunks`,
          keyhold: filter,
          baseline: rg - rgStartup,
          unit: 'ms',
          target: 'informational',
          pass: true,
        },
      ],
      [
        "Baseline: `rg --passthru -F -f LITERALS --replace MASK` reading the same file on standard input. Keyhold is the built CLI with a session (open, unlock, read 1,000 values), and it conceals each value's base64, base64url, hex and URL-encoded forms too (8 patterns per value here), which ripgrep is not asked to. The last row's baseline is ripgrep's whole run less its run on empty input.",
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
