import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { PASSWORD, tempDir } from '../helpers/vault';
import { writeWithFolders as write } from '../helpers/write-with-folders';

// Attack: a profile is named after the MCP server (SERVER/mcp) or the folder (FOLDER/local) its
// values came from. A cloned repository's .mcp.json with a server also named "github" (its command:
// the repository's own tools/mcp-server.js), wrapped by a person who had wrapped their own github
// server, added the clone's key to the person's github/mcp and rewrote the clone's server to
// `keyhold run --profile github/mcp -- node tools/mcp-server.js`: the clone's code then ran with the
// person's GitHub token. `scan --import` did the same with two folders of one name. Values from a
// file now go into an existing profile only if the file holds everything the profile holds, and a
// file found outside a server's config has a profile of its own (FOLDER/FILE-TAG).

let t: ReturnType<typeof tempDir>;
let env: Record<string, string>;
const MINE = lookalike.github();
const STRIPE = lookalike.stripe();

const mcpConfig = (command: string, values: Record<string, string>) => JSON.stringify({ mcpServers: { github: { command, args: [], env: values } } }, null, 2);
const keysOf = async (ref: string) => (JSON.parse((await keyhold(['profile', 'show', ref, '--json'], { env })).stdout) as { keys: string[] }).keys;

beforeAll(async () => {
  t = tempDir('keyhold-sec-clone-joins-');
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1', HOME: join(t.dir, 'home') };
  mkdirSync(env.HOME as string);
  expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env })).code).toBe(0);
  const mine = write(join(t.dir, 'home', '.cursor', 'mcp.json'), mcpConfig('npx', { GITHUB_PERSONAL_ACCESS_TOKEN: MINE }));
  const r = await keyhold(['mcp', 'wrap', mine], { env });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => t.cleanup());

describe("a clone's config with a server of the same name", () => {
  it('is not wrapped into your profile: nothing stored, the file and your profile unchanged', async () => {
    const text = mcpConfig('node', { PROJECT_API_KEY: lookalike.generic() });
    const clone = write(join(t.dir, 'clone', '.mcp.json'), text);
    const r = await keyhold(['mcp', 'wrap', clone], { env });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('Profile github/mcp already holds GITHUB_PERSONAL_ACCESS_TOKEN, which the server "github" here does not set');
    expect(readFileSync(clone, 'utf8')).toBe(text);
    expect(existsSync(`${clone}.keyhold-backup`)).toBe(false);
    expect(await keysOf('github/mcp')).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN']);
  });

  it('a config that holds what the profile holds (the same server elsewhere) is still wrapped into it', async () => {
    const other = write(join(t.dir, 'home', '.claude.json'), mcpConfig('npx', { GITHUB_PERSONAL_ACCESS_TOKEN: MINE, GITHUB_APP_TOKEN: lookalike.github() }));
    const r = await keyhold(['mcp', 'wrap', other], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await keysOf('github/mcp')).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN', 'GITHUB_APP_TOKEN']);
  });
});

// The profile of a file's values is its own (src/core/agents/import.ts, fileProfileName): FOLDER/FILE-TAG.
const profileOf = (stdout: string, file: string) =>
  /^profile (\S+) /.exec(
    (JSON.parse(stdout) as { findings: { file: string; import: { target: string } }[] }).findings.find((f) => f.file === file)!.import.target,
  )![1]!;

describe('scan --import from two folders of one name', () => {
  let own = '';

  it("puts the clone's values in a profile of their own, never in the one your folder filled", async () => {
    const ownEnv = write(join(t.dir, 'code', 'api', '.env'), `STRIPE_SECRET_KEY=${STRIPE}\n`);
    const first = await keyhold(['scan', '--no-well-known', ownEnv, '--import', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    own = profileOf(first.stdout, ownEnv);
    expect(await keysOf(own)).toEqual(['STRIPE_SECRET_KEY']);

    const cloneEnv = write(join(t.dir, 'clones', 'api', '.env'), `PROXY_TOKEN=${lookalike.github()}\n`);
    const r = await keyhold(['scan', '--no-well-known', cloneEnv, '--import', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const clone = profileOf(r.stdout, cloneEnv);
    expect(clone).not.toBe(own);
    expect(await keysOf(own)).toEqual(['STRIPE_SECRET_KEY']);
    expect(await keysOf(clone)).toEqual(['PROXY_TOKEN']);
  });

  it('takes a new key from the file that filled the profile', async () => {
    const ownEnv = write(join(t.dir, 'code', 'api', '.env'), `STRIPE_SECRET_KEY=${STRIPE}\nDEPLOY_TOKEN=${lookalike.github()}\n`);
    const r = await keyhold(['scan', '--no-well-known', ownEnv, '--import'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await keysOf(own)).toEqual(['STRIPE_SECRET_KEY', 'DEPLOY_TOKEN']);
  });
});

describe("scan --import of a clone's config with a server of the same name", () => {
  it('leaves its values out of the profile your server filled, and says why', async () => {
    const clone = write(join(t.dir, 'clone-import', '.mcp.json'), mcpConfig('node', { PROJECT_API_KEY: lookalike.generic() }));
    const r = await keyhold(['scan', '--no-well-known', clone, '--import'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'github/mcp holds GITHUB_PERSONAL_ACCESS_TOKEN, GITHUB_APP_TOKEN, which this file does not: its values stay out of a profile it did not fill.',
    );
    expect(await keysOf('github/mcp')).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN', 'GITHUB_APP_TOKEN']);
  });

  it('fills a new profile from one file per import', async () => {
    const serve = (values: Record<string, string>) => JSON.stringify({ mcpServers: { web: { command: 'npx', env: values } } }, null, 2);
    const a = write(join(t.dir, 'one', '.mcp.json'), serve({ WEB_TOKEN: lookalike.github() }));
    const b = write(join(t.dir, 'two', '.mcp.json'), serve({ OTHER_TOKEN: lookalike.github() }));
    const r = await keyhold(['scan', '--no-well-known', a, b, '--import', '--json'], { env });
    expect(r.code).toBe(1);
    const outcomes = (JSON.parse(r.stdout) as { findings: { file: string; import: { result: string; reason?: string } }[] }).findings;
    expect(outcomes.find((f) => f.file === a)?.import.result).toBe('imported');
    expect(outcomes.find((f) => f.file === b)?.import).toEqual({
      result: 'conflict',
      target: 'profile web/mcp OTHER_TOKEN',
      reason: `web/mcp takes values from ${a} in this import, not from another file as well.`,
    });
    expect(await keysOf('web/mcp')).toEqual(['WEB_TOKEN']);
  });
});
