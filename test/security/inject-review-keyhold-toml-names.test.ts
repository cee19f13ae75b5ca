import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// The names a keyhold.toml gives its variables.
// - "__proto__": the TOML parser keeps the member, but the object the references were copied into
//   dropped it without a word, so `trust` showed (and `run` injected) one variable fewer than the
//   file lists. It is refused now, as in a profile or a .env file.
// - A name that changes how a program runs (NODE_OPTIONS, LD_PRELOAD, PATH, BASH_ENV, in any case):
//   the file chooses the name and the vault the value, so a trusted file that maps a teammate's
//   harmless-looking value to NODE_OPTIONS would have the program run their code. `run` refuses it
//   unless allowed for that run (checked here; no fix was needed).

const VALUE = '--require ./team-hook.js';

let v: Awaited<ReturnType<typeof cliVault>>;
let session: string;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-toml-names-');
  await v.ok(['profile', 'add', '--agent', 'team', '--name', 'shared', '--set', `HOOK=${VALUE}`, '--set', 'TOKEN=toml-names-token-0123']);
  session = (await v.ok(['unlock', '--raw'])).stdout.trim();
});
afterAll(() => v.cleanup());

function project(name: string, toml: string): string {
  const dir = join(v.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'keyhold.toml'), toml);
  return dir;
}

/** `keyhold run` in `dir` (the binary: the keyhold.toml is found from the working directory). */
function runIn(dir: string, extra: string[] = []) {
  const marker = join(dir, 'started');
  rmSync(marker, { force: true });
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, JSON.stringify(process.env))`;
  const r = spawnSync(process.execPath, [CLI, 'run', ...extra, '--', process.execPath, '-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: session, KEYHOLD_INSECURE_TEST_KDF: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr.toString(), started: existsSync(marker) };
}

describe('a keyhold.toml variable named "__proto__"', () => {
  it('is refused by trust and run, naming it, at the top level and in [env]; nothing is trusted', async () => {
    for (const [name, toml] of [
      ['top', `"__proto__" = "keyhold://profile/team/shared/TOKEN"\nB = "keyhold://profile/team/shared/TOKEN"\n`],
      ['in-env', `[env]\n"__proto__" = "keyhold://profile/team/shared/TOKEN"\n`],
    ] as const) {
      const dir = project(`proto-${name}`, toml);
      const r = await v.run(['trust', '--yes', dir]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('keyhold.toml lists "__proto__", a name Keyhold cannot hold as a variable; rename or remove it.');
      expect(r.stdout).not.toContain('Trusted');
      const run = runIn(dir);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('"__proto__"');
      expect(run.started).toBe(false);
    }
    const listed = (await v.ok(['trust', '--list', '--json'])).json<{ path: string }[]>();
    expect(listed.filter((t) => t.path.includes('proto-'))).toEqual([]);
  });
});

describe('a trusted keyhold.toml that names a variable which runs code', () => {
  it('starts nothing without --allow-env for that name, in any case; with it, the value is set', async () => {
    for (const name of ['NODE_OPTIONS', 'LD_PRELOAD', 'PATH', 'BASH_ENV', 'node_options', 'Path']) {
      const dir = project(`dangerous-${name}`, `${name} = "keyhold://profile/team/shared/HOOK"\n`);
      await v.ok(['trust', '--yes', dir]);
      const r = runIn(dir);
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.started).toBe(false);
      expect(r.stderr).toContain(`has a key that would change how a program loads or runs when injected as environment variables: "${name}"`);
      expect(r.stderr).not.toContain(VALUE);
    }
    // Allowed by name for the run, it is the person's choice: NODE_OPTIONS would load the hook, so a
    // harmless one of its names stands for it.
    const dir = project('allowed', `BASH_ENV = "keyhold://profile/team/shared/HOOK"\n`);
    await v.ok(['trust', '--yes', dir]);
    expect(runIn(dir, ['--allow-env', 'BASH_ENV']).code).toBe(0);
  });
});
