import { once } from 'node:events';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// Paths a tired user names to `keyhold scan`. A link to nothing and a loop of links were both
// "no such file or folder" (the link is there: `ls` shows it), and a socket named .env was
// "cannot be read: error ENXIO" where a pipe or a device says what it is.

let t: ReturnType<typeof tempDir>;
let server: Server;
const p = (...parts: string[]) => join(t.dir, ...parts);
const env = () => ({ HOME: p('home'), KEYHOLD_VAULT: p('no-vault') });

beforeAll(async () => {
  t = tempDir('keyhold-scan-review-named-');
  mkdirSync(p('home'));
  symlinkSync(p('nowhere'), p('dangling.env'));
  symlinkSync(p('loop-b'), p('loop-a'));
  symlinkSync(p('loop-a'), p('loop-b'));
  server = createServer();
  server.listen(p('sock.env'));
  await once(server, 'listening');
});
afterAll(() => {
  server.close();
  t.cleanup();
});

describe('keyhold scan of a path named on the command line', () => {
  it.each([
    ['dangling.env', 'a symbolic link to a file or folder that does not exist'],
    ['loop-a', 'a loop of symbolic links'],
    ['missing', 'no such file or folder'],
  ])('%s: a specific error, exit 2', async (name, why) => {
    const r = await keyhold(['scan', '--no-well-known', p(name)], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`keyhold: Nothing to scan at ${p(name)}: ${why}.\n`);
    expect(r.stdout).toBe('');
  });

  it('a socket is named as a socket under "Not read"; the other file named is read', async () => {
    const key = lookalike.github();
    writeFileSync(p('app.env'), `GITHUB_TOKEN=${key}\n`);
    const r = await keyhold(['scan', '--no-well-known', '--json', p('sock.env'), p('app.env')], { env: env() });
    expect(r.code, r.stderr).toBe(1);
    const out = r.json<{ findings: { file: string }[]; skipped: unknown[] }>();
    expect(out.findings.map((f) => f.file)).toEqual([p('app.env')]);
    expect(out.skipped).toEqual([{ path: p('sock.env'), reason: 'not-a-file', message: 'a socket, not a file' }]);
    expect(r.stdout).not.toContain(key);
  });
});
