import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MASK } from '../../src/core/devflow/mask';
import { Vault } from '../../src/core/vault/vault';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { keyhold } from '../helpers/cli';
import { servers } from '../helpers/sync';
import { PASSWORD, tempDir } from '../helpers/vault';

// In-process (main with its own io): the fakes living here keep answering while a command awaits them.
const run = (args: string[], input = '') => keyhold(args, { env, input });
async function ok(args: string[], input = ''): Promise<{ stdout: string; stderr: string }> {
  const r = await run(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;
const node = process.execPath;

let t: ReturnType<typeof tempDir>;
let s: Awaited<ReturnType<typeof servers>>;
let env: Record<string, string>;
let token: string;

/** Token reads recorded in the audit log, read with the core directly. */
async function tokenReads(): Promise<number> {
  const vault = Vault.open(env.KEYHOLD_VAULT as string);
  try {
    await vault.unlock(PASSWORD);
    return vault.audit.list({ event: 'secret_revealed' }).filter((e) => e.detail.token === true).length;
  } finally {
    vault.close();
  }
}

beforeAll(async () => {
  t = tempDir('keyhold-cli-token-');
  s = await servers();
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  await ok(['init', '--kdf-memory', '1', '--kdf-iterations', '1']);
  await ok(['remote', 'set', 'kura', '--url', s.kura.url, '--api-key-stdin'], KURA_TEST_API_KEY);
  await ok(['remote', 'set', 'backside', '--url', s.backside.url, '--token-stdin'], BACKSIDE_TEST_TOKEN);
  await ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_USER=ann-user-1234']);
  await ok(['profile', 'add', '--agent', 'crm', '--name', 'offline', '--set', 'API_USER=bob-user-5678', '--draft']);
  await ok(['sync']);
  token = s.kura.profile('crm', 'prod')?.token as string;
  expect(token).toBeTruthy();
});
afterAll(async () => {
  await s.close();
  t.cleanup();
});

describe('keyhold profile token', () => {
  it('prints the token alone, newline-terminated, and --json gives ref, token, agent, name and time; each read is audited', async () => {
    const before = await tokenReads();
    expect((await ok(['profile', 'token', 'crm/prod'])).stdout).toBe(`${token}\n`);
    const j = json<Record<string, unknown>>(await ok(['profile', 'token', 'crm/prod', '--json']));
    expect(Object.keys(j).sort()).toEqual(['agentId', 'authToken', 'name', 'obtainedAt', 'ref']);
    expect(j).toMatchObject({ ref: 'crm/prod', authToken: token, agentId: 'crm', name: 'prod' });
    expect(Number.isNaN(Date.parse(j.obtainedAt as string))).toBe(false);
    expect(await tokenReads()).toBe(before + 2);
  });

  it('exits 5 with the reason when there is no token', async () => {
    const r = await run(['profile', 'token', 'crm/offline']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/"crm\/offline" has no Kura token yet: it has never been synced \(it is a draft\)/);
  });

  it('profile show masks the token and shows it with --reveal; --json carries it only when revealed', async () => {
    const shown = await ok(['profile', 'show', 'crm/prod']);
    expect(shown.stdout).toMatch(/\nkura token: {4}•+\ntoken from: {4}\d{4}-/);
    expect(shown.stdout).not.toContain(token);
    expect(json<Record<string, unknown>>(await ok(['profile', 'show', 'crm/prod', '--json']))).not.toHaveProperty('authToken');
    expect((await ok(['profile', 'show', 'crm/prod', '--reveal'])).stdout).toContain(`kura token:    ${token}`);
    expect(json<Record<string, unknown>>(await ok(['profile', 'show', 'crm/prod', '--reveal', '--json'])).authToken).toBe(token);
  });
});

describe('run and inject', () => {
  it('run injects the token as KURA_AUTH_TOKEN, masked in the output like every injected secret; the read is audited once', async () => {
    const before = await tokenReads();
    const r = await run(['run', '--profile', 'crm/prod', '--', node, '-e', 'console.log("t=" + process.env.KURA_AUTH_TOKEN + " u=" + process.env.API_USER)']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`t=${DEFAULT_MASK} u=${DEFAULT_MASK}\n`);
    expect(await tokenReads()).toBe(before + 1);
    const raw = await run(['run', '--profile', 'crm/prod', '--no-mask', '--', node, '-e', 'console.log(process.env.KURA_AUTH_TOKEN)']);
    expect(raw.stdout).toBe(`${token}\n`);
  });

  it('the variable is named per agent with agent set --token-env, checked as an environment variable name', async () => {
    const bad = await run(['agent', 'set', 'crm', '--token-env', '9-BAD']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"9-BAD" is not a valid environment variable name/);
    const set = await ok(['agent', 'set', 'crm', '--token-env', 'CRM_TOKEN', '--json']);
    expect(json(set)).toMatchObject({ agentId: 'crm', args: null, tokenEnv: 'CRM_TOKEN' });
    const r = await run([
      'run',
      '--profile',
      'crm/prod',
      '--no-mask',
      '--',
      node,
      '-e',
      'console.log(process.env.CRM_TOKEN + "|" + (process.env.KURA_AUTH_TOKEN ?? "unset"))',
    ]);
    expect(r.stdout).toBe(`${token}|unset\n`);
    // Undeclared arguments stay undeclared: any key is still accepted.
    await ok(['profile', 'edit', 'crm/offline', '--set', 'NEW_KEY=x']);
    await ok(['agent', 'set', 'crm', '--token-env', '']);
    expect((await ok(['agent', 'list'])).stdout).toMatch(/crm\s+\(not declared\)\s+KURA_AUTH_TOKEN/);
  });

  it('a profile without a token still runs, with no token variable', async () => {
    const r = await run(['run', '--profile', 'crm/offline', '--no-mask', '--', node, '-e', 'console.log(process.env.KURA_AUTH_TOKEN ?? "unset")']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('unset\n');
  });

  it('inject resolves keyhold://token/AGENT_ID/NAME beside profile references', async () => {
    const r = await run(['inject', '-i', '-'], 'T={{ keyhold://token/crm/prod }}\nU=keyhold://profile/crm/prod/API_USER\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`T=${token}\nU=ann-user-1234\n`);
    const none = await run(['inject', '-i', '-'], 'T=keyhold://token/crm/offline\n');
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/never been synced/);
    const unknown = await run(['inject', '-i', '-'], 'T=keyhold://token/crm/nope\n');
    expect(unknown.stderr).toBe('keyhold: unknown reference keyhold://token/crm/nope\n');
  });
});

describe('profile rm and the trash', () => {
  it('refuses to delete a profile holding a token without --force, then trashes it; restore brings the token back', async () => {
    const refused = await run(['profile', 'rm', 'crm/prod']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/remote profile on Kura, and the token goes with the local copy.*Pass --force to delete it anyway\.\n$/);
    expect(json<unknown[]>(await ok(['profile', 'list', '--json']))).toHaveLength(2);

    const removed = await ok(['profile', 'rm', 'crm/prod', '--force']);
    expect(removed.stdout).toMatch(/^Moved [0-9a-f-]{36} to the trash until /);
    expect(removed.stderr).toMatch(/remote profile on Kura still exists/);
    expect((await run(['profile', 'token', 'crm/prod'])).code).toBe(5);
    expect((await run(['run', '--profile', 'crm/prod', '--', node, '-e', '1'])).code).toBe(5);
    expect((await run(['inject', '-i', '-'], 'keyhold://token/crm/prod')).code).toBe(5);

    const list = json<{ id: string; kind: string; ref: string; hasToken: boolean }[]>(await ok(['trash', 'list', '--json']));
    expect(list).toEqual([expect.objectContaining({ kind: 'profile', ref: 'crm/prod', hasToken: true })]);
    expect((await ok(['trash', 'list'])).stdout).toMatch(/profile\s+crm\/prod\s+yes/);

    await ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_USER=someone-else', '--draft']);
    const taken = await run(['trash', 'restore', (list[0] as { id: string }).id.slice(0, 8)]);
    expect(taken.code).toBe(6);
    expect(taken.stderr).toMatch(/already exists for agent "crm"/);
    await ok(['profile', 'rm', 'crm/prod']);

    expect((await ok(['trash', 'restore', (list[0] as { id: string }).id])).stdout).toMatch(/^Restored profile crm\/prod .*synced\n$/);
    expect((await ok(['profile', 'token', 'crm/prod'])).stdout).toBe(`${token}\n`);
  });

  it('byok rm goes to the trash too; purge needs an id or --yes', async () => {
    await ok(['byok', 'set', '--kind', 'researcher', '--provider', 'anthropic', '--key-stdin'], `sk-ant-api03-${'r'.repeat(40)}`);
    await ok(['byok', 'rm', 'researcher']);
    expect(json<unknown[]>(await ok(['byok', 'list', '--json']))).toEqual([]);
    const list = json<{ id: string; ref: string }[]>(await ok(['trash', 'list', '--json']));
    expect(list.map((e) => e.ref).sort()).toEqual(['crm/prod', 'researcher']);

    const researcher = list.find((e) => e.ref === 'researcher') as { id: string };
    expect((await ok(['trash', 'purge', researcher.id])).stdout).toBe(`Purged byok researcher (${researcher.id}).\n`);
    const refused = await run(['trash', 'purge']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/deletes 1 item\(s\) for good.*Pass --yes to go ahead\.\n$/);
    expect((await ok(['trash', 'purge', '--yes'])).stdout).toBe('Purged 1 item(s).\n');
    expect((await ok(['trash', 'list'])).stdout).toBe('(none)\n');
    expect((await run(['trash', 'restore', researcher.id])).code).toBe(5);
  });
});
