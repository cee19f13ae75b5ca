import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profiles } from '../../src/core/vault/profiles';
import { Vault } from '../../src/core/vault/vault';
import { cliVault } from '../security/cli-env';
import { PASSWORD } from '../helpers/vault';
import { join } from 'node:path';

// An edit that changes nothing (the same values again, a restore of the current version, a form
// saved unchanged) wrote a new version and queued a synced item to be pushed again, and said
// "Saved". Flags that contradict each other (--unset K --set K=v) dropped the --set silently.

let v: Awaited<ReturnType<typeof cliVault>>;
const KEY = `sk-proj-${'n'.repeat(40)}`;

type Summary = { version: number; syncState: string; keys: string[] };
const profile = async (): Promise<Summary> => JSON.parse((await v.ok(['profile', 'show', 'crm/prod', '--json'])).stdout) as Summary;

beforeAll(async () => {
  v = await cliVault('keyhold-noop-');
  await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=ann', '--set', 'PASS=p1']);
  // Marked synced with a token, as a sync would leave it.
  const vault = Vault.open(join(v.dir, 'vault'));
  await vault.unlock(PASSWORD);
  const loaded = vault.profiles.load(vault.profiles.resolve('crm/prod').id);
  vault.profiles.recordSync(
    loaded.summary,
    { ...Profiles.metaOf(loaded.summary), hasToken: true },
    { authToken: 'kura-token', agentId: 'crm', name: 'prod' },
    'synced',
  );
  vault.close();
  await v.ok(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], KEY);
});
afterAll(() => v.cleanup());

describe('an edit that changes nothing', () => {
  it('writes no version, keeps a synced profile synced, and says so', async () => {
    for (const args of [[], ['--set', 'USER=ann'], ['--set', 'PASS=p1', '--set', 'USER=ann'], ['--no-save-session']]) {
      const r = await v.ok(['profile', 'edit', 'crm/prod', ...args]);
      expect(r.stdout, args.join(' ')).toMatch(/^Nothing changed: crm\/prod/);
    }
    expect(await profile()).toMatchObject({ version: 1, syncState: 'synced' });
    const changed = await v.ok(['profile', 'edit', 'crm/prod', '--set', 'PASS=p2']);
    expect(changed.stdout).toMatch(/^Saved crm\/prod/);
    expect(await profile()).toMatchObject({ version: 2, syncState: 'pending' });
  });

  it('a restore of the version that is current writes nothing', async () => {
    await v.ok(['byok', 'restore', 'research', '1']);
    const shown = JSON.parse((await v.ok(['byok', 'show', 'research', '--json'])).stdout) as { version: number };
    expect(shown.version).toBe(1);
    await v.ok(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], KEY);
    expect((JSON.parse((await v.ok(['byok', 'history', 'research', '--json'])).stdout) as unknown[]).length).toBe(1);
  });
});

describe('--set and --unset of one key', () => {
  it('is refused, naming the key, and changes nothing', async () => {
    const before = await profile();
    const r = await v.run(['profile', 'edit', 'crm/prod', '--unset', 'USER', '--set', 'USER=bob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The key "USER" is both set and removed in one change; give one of the two.');
    expect(await profile()).toEqual(before);
  });
});

describe('byok restore of an earlier key', () => {
  it("does not carry over the replaced key's expiry date", async () => {
    const other = `sk-proj-${'o'.repeat(40)}`;
    await v.ok(['byok', 'set', '--kind', 'research', '--provider', 'openai', '--key-stdin'], other);
    await v.ok(['byok', 'expiry', 'research', '--expires', '2031-12-10']);
    expect(JSON.parse((await v.ok(['byok', 'show', 'research', '--json'])).stdout)).toMatchObject({ expiresAt: expect.stringMatching(/^2031-12-10/) });
    await v.ok(['byok', 'restore', 'research', '1']);
    const shown = JSON.parse((await v.ok(['byok', 'show', 'research', '--reveal', '--json'])).stdout) as { apiKey: string; expiresAt?: string | null };
    expect(shown.apiKey).toBe(KEY);
    expect(shown.expiresAt ?? null).toBeNull();
  });
});
