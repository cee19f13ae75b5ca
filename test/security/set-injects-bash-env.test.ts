import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Attack: a pasted command line (`--set BASH_ENV=…`, `--set PATH=…`) adds a variable that makes
// every shell the agent starts run a file of the attacker's choosing.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-set-');
  await v.ok(['profile', 'add', '--agent', 'app', '--name', 'dev', '--set', 'API_KEY=sk-live-0123456789']);
});
afterAll(() => v.cleanup());

describe('--set of a variable that changes how programs run', () => {
  it.each(['BASH_ENV', 'PATH', 'PYTHONPATH', 'GIT_SSH_COMMAND', 'NODE_OPTIONS'])('%s is refused on add and edit, naming the key', async (key) => {
    const add = await v.run(['profile', 'add', '--agent', 'app', '--name', key, '--set', `${key}=/tmp/x`]);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain(`"${key}"`);
    const edit = await v.run(['profile', 'edit', 'app/dev', '--set', `${key}=/tmp/x`]);
    expect(edit.code).toBe(2);
    expect(edit.stderr).toContain(`"${key}"`);
    expect((await v.ok(['profile', 'show', 'app/dev', '--json'])).json()).toMatchObject({ keys: ['API_KEY'], version: 1 });
  });

  it('an allowance for one key does not cover another', async () => {
    const r = await v.run(['profile', 'edit', 'app/dev', '--set', 'BASH_ENV=/tmp/x', '--set', 'PATH=/tmp', '--allow-env', 'BASH_ENV']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"PATH"');
    expect(r.stderr).not.toContain('"BASH_ENV"');
  });
});
