import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Accident: `pbpaste | keyhold profile add … --set-stdin TOKEN` with an empty clipboard stores a
// blank secret that sync then pushes; `--set-stdin A --set-stdin B` silently kept only B, so the
// value meant for A was stored as B.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-stdin-');
});
afterAll(() => v.cleanup());

const revealed = async (ref: string) => (await v.ok(['profile', 'show', ref, '--reveal', '--json'])).json<{ authData: Record<string, string> }>().authData;

describe('--set-stdin', () => {
  it.each(['', '\n', '\r\n'])('refuses an empty value (%j) and stores nothing', async (input) => {
    const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'empty', '--set-stdin', 'TOKEN'], input);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TOKEN read from standard input is empty/);
    expect((await v.ok(['profile', 'list', '--json'])).json()).toEqual([]);
  });

  it('reads one line per key, in the order of the flags', async () => {
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'two', '--set-stdin', 'USER', '--set-stdin', 'PASS'], 'ann\nhunter2-secret\n');
    expect(await revealed('app/two')).toEqual({ USER: 'ann', PASS: 'hunter2-secret' });
    await v.ok(['profile', 'edit', 'app/two', '--set-stdin', 'PASS', '--set-stdin', 'OTP'], 'new-pass\r\n123456');
    expect(await revealed('app/two')).toEqual({ USER: 'ann', PASS: 'new-pass', OTP: '123456' });
  });

  it('refuses a line count that does not match, an empty line, or a key given twice, changing nothing', async () => {
    const cases: [string[], string, RegExp][] = [
      [['--set-stdin', 'A', '--set-stdin', 'B'], 'only-one\n', /2 --set-stdin keys read one line each.*holds 1 line/],
      [['--set-stdin', 'A', '--set-stdin', 'B'], 'a\nb\nc\n', /holds 3 line/],
      [['--set-stdin', 'A', '--set-stdin', 'B'], '\nb\n', /value of A read from standard input is empty/],
      [['--set-stdin', 'A', '--set-stdin', 'A'], 'a\nb\n', /given to --set-stdin twice/],
      [['--set', 'A=x', '--set-stdin', 'A'], 'a\n', /"A" is given twice/],
    ];
    for (const [flags, input, message] of cases) {
      const r = await v.run(['profile', 'add', '--agent', 'app', '--name', 'bad', ...flags], input);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(message);
    }
    expect((await v.ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).toEqual(['two']);
  });

  it('one key still takes all of standard input, line breaks included (a PEM key)', async () => {
    const pem = '-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----';
    await v.ok(['profile', 'add', '--agent', 'app', '--name', 'pem', '--set-stdin', 'KEY'], `${pem}\n`);
    expect(await revealed('app/pem')).toEqual({ KEY: pem });
  });
});

describe('--set KEY= (an empty value, as `--set TOKEN=$TOKEN` gives with TOKEN unset)', () => {
  it('stores it, as a .env file may mean it, and says so on stderr', async () => {
    const r = await v.ok(['profile', 'add', '--agent', 'app', '--name', 'unset-var', '--set', 'TOKEN=', '--set', 'USER=ann']);
    expect(r.stderr).toBe('keyhold: note: --set TOKEN= stores an empty value (an unset shell variable?).\n');
    expect(await revealed('app/unset-var')).toEqual({ TOKEN: '', USER: 'ann' });
    expect((await v.ok(['profile', 'edit', 'app/unset-var', '--set', 'USER=bob'])).stderr).toBe('');
  });
});
