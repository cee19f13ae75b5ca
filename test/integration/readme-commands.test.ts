import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { CLI, keyhold } from '../helpers/cli';
import { servers } from '../helpers/sync';
import { PASSWORD, tempDir } from '../helpers/vault';

/*
 * Every ```sh block of the README that can run here runs as written, in bash, against the built
 * binary on PATH as `keyhold`, in a scratch home and working directory. The blocks that cannot
 * are listed with the reason; a new block must be added to one list or the other.
 */
const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const blocks = [...README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
const firstLine = (block: string) => block.split('\n')[0] ?? '';

const NOT_RUN: Record<string, string> = {
  'npm install && npm start': 'installs packages and opens the desktop app',
  'ELECTRON_SKIP_BINARY_DOWNLOAD=1': 'installs packages (this is what .ci/run does)',
  'source <(keyhold completion bash)': 'also zsh and fish lines; the completion scripts are run in cli-devflow.test.ts',
  'keyhold identity ': "its age1… and signing-key arguments are placeholders for a teammate's keys",
  'npm run lint': 'the development commands themselves',
  'keyhold scan ~/code': "scans the reader's own projects and agent configs; scan, import and mcp wrap are run in cli-agents.test.ts",
  'cd my-agent/src && keyhold trust': 'needs a project with a keyhold.toml and a terminal; trust and run are run in keyhold-toml-from-a-clone.test.ts',
};
const notRun = (block: string) => Object.keys(NOT_RUN).find((start) => firstLine(block).startsWith(start));
// The example creates what the other blocks use (crm-bot/prod, the claude-code key), so it runs first.
const EXAMPLE = 'export KEYHOLD_VAULT=~/keyhold-demo';
const runnable = blocks.filter((b) => notRun(b) === undefined).sort((a, b) => Number(firstLine(b) === EXAMPLE) - Number(firstLine(a) === EXAMPLE));

let t: ReturnType<typeof tempDir>;
let s: Awaited<ReturnType<typeof servers>>;
let home: string;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = tempDir('keyhold-readme-');
  s = await servers();
  home = join(t.dir, 'home');
  work = join(t.dir, 'work');
  const bin = join(t.dir, 'bin');
  for (const dir of [home, work, bin]) mkdirSync(dir);
  const script = (path: string, text: string) => {
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  };
  script(join(bin, 'keyhold'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  script(join(bin, 'pbpaste'), `#!/bin/sh\nprintf '%s' 'sk-ant-api03-${'r'.repeat(40)}d00d'\n`);
  // What the examples run: an agent that prints what it was given.
  writeFileSync(join(work, 'agent.js'), 'console.log(`USERNAME=${process.env.USERNAME} PASSWORD=${process.env.PASSWORD}`);\n');
  script(join(work, 'agent'), '#!/bin/sh\necho "agent sees session: ${KEYHOLD_SESSION:-none}, user: $USERNAME"\n');
  writeFileSync(join(work, '.env.staging'), 'API_URL=https://staging.example\nAPI_TOKEN="tok staging"\n');
  writeFileSync(join(work, '.env.rotated'), 'API_TOKEN=tok-rotated\n');
  env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    KEYHOLD_VAULT: join(home, 'keyhold-demo'),
    KEYHOLD_PASSWORD: PASSWORD,
    CRM_PASSWORD: 'crm-password-from-env',
  };
});
afterAll(async () => {
  await s.close();
  t.cleanup();
});

/** Runs a block in bash without blocking this process: the fake Kura and Backside live here. */
function bash(block: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', block], { cwd: work, env, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/**
 * What a reader with a Kura and a Backside does after the example: connect and sync, so the
 * blocks that read the profile's Kura token (keyhold://token/…) find one. Not a README block.
 */
async function connectAndSync(): Promise<void> {
  const run = async (args: string[], input?: string) => {
    const r = await keyhold(args, { env, ...(input === undefined ? {} : { input }) });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  };
  await run(['remote', 'set', 'kura', '--url', s.kura.url, '--api-key-stdin'], KURA_TEST_API_KEY);
  await run(['remote', 'set', 'backside', '--url', s.backside.url, '--token-stdin'], BACKSIDE_TEST_TOKEN);
  await run(['sync']);
}

describe('the README', () => {
  it('has a decision for each shell block: run here, or a reason not to', () => {
    expect(blocks.length).toBeGreaterThan(5);
    expect(runnable.map(firstLine)).toEqual([
      EXAMPLE,
      'keyhold run --profile crm-bot/prod --byok claude-code -- node agent.js --verbose',
      "cat > config.yml.tpl <<'TPL'",
      'keyhold profile add --agent web-bot --name staging --from-env .env.staging',
      'eval "$(keyhold unlock --expires 480 --profile crm-bot/prod --byok claude-code)"',
      'eval "$(keyhold unlock --expires 60)"     # asks once',
    ]);
  });

  // About 20 processes, several deriving the README's default KDF (Argon2id, 64 MiB).
  it('runs each of those blocks as written, in order', async () => {
    const outputs: string[] = [];
    for (const block of runnable) {
      const r = await bash(block);
      expect(r.status, `${firstLine(block)}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
      if (firstLine(block) === EXAMPLE) await connectAndSync();
    }
    const [example, run, , , scoped, sessions] = outputs;
    expect(example).toMatch(/PASSWORD = ••••••••/);
    expect(example).toMatch(/Chain verified/);
    // "ann" is shorter than the 4 characters masking starts at (README, "keyhold run").
    expect(run).toBe('USERNAME=ann PASSWORD=<concealed by keyhold>\n');
    expect(sessions).toMatch(/agent sees session: none, user: ann/);
    expect(scoped).toMatch(/agent sees session: none, user: ann\nrefused \(exit 9\): this session holds crm-bot\/prod and claude-code only\n/);
    expect(statSync(join(work, 'config.yml')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, 'config.yml'), 'utf8')).toContain('password: "crm-password-from-env"');
    const token = s.kura.profile('crm-bot', 'prod')?.token;
    expect(token).toBeTruthy();
    expect(readFileSync(join(work, 'config.yml'), 'utf8')).toContain(`kura_token: ${token}`);
    expect(statSync(join(work, '.env.local')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, '.env.local'), 'utf8')).toMatch(/API_TOKEN=.*tok-rotated/);
    expect(readFileSync(join(work, '.env.local'), 'utf8')).toMatch(/DEBUG=.*1/);
  }, 180_000);
});
