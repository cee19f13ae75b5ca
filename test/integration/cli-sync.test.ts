import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KURA_TEST_API_KEY } from '../fakes/kura';
import { keyhold } from '../helpers/cli';
import { cliVaultWithServers, KEY, type servers } from '../helpers/sync';

// The fakes live in this process: the CLI runs in it too, through main(argv, io).
const run = (args: string[], env: Record<string, string>, input = '') => keyhold(args, { env, input });

let s: Awaited<ReturnType<typeof servers>>;
let env: Record<string, string>;
let close: () => Promise<void>;
const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

beforeAll(async () => {
  ({ s, env, close } = await cliVaultWithServers(run, 'keyhold-cli-sync-'));
});
afterAll(() => close());

describe('keyhold sync and status', () => {
  it('drafts offline, reports them pending with exit 7, then pushes them when the servers are back', async () => {
    await s.kura.stop();
    await s.backside.stop();
    expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], env, 's3cret')).code).toBe(0);
    expect((await run(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], env, KEY('0101'))).code).toBe(0);

    const offline = await run(['sync', '--timeout', '1', '--json'], env);
    expect(offline.code).toBe(7);
    expect(
      json<{ pending: { ref: string; reason: string }[] }>(offline)
        .pending.map((p) => p.ref)
        .sort(),
    ).toEqual(['claude-code', 'crm/prod']);
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
    expect(json<{ failed: { ref: string; message: string }[] }>(missing).failed).toMatchObject([
      { ref: 'crm/shared', message: expect.stringMatching(/^Remote profile missing/) },
    ]);
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

  it('remote test prints what was verified, and exits 2 for an unknown connection', async () => {
    const kura = await run(['remote', 'test', 'kura', '--json'], env);
    expect(kura.code, kura.stderr).toBe(0);
    expect(json(kura)).toMatchObject({ kind: 'kura', configured: true, reached: true, credentialVerified: true, verifiedBy: 'test' });
    const backside = await run(['remote', 'test', 'backside'], env);
    expect(backside.code, backside.stderr).toBe(0);
    expect(backside.stdout).toMatch(/^configured: +yes$/m);
    expect(backside.stdout).toMatch(/^credential verified: +yes, by this test at /m);
    expect(backside.stdout).toMatch(/Backside accepted the token/);
    expect((await run(['remote', 'list'], env)).stdout).toMatch(/VERIFIED[\s\S]*by a connection test/);
    expect((await run(['remote', 'test', 'gitlab'], env)).code).toBe(2);
  });

  it('byok set --validate saves only what Backside accepts, and shows its answer', async () => {
    // Well-formed for Keyhold, refused by Backside's probe: nothing is saved, Backside's answer is shown.
    const refused = await run(['byok', 'set', '--kind', 'researcher', '--validate', '--key-stdin'], env, `sk-ant-api03.${'x'.repeat(30)}`);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toBe('keyhold: Backside refused the key (HTTP 422): The provider rejected this key: invalid x-api-key. Nothing was saved.\n');
    const kinds = () => run(['byok', 'list', '--json'], env).then((r) => json<{ kind: string; localOnly: boolean; syncState: string }[]>(r));
    expect((await kinds()).map((k) => k.kind)).not.toContain('researcher');

    const accepted = await run(['byok', 'set', '--kind', 'researcher', '--validate', '--key-stdin'], env, KEY('0202'));
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toBe('Backside accepted the key.\nSaved anthropic key sk-ant-…0202 for researcher, pending\n');
  });

  it('keys of other providers stay local: listed as such, never pushed, and sync still exits 0', async () => {
    const kinds = () => run(['byok', 'list', '--json'], env).then((r) => json<{ kind: string; localOnly: boolean; syncState: string }[]>(r));
    expect((await run(['byok', 'set', '--kind', 'writer', '--provider', 'openai', '--validate', '--key-stdin'], env, `sk-proj-${'o'.repeat(30)}`)).code).toBe(
      2,
    );
    const local = await run(['byok', 'set', '--kind', 'writer', '--provider', 'openai', '--key-stdin'], env, `sk-proj-${'o'.repeat(30)}`);
    expect(local.stdout).toMatch(/for writer, local only/);
    expect((await kinds()).find((k) => k.kind === 'writer')).toMatchObject({ localOnly: true });
    expect((await run(['byok', 'list'], env)).stdout).toMatch(/^writer +openai +sk-proj-…oooo +local only/m);

    const synced = await run(['sync'], env);
    expect(synced.code, synced.stdout).toBe(0);
    expect(synced.stdout).toMatch(/failed 0, still pending 0\./);
    // Backside's status word is shown verbatim ("active" is not a failure); the health is the probe.
    const shown = await run(['byok', 'show', 'researcher'], env);
    expect(shown.stdout).toMatch(/^remote: +active$/m);
    expect(shown.stdout).toMatch(/^probe: +passed at \d{4}-/m);
    const status = await run(['status'], env);
    expect(status.stdout).toMatch(/^byok keys: .*1 local only$/m);
    expect(status.stdout).toMatch(/^byok +writer +local only/m);
    expect(json<{ items: { ref: string; localOnly: boolean }[] }>(await run(['status', '--json'], env)).items).toContainEqual(
      expect.objectContaining({ ref: 'writer', localOnly: true }),
    );
    expect((await run(['byok', 'ready', 'writer'], env)).stderr).toMatch(/Anthropic keys only/);
  });
});

describe('a connection not set yet', () => {
  it('remote test and byok set --validate say what to type to set it', async () => {
    const bare = await cliVaultWithServers(run, 'keyhold-cli-no-remote-', []);
    try {
      const kura = await run(['remote', 'test', 'kura'], bare.env);
      expect(kura.code).toBe(7);
      expect(kura.stderr).toBe('keyhold: No Kura connection is set yet. Set it with "keyhold remote set kura --url URL --api-key-stdin".\n');
      const backside = await run(['remote', 'test', 'backside'], bare.env);
      expect(backside.stderr).toBe('keyhold: No Backside connection is set yet. Set it with "keyhold remote set backside --url URL --token-stdin".\n');
      const check = await run(['byok', 'set', '--kind', 'researcher', '--validate', '--key-stdin'], bare.env, KEY('0303'));
      expect(check.code).toBe(7);
      expect(check.stderr).toBe('keyhold: No Backside connection yet. Set it with "keyhold remote set backside --url URL --token-stdin".\n');

      // A sync whose items wait for a connection never set says once how to set each.
      expect((await run(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASS'], bare.env, 's3cret')).code).toBe(0);
      const synced = await run(['sync', '--timeout', '1'], bare.env);
      expect(synced.code).toBe(7);
      expect(synced.stdout).toBe(
        'Pushed 0, failed 0, still pending 1.\npending profile crm/prod: No Kura connection yet.\nSet the Kura connection with "keyhold remote set kura --url URL --api-key-stdin".\n',
      );
    } finally {
      await bare.close();
    }
  });
});
