import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/cli/parse';
import { CLI, keyholdProcess } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

// A tired user presses Ctrl-C once in `keyhold run -- terraform apply`. The terminal sends SIGINT to
// its whole foreground job, keyhold and the command alike; keyhold then passed its own on, so the
// command got two, and a program that takes a second interrupt as "stop now, whatever it leaves
// half done" (Terraform, dev servers, npm) stopped that way.

let t: ReturnType<typeof tempDir>;
let env: Record<string, string>;
let child: string;
beforeAll(() => {
  t = tempDir('keyhold-run-ctrl-c-');
  env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
  expect(keyholdProcess(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env }).code).toBe(0);
  expect(keyholdProcess(['profile', 'add', '--agent', 'app', '--name', 'dev', '--set', 'API_KEY=sk-ctrl-c-0123456789'], { env }).code).toBe(0);
  // Counts the interrupts it gets. The test then sends keyhold a SIGTERM, which it passes on after
  // any SIGINT it passed on (it handles its signals in the order they came, and of two pending at
  // once the system delivers SIGINT first): the command reports on SIGTERM, having seen every interrupt.
  child = join(t.dir, 'child.js');
  writeFileSync(
    child,
    `let n = 0;
     process.on('SIGINT', () => console.log('interrupt ' + ++n));
     process.on('SIGTERM', () => { console.log('interrupts: ' + n + ', key ' + process.env.API_KEY); process.exit(0); });
     console.log('ready, keyhold is ' + process.ppid);
     setInterval(() => {}, 1000);`,
  );
});
afterAll(() => t.cleanup());

/** Runs `keyhold run` as the foreground job of a terminal made by script(1), acting as each step's output shows. */
function onTerminal(
  args: string[],
  steps: [RegExp, (m: RegExpMatchArray, type: (keys: string) => void) => void][],
): Promise<{ code: number | null; shown: string }> {
  // exec: keyhold itself leads the terminal's session and job, and its exit code is what script(1) reports.
  const command = `exec ${[process.execPath, CLI, ...args].map(shellWord).join(' ')}`;
  const proc = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KEYHOLD_INSECURE_TEST_KDF: '1', ...env },
  });
  let shown = '';
  proc.stdout.on('data', (c: Buffer) => {
    shown += c.toString('utf8');
    const next = steps[0];
    const m = next === undefined ? null : shown.replace(/\r\n/g, '\n').match(next[0]);
    if (next !== undefined && m !== null) {
      steps.shift();
      next[1](m, (keys) => proc.stdin.write(keys));
    }
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, shown: shown.replace(/\r\n/g, '\n') });
    }),
  );
}

describe('Ctrl-C at the terminal during keyhold run', () => {
  it('reaches the command once, and the command decides how to end', async () => {
    expect(spawnSync('script', ['--version']).status, 'script(1) from util-linux makes the terminal').toBe(0);
    const r = await onTerminal(
      ['run', '--profile', 'app/dev', '--', process.execPath, child],
      [
        // Ctrl-C, typed on the terminal.
        [/ready, keyhold is (\d+)\n/, (_, type) => type('\u0003')],
        [/ready, keyhold is (\d+)\n(?:.|\n)*interrupt 1\n/, (m) => process.kill(Number(m[1]), 'SIGTERM')],
      ],
    );
    expect(r.shown).toMatch(/interrupts: 1, key <concealed by keyhold>\n/);
    expect(r.shown).not.toMatch(/interrupt 2/);
    expect(r.code, r.shown).toBe(0);
  }, 60_000);
});
