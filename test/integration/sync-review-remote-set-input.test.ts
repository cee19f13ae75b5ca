import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { cliHome } from '../helpers/cli-home';

// A tired user's `remote set`: each mistake gets an error that names it, and changes nothing. A
// space in the address, an address without a host, or one pasted with spaces around it were all
// told "URL must start with https://", which it did; an empty key piped in was told to give it
// with --api-key-stdin, which is what the user had just done.

const cleanups = useCleanups();

async function vault() {
  const h = await cliHome('sync-review-remote-set-');
  cleanups.push(h.cleanup);
  return h.env;
}

const set = (env: Record<string, string>, url: string, input = 'kura-key-0123456789') =>
  keyhold(['remote', 'set', 'kura', '--url', url, '--api-key-stdin'], { env, input });

async function nothingSaved(env: Record<string, string>) {
  const list = await keyhold(['remote', 'list', '--json'], { env });
  expect(list.json()).toEqual([]);
}

describe('remote set with an address or key that cannot be used', () => {
  it.each([
    ['https://kura.example/my path', /may not contain spaces/],
    ['https://kura.example/a\tb', /may not contain spaces/],
    ['https://kura.exa\nmple', /may not contain spaces/],
    ['https://', /not a valid URL/],
    ['ftp://kura.example', /must start with https:\/\//],
  ])('%j is refused with its own reason', async (url, reason) => {
    const env = await vault();
    const r = await set(env, url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    await nothingSaved(env);
  });

  it('an address pasted with spaces around it is taken without them', async () => {
    const env = await vault();
    const r = await set(env, '  https://kura.example/base/  ');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await keyhold(['remote', 'list', '--json'], { env })).json()).toMatchObject([{ kind: 'kura', url: 'https://kura.example/base' }]);
  });

  it.each([
    ['', 'empty'],
    ['\n', 'only a line break'],
  ])('an empty key on standard input (%j) says so, without pointing at the flag just used', async (input) => {
    const env = await vault();
    const r = await set(env, 'https://kura.example', input);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Kura API key read from standard input is empty/);
    expect(r.stderr).not.toContain('--api-key-stdin');
    await nothingSaved(env);
  });
});
