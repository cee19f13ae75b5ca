import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, keyhold } from '../helpers/cli';
import { cliVault } from './cli-env';
import { flipCell } from './tamper';

// Attack: a keyhold.toml arrives with a clone, a pull or in a shared /tmp. `keyhold run -- npm test`
// in that folder used to inject whatever it listed, so a hostile commit could ask for the vault's
// production keys and hand them to the project's own scripts. Now `run` injects what a keyhold.toml
// lists only while it lists exactly the references its owner trusted, in their vault.

const DEV = 'ghp_dev0123456789abcdefDEV';
const PROD = 'prod-secret-0123456789-PROD';
const GH = 'keyhold://profile/gh/dev/GITHUB_TOKEN';
const AWS = 'keyhold://profile/prod/main/AWS_SECRET';

let v: Awaited<ReturnType<typeof cliVault>>;
let session: string;
const p = (...parts: string[]) => join(v.dir, ...parts);

function project(name: string, toml: string): string {
  const dir = p(name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'keyhold.toml'), toml);
  return dir;
}

/** `keyhold run` from `cwd` (the binary: the nearest keyhold.toml is found from the working directory). */
function runIn(cwd: string, env: Record<string, string> = {}) {
  const marker = join(cwd, 'started');
  rmSync(marker, { force: true });
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, '');process.stdout.write(JSON.stringify([process.env.GITHUB_TOKEN === ${JSON.stringify(DEV)}, process.env.AWS_SECRET === ${JSON.stringify(PROD)}]))`;
  const r = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: session, KEYHOLD_INSECURE_TEST_KDF: '1', ...env },
    timeout: 60_000,
  });
  const stdout = r.stdout.toString();
  const stderr = r.stderr.toString();
  expect(stdout + stderr).not.toContain(DEV);
  expect(stdout + stderr).not.toContain(PROD);
  return { code: r.status, stderr, started: existsSync(marker), injected: r.status === 0 ? (JSON.parse(stdout) as boolean[]) : null };
}

const trusted = async () => (await v.ok(['trust', '--list', '--json'])).json<{ path: string; refs: Record<string, string> }[]>();

beforeAll(async () => {
  v = await cliVault('keyhold-sec-toml-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${DEV}`]);
  await v.ok(['profile', 'add', '--agent', 'prod', '--name', 'main', '--set', `AWS_SECRET=${PROD}`]);
  session = (await v.ok(['unlock', '--raw'])).stdout.trim();
});
afterAll(() => v.cleanup());

describe('a keyhold.toml nobody trusted', () => {
  it('gets no secret: run exits 8 naming the file, and the command never starts', () => {
    const dir = project('fresh-clone', `AWS_SECRET = "${AWS}"\n`);
    const r = runIn(join(dir, 'src'));
    expect(r.code).toBe(8);
    expect(r.started).toBe(false);
    expect(r.stderr).toContain(`${join(dir, 'keyhold.toml')} is not trusted`);
    expect(r.stderr).toContain('run "keyhold trust" from this folder');
  });

  it('is not trusted by a trust that cannot be confirmed (no terminal, no --yes), nor by an invalid file', async () => {
    const dir = project('no-terminal', `GITHUB_TOKEN = "${GH}"\n`);
    const r = await v.run(['trust', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Nothing was trusted');
    expect(r.stdout).toContain(GH);
    expect(runIn(dir).code).toBe(8);

    const bad = project('holds-a-value', `GITHUB_TOKEN = "${DEV}"\n`);
    const refused = await v.run(['trust', '--yes', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).not.toContain(DEV);
    const elsewhere = p('other.toml');
    writeFileSync(elsewhere, `GITHUB_TOKEN = "${GH}"\n`);
    // Under another name it is a template for "keyhold inject", trusted as one, and run never reads it.
    expect((await v.ok(['trust', '--yes', elsewhere])).stdout).toContain('holds 1 reference');
    expect((await trusted()).map((t) => t.path)).not.toContain(join(bad, 'keyhold.toml'));
  });

  it('that is a named pipe (left in a shared folder) is refused at once, not waited on', () => {
    const dir = p('pipe-left-here');
    mkdirSync(dir);
    expect(spawnSync('mkfifo', [join(dir, 'keyhold.toml')]).status).toBe(0);
    const r = runIn(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a regular file');
  });
});

describe('a trusted keyhold.toml', () => {
  it('injects exactly what it lists, from its folder or below; a comment or a new order keeps the trust', async () => {
    const dir = project('trusted', `GITHUB_TOKEN = "${GH}"\n`);
    const t = await v.ok(['trust', '--yes', join(dir, 'keyhold.toml')]);
    expect(t.stdout).toContain('GITHUB_TOKEN');
    expect(runIn(join(dir, 'src')).injected).toEqual([true, false]);
    writeFileSync(join(dir, 'keyhold.toml'), `# dev only\n[env]\nGITHUB_TOKEN = "${GH}"\n`);
    expect(runIn(dir).injected).toEqual([true, false]);
    expect((await v.ok(['trust', '--yes', dir])).stdout).toContain('already trusted');
  });

  it.each([
    [
      'a new reference',
      `GITHUB_TOKEN = "${GH}"\nAWS_SECRET = "${AWS}"\n`,
      'new: AWS_SECRET',
      /^AWS_SECRET +keyhold:\/\/profile\/prod\/main\/AWS_SECRET +new$/m,
    ],
    [
      'another reference for a variable',
      `GITHUB_TOKEN = "${AWS}"\n`,
      'other references for: GITHUB_TOKEN',
      /^GITHUB_TOKEN +keyhold:\/\/profile\/prod\/main\/AWS_SECRET +changed$/m,
    ],
    ['a reference taken out', `# nothing\n`, 'no longer listed: GITHUB_TOKEN', /^GITHUB_TOKEN +keyhold:\/\/profile\/gh\/dev\/GITHUB_TOKEN +removed$/m],
  ])('needs trust again after %s; run says what changed, trust shows it', async (_what, changed, says, shown) => {
    const dir = project(`changed-${says.split(':')[0]!.replace(/ /g, '-')}`, `GITHUB_TOKEN = "${GH}"\n`);
    await v.ok(['trust', '--yes', dir]);
    writeFileSync(join(dir, 'keyhold.toml'), changed);
    const r = runIn(dir);
    expect(r.code).toBe(8);
    expect(r.started).toBe(false);
    expect(r.stderr).toContain(`changed since it was trusted (${says})`);
    expect((await v.run(['trust', dir])).stdout).toMatch(shown);
    await v.ok(['trust', '--yes', dir]);
    expect(runIn(dir).code).toBe(0);
  });

  it('lends nothing to a repository whose keyhold.toml is a link to it', async () => {
    const prod = project('prod-service', `AWS_SECRET = "${AWS}"\n`);
    await v.ok(['trust', '--yes', prod]);
    expect(runIn(prod).injected).toEqual([false, true]);
    const hostile = p('hostile-repo');
    mkdirSync(hostile);
    symlinkSync(join(prod, 'keyhold.toml'), join(hostile, 'keyhold.toml'));
    const r = runIn(hostile);
    expect(r.code).toBe(8);
    expect(r.started).toBe(false);
    expect(r.stderr).toContain(`${join(hostile, 'keyhold.toml')} is not trusted`);
  });
});

describe("trust is the vault owner's", () => {
  it("is kept across a password change, is not another vault's, and ends with --revoke", async () => {
    const dir = project('kept', `GITHUB_TOKEN = "${GH}"\n`);
    await v.ok(['trust', '--yes', dir]);
    // Every cell is encrypted again under a new vault key, and the path's lookup tag recomputed.
    const next = 'another long master password 42';
    expect((await keyhold(['passwd'], { env: { ...v.env, KEYHOLD_NEW_PASSWORD: next } })).code).toBe(0);
    expect((await keyhold(['passwd'], { env: { ...v.env, KEYHOLD_PASSWORD: next, KEYHOLD_NEW_PASSWORD: v.env.KEYHOLD_PASSWORD } })).code).toBe(0);
    session = (await v.ok(['unlock', '--raw'])).stdout.trim();
    expect(runIn(dir).injected).toEqual([true, false]);

    const other = await cliVault('keyhold-sec-toml-other-');
    try {
      await other.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${DEV}`]);
      const otherSession = (await other.ok(['unlock', '--raw'])).stdout.trim();
      expect(runIn(dir, { KEYHOLD_VAULT: other.env.KEYHOLD_VAULT, KEYHOLD_SESSION: otherSession }).code).toBe(8);
    } finally {
      other.cleanup();
    }

    expect((await v.ok(['trust', '--revoke', dir])).stdout).toContain('No longer trusted');
    expect(runIn(dir).code).toBe(8);
    expect((await v.run(['trust', '--revoke', dir])).code).toBe(5);
  });

  it('counts a damaged trust record as none, and trusting again replaces it', async () => {
    const dir = project('damaged', `GITHUB_TOKEN = "${GH}"\n`);
    await v.ok(['trust', '--yes', dir]);
    const before = await trusted();
    flipCell(v.env.KEYHOLD_VAULT, 'trusted_files', 'body', '1 = 1 ORDER BY trusted_at DESC LIMIT 1');
    const r = runIn(dir);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('is damaged, so it counts as not trusted');
    const listed = await v.ok(['trust', '--list', '--json']);
    expect(listed.stderr).toContain('1 damaged trust record could not be read');
    expect(listed.json<unknown[]>()).toHaveLength(before.length - 1);
    await v.ok(['trust', '--yes', dir]);
    expect(runIn(dir).injected).toEqual([true, false]);
    expect((await v.ok(['trust', '--list', '--json'])).stderr).toBe('');
  });

  it('two trusts of one file at once leave one record', async () => {
    const dir = project('raced', `GITHUB_TOKEN = "${GH}"\n`);
    const env = { PATH: process.env.PATH ?? '', KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: session, KEYHOLD_INSECURE_TEST_KDF: '1' };
    const once = () =>
      new Promise<number | null>((resolve) => spawn(process.execPath, [CLI, 'trust', '--yes', dir], { env, stdio: 'ignore' }).on('close', resolve));
    expect(await Promise.all([once(), once(), once()])).toEqual([0, 0, 0]);
    expect((await trusted()).filter((t) => t.path === join(dir, 'keyhold.toml'))).toHaveLength(1);
  });
});
