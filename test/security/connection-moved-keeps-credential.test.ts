import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Attack (a compromised window, or a phishing "new endpoint" a tired person pastes): moving a
// connection to another address without giving its credential again kept the saved one, so
// `remote test` and the next sync sent the Kura API key, every profile value and the Kura tokens
// there. A saved credential now goes only to the server it was given for.

const KEY = 'kura-api-key-0123456789-SAVED';
let v: Awaited<ReturnType<typeof cliVault>>;

beforeAll(async () => {
  v = await cliVault('keyhold-sec-remote-moved-');
  await v.ok(['remote', 'set', 'kura', '--url', 'https://kura.example.com/api', '--api-key-stdin'], KEY);
});
afterAll(() => v.cleanup());

const shownUrl = async () => (await v.ok(['remote', 'list', '--json'])).json<{ kind: string; url: string }[]>().find((r) => r.kind === 'kura')?.url;

describe('a connection moved to another server', () => {
  it('is refused without its credential, naming both servers and how to give it, and nothing changes', async () => {
    const r = await v.run(['remote', 'set', 'kura', '--url', 'https://collector.example']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Give the Kura credential again to move the connection to https://collector.example: a saved credential is sent only to the server it was given for (https://kura.example.com).',
    );
    expect(r.stderr).toContain('--api-key-stdin');
    expect(await shownUrl()).toBe('https://kura.example.com/api');
  });

  it('moves with its credential given again; another path on the same server keeps the saved one', async () => {
    await v.ok(['remote', 'set', 'kura', '--url', 'https://kura.example.com/v2']);
    expect(await shownUrl()).toBe('https://kura.example.com/v2');
    await v.ok(['remote', 'set', 'kura', '--url', 'https://kura2.example.com', '--api-key-stdin'], 'kura-api-key-NEW-0123456789');
    expect(await shownUrl()).toBe('https://kura2.example.com');
  });
});

describe('what --force cannot do is not offered', () => {
  it('a folder, a device or a vault file named by -o is refused without a hint to use --force', async () => {
    const r = await v.run(['inject', '-i', '-', '-o', v.dir, '--force'], 'x\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a folder');
    expect(r.stderr).not.toContain('--force');
  });
});
