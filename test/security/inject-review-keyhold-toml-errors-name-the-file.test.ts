import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { cliVault } from './cli-env';

// A tired user runs `keyhold run -- npm test` in a project's subfolder, and the nearest keyhold.toml
// is one in a folder above, perhaps far above (a home folder, a shared /tmp). When that file was
// invalid, the error said only "keyhold.toml is not valid TOML: Error parsing TOML (1, 7):", so the
// person looked for a keyhold.toml where they were and found none. Each error about the file's
// content now names the file by its path; the value in a line that is not a reference is still
// never repeated.

const VALUE = 'ghp_value0123456789written-by-mistake';

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-toml-where-');
});
afterAll(() => v.cleanup());

/** `keyhold run` in `cwd`; nothing starts, so its stderr is Keyhold's. */
function runIn(cwd: string) {
  const r = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', ''], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...v.env },
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr.toString() };
}

describe('a keyhold.toml in a folder above, with something wrong in it', () => {
  it('is named by its path in every error about its content, from the subfolder run is started in', () => {
    const root = join(v.dir, 'project');
    const deep = join(root, 'packages', 'app', 'src');
    mkdirSync(deep, { recursive: true });
    const file = join(root, 'keyhold.toml');
    const cases: [string, string][] = [
      ['GITHUB_TOKEN = "keyhold://byok/x\n', `${file} is not valid TOML: Error parsing TOML (1, 33).`],
      [`GITHUB_TOKEN = "${VALUE}"\n`, `${file}: "GITHUB_TOKEN" must be a keyhold:// reference; the file holds references only, never values.`],
      ['A = "keyhold://byok/x"\n[env]\nB = "keyhold://byok/y"\n', `${file} lists "A" above its [env] table`],
      ['KEYHOLD_SESSION = "keyhold://byok/x"\n', `${file}: "KEYHOLD_SESSION" is a variable of Keyhold itself`],
    ];
    for (const [toml, message] of cases) {
      writeFileSync(file, toml);
      const r = runIn(deep);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`keyhold: ${message}`);
      expect(r.stderr).not.toContain(VALUE);
    }
  });

  it('trust names it the same way', async () => {
    const root = join(v.dir, 'trusting');
    mkdirSync(root);
    writeFileSync(join(root, 'keyhold.toml'), '[env\n');
    const r = await v.run(['trust', '--yes', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`keyhold: ${join(root, 'keyhold.toml')} is not valid TOML: Error parsing TOML (1, 5).\n`);
  });
});
