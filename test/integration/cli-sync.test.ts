import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKSIDE_TEST_TOKEN } from '../fakes/backside';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { CLI } from '../helpers/cli';
import { KEY, servers } from '../helpers/sync';
import { PASSWORD, tempDir } from '../helpers/vault';

// The fakes live in this process, so the CLI runs asynchronously (spawnSync would block them).
function run(args: string[], env: Record<string, string>, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

let t: ReturnType<typeof tempDir>;
let s: Awaited<ReturnType<typeof servers>>;
let env: Record<string, string>;
const json = <T,>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

beforeAll(async () => {
  t = tempDir('keyhold-cli-sync-');
  s = await servers();
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD, KEYHOLD_INSECURE_TEST_KDF: '1' };
  expect((await run(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], env)).code).toBe(0);
  expect((await run(['remote', 'set', 'kura', '--url', s.kura.url, '--api-key-stdin'], env, KURA_TEST_API_KEY)).code).toBe(0);
  expect((await run(['remote', 'set', 'backside', '--url', s.backside.url, '--token-stdin'], env, BACKSIDE_TEST_TOKEN)).code).toBe(0);
});
afterAll(async () => {
  await s.close();
  t.cleanup();
});

describe('keyhold sync and status', () => {
  it('drafts offline, reports them pending with exit 7, then pushes them when the servers are back', async () => {
    await s.kura.stop();
    await s.backside.stop();
    expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], env, 's3cret')).code).toBe(0);
    expect((await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], env, KEY('0101'))).code).toBe(0);

    const offline = await run(['sync', '--timeout', '1', '--json'], env);
    expect(offline.code).toBe(7);
    expect(json<{ pending: { ref: string; reason: string }[] }>(offline).pending.map((p) => p.ref).sort()).toEqual(['claude-code', 'crm/prod']);
    const status = json<{ counts: { profile: { pending: number } }; items: { ref: string; attempts: number; lastError: string }[] }>(
      await run(['status', '--json'], env),
    );
    expect(status.counts.profile.pending).toBe(1);
    expect(status.items.find((i) => i.ref === 'crm/prod')).toMatchObject({ attempts: expect.any(Number), lastError: expect.stringMatching(/Kura/) });

    await s.kura.start();
    await s.backside.start();
    const online = await run(['sync'], env);
    expect(online.code, online.stderr).toBe(0);
    expect(online.stdout).toMatch(/Pushed 2, failed 0, still pending 0\./);
    const list = json<{ name: string; syncState: string; hasToken: boolean; lastSyncType: string; lastError: null }[]>(
      await run(['profile', 'list', '--json'], env),
    );
    expect(list).toMatchObject([{ name: 'prod', syncState: 'synced', hasToken: true, lastSyncType: 'create', lastError: null }]);
    expect(s.kura.profile('crm', 'prod')?.auth_data).toEqual({ PASS: 's3cret' });
    expect(json<{ remote: { byok_status: string } }[]>(await run(['byok', 'list', '--json'], env))[0]?.remote.byok_status).toBeTruthy();
    expect((await run(['byok', 'validate', 'claude-code', '--json'], env)).code).toBe(0);
  });

  it('warns when a create replaced a remote profile, fails a 404 with exit 7, and re-creates', async () => {
    await fetch(`${s.kura.url}/api/upsert_agent_auth_profile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: 'crm', api_key: KURA_TEST_API_KEY, auth_data: {}, name: 'shared', should_save_session: false }),
    });
    await run(['profile', 'add', '--agent', 'crm', '--name', 'shared', '--set', 'A=1'], env);
    const replaced = await run(['sync'], env);
    expect(replaced.stdout).toMatch(/WARNING crm\/shared: Kura already had a profile "shared"/);

    const token = s.kura.profile('crm', 'shared')?.token as string;
    s.kura.state.profiles.delete(token);
    await run(['profile', 'edit', 'crm/shared', '--set', 'A=2'], env);
    const missing = await run(['sync', '--json'], env);
    expect(missing.code).toBe(7);
    expect(json<{ failed: { ref: string; message: string }[] }>(missing).failed).toMatchObject([{ ref: 'crm/shared', message: expect.stringMatching(/^Remote profile missing/) }]);
    expect((await run(['profile', 'recreate', 'crm/shared'], env)).code).toBe(0);
    expect((await run(['sync'], env)).code).toBe(0);
    expect(s.kura.profile('crm', 'shared')?.auth_data).toEqual({ A: '2' });
  });

  it('refuses to rename a synced profile until --new-remote confirms it becomes a new remote profile', async () => {
    const refused = await run(['profile', 'edit', 'crm/prod', '--name', 'prod-eu'], env);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/is synced\. Renaming or moving it creates a new remote profile.* Pass --new-remote to go ahead\.\n$/);
    expect(json<{ name: string }[]>(await run(['profile', 'list', '--json'], env)).map((p) => p.name)).toContain('prod');

    expect((await run(['profile', 'edit', 'crm/prod', '--name', 'prod-eu', '--new-remote'], env)).code).toBe(0);
    expect((await run(['sync'], env)).code).toBe(0);
    expect(s.kura.profile('crm', 'prod-eu')?.token).not.toBe(s.kura.profile('crm', 'prod')?.token);
    expect(s.kura.profile('crm', 'prod')).toBeDefined();
  });
});
