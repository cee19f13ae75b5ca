import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Attack: a .env file from a repository or a teammate carries LD_PRELOAD=/tmp/evil.so among the
// credentials. `keyhold profile add --from-env` stores it and every `keyhold run` then loads it.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-dotenv-');
});
afterAll(() => v.cleanup());

describe('a .env file that sets LD_PRELOAD', () => {
  it('is refused when a profile is created from it, naming the key, and nothing is stored', async () => {
    const file = join(v.dir, 'team.env');
    writeFileSync(file, 'API_KEY=sk-live-0123456789\nLD_PRELOAD=/tmp/evil.so\n');
    const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'dev', '--from-env', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"LD_PRELOAD" \(the dynamic loader\)/);
    expect(r.stderr).toContain('To allow one: --allow-env NAME.');
    expect(r.stderr).not.toContain('evil.so');
    expect((await v.ok(['profile', 'list', '--json'])).json()).toEqual([]);
  });

  it('is stored only with --allow-env for that key, recorded in the audit log and shown with the profile', async () => {
    const file = join(v.dir, 'mine.env');
    writeFileSync(file, 'API_KEY=sk-live-0123456789\nLD_PRELOAD=/opt/mine.so\n');
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'dev', '--from-env', file, '--allow-env', 'LD_PRELOAD']);
    expect((await v.ok(['profile', 'show', 'app/dev', '--json'])).json()).toMatchObject({ allowEnv: ['LD_PRELOAD'] });
    expect((await v.ok(['profile', 'show', 'app/dev'])).stdout).toContain('allowed env:   LD_PRELOAD');
    const log = (await v.ok(['log', '--json', '--limit', '1000'])).json<{ entries: { event: string; detail: Record<string, unknown> }[] }>().entries;
    expect(log.find((e) => e.event === 'env_allowed')?.detail).toMatchObject({ item: 'profile', keys: 'LD_PRELOAD' });

    // The allowance covers the value it was given for: a new value needs it again.
    const again = await v.run(['profile', 'edit', 'app/dev', '--set', 'LD_PRELOAD=/tmp/other.so']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('LD_PRELOAD');
  });

  it('"run" refuses to inject it unless allowed for that run', async () => {
    const script = 'console.log(process.env.LD_PRELOAD ?? "unset")';
    const refused = await v.run(['run', '--profile', 'app/dev', '--', process.execPath, '-e', script]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Profile app\/dev has a key .*"LD_PRELOAD"/);
    expect(refused.stdout).toBe('');
    // The loader would now try to preload a file that does not exist; it warns and carries on.
    const allowed = await v.run(['run', '--profile', 'app/dev', '--allow-env', 'LD_PRELOAD', '--no-mask', '--', process.execPath, '-e', script]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout.trim()).toBe('/opt/mine.so');
  });
});
