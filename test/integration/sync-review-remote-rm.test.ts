import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { cliHome } from '../helpers/cli-home';

// `keyhold remote rm`: the window could remove a connection (its credential leaked, the server
// moved away), the CLI could not, so a key saved by mistake stayed in the vault for good. Removing
// one with items pending keeps them pending, says so, and says how to connect again.

const cleanups = useCleanups();

async function vault() {
  const h = await cliHome('sync-review-remote-rm-');
  cleanups.push(h.cleanup);
  return h.env;
}

describe('keyhold remote rm', () => {
  it('removes the connection and its credential; pending items stay pending and wait for a new one', async () => {
    const env = await vault();
    const key = 'kura-key-to-forget-0123456789';
    expect((await keyhold(['remote', 'set', 'kura', '--url', 'http://127.0.0.1:9', '--api-key-stdin'], { env, input: key })).code).toBe(0);
    expect(
      (await keyhold(['remote', 'set', 'backside', '--url', 'http://127.0.0.1:9', '--token-stdin'], { env, input: 'backside-token-0123456789' })).code,
    ).toBe(0);
    expect((await keyhold(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'PASSWORD'], { env, input: 'hunter2-value' })).code).toBe(0);

    const rm = await keyhold(['remote', 'rm', 'kura'], { env });
    expect(rm.stderr).toBe('');
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain('kura connection removed');
    expect(rm.stdout).toContain('1 pending profile wait here until you connect again with "keyhold remote set kura --url URL --api-key-stdin"');
    expect(rm.stdout).not.toContain(key);

    // Only the other connection is left.
    expect((await keyhold(['remote', 'list', '--json'], { env })).json()).toMatchObject([{ kind: 'backside' }]);
    const status = (await keyhold(['status', '--json'], { env })).json<{ counts: { profile: { pending: number } } }>();
    expect(status.counts.profile.pending).toBe(1);
    const sync = await keyhold(['sync', '--timeout', '5'], { env });
    expect(sync.code).toBe(7);
    expect(sync.stdout).toContain('No Kura connection yet.');

    // A second time: there is nothing to remove.
    const again = await keyhold(['remote', 'rm', 'kura'], { env });
    expect(again.code).toBe(5);
    expect(again.stderr).toBe('keyhold: No Kura connection is set.\n');
  });

  it('refuses an unknown connection name, changing nothing', async () => {
    const env = await vault();
    expect((await keyhold(['remote', 'set', 'kura', '--url', 'https://kura.example', '--api-key-stdin'], { env, input: 'kura-key-0123456789' })).code).toBe(0);
    const r = await keyhold(['remote', 'rm', 'kuraa'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('keyhold: Unknown connection "kuraa": use "kura" or "backside".\n');
    expect((await keyhold(['remote', 'list', '--json'], { env })).json()).toMatchObject([{ kind: 'kura' }]);
  });
});
