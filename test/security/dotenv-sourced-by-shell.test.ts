import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { serializeDotenv } from '../../src/core/devflow/dotenv';
import { KeyholdError } from '../../src/shared/errors';
import { cliVault } from './cli-env';

// Attack: a value that arrives in a teammate's bundle holds both kinds of quote and a command. The
// .env writer once put such a value in backticks, which dotenv reads back literally, but a shell
// loading the file the common way (`set -a; . ./.env`) runs as a command substitution.

const PAYLOAD = `'' ""; touch PWNED`;

const hasShell = (name: string): boolean => spawnSync(name, ['-c', 'exit 0']).status === 0;
const SHELLS = ['bash', 'dash'].filter(hasShell);

interface Sourced {
  /** The values of the keys after sourcing, in order; null if the shell did not get that far. */
  values: string[] | null;
  /** Files the sourcing created next to the .env file: anything at all means it ran something. */
  effects: string[];
  stderr: string;
}

/** Sources each text with `set -a; . ./f.env` in its own folder, all in one run of `shell`. */
function sourceAll(shell: string, cases: readonly { text: string; keys: readonly string[] }[]): Sourced[] {
  const dir = mkdtempSync(join(tmpdir(), 'kh-dotenv-sh-'));
  try {
    const script = cases.map((c, i) => {
      mkdirSync(join(dir, `c${i}`));
      writeFileSync(join(dir, `c${i}`, 'f.env'), c.text);
      const refs = c.keys.map((k) => `"$${k}"`).join(' ');
      return `(cd c${i} && set -a && . ./f.env && printf '%s\\0' ${refs} > ../out${i}) 2>err${i}`;
    });
    const r = spawnSync(shell, ['-c', script.join('\n')], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 60_000 });
    expect(r.error).toBeUndefined();
    return cases.map((_, i) => {
      const out = join(dir, `out${i}`);
      return {
        values: existsSync(out) ? readFileSync(out, 'utf8').split('\0').slice(0, -1) : null,
        effects: readdirSync(join(dir, `c${i}`)).filter((name) => name !== 'f.env'),
        stderr: readFileSync(join(dir, `err${i}`), 'utf8'),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const readsExactly = (s: Sourced, values: readonly string[]): boolean =>
  s.effects.length === 0 && s.stderr === '' && JSON.stringify(s.values) === JSON.stringify(values);

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-dotenv-sh-');
  await v.ok(['profile', 'add', '--agent', 'mate', '--name', 'bundle', '--set', 'OK=fine', '--set', `TOKEN=${PAYLOAD}`]);
});
afterAll(() => v.cleanup());

describe.skipIf(SHELLS.length === 0)('export-env and a shell that sources the file', () => {
  it('refuses, naming the key and what to use instead, a value no quoting keeps a shell from running; nothing is written', async () => {
    const out = join(v.dir, 'bundle.env');
    const r = await v.run(['profile', 'export-env', 'mate/bundle', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/The value of TOKEN cannot be written to a \.env file: it holds a single quote/);
    expect(r.stderr).toMatch(/keyhold run/);
    expect(r.stderr).toMatch(/keyhold inject/);
    expect(r.stderr).not.toContain('touch');
    expect(existsSync(out)).toBe(false);
    const toStdout = await v.run(['profile', 'export-env', 'mate/bundle']);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stdout).toBe('');
  });

  it('writes what it can so that a shell reads the same values and runs nothing', async () => {
    const record = {
      A: '"$(touch PWNED)"; touch PWNED',
      B: '"`touch PWNED`"',
      C: 'line 1\nline 2 # not a comment\n',
      D: '  ~/x\\y  ',
      E: "it's C:\\tools\\x\n#next line",
    };
    await v.ok(['profile', 'add', '--agent', 'mate', '--name', 'safe', ...Object.entries(record).flatMap(([k, value]) => ['--set', `${k}=${value}`])]);
    const text = (await v.ok(['profile', 'export-env', 'mate/safe'])).stdout;
    expect(parse(text)).toEqual(record);
    for (const shell of SHELLS) {
      const [sourced] = sourceAll(shell, [{ text, keys: Object.keys(record) }]);
      expect(sourced, shell).toEqual({ values: Object.values(record), effects: [], stderr: '' });
    }
  });

  it('property: dotenv and every shell read back exactly what is written, with no side effect; a refusal is needed', { timeout: 120_000 }, () => {
    const piece = fc.constantFrom(
      ...['a', 'Z', '0', 'n', 'r', ' ', '\t', '\n', '\r', '\r\n', "'", '"', '`', '\\', '\\n', '\\r', '\\\\', '#', ' #', '$', '${X}', '$HOME'],
      ...['$(touch PWNED)', '`touch PWNED`', '; touch PWNED', '&& touch PWNED', '| touch PWNED', '\ntouch PWNED\n', '~', '*', '!', '=', ':'],
      ...['export ', 'é', '🔑', '秘密', '\u00a0', '\u2028', '\ufeff', '\u0000'],
    );
    const value = fc.oneof(
      fc.array(piece, { maxLength: 10 }).map((parts) => parts.join('')),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
    );
    const key = fc.stringMatching(/^K[A-Z0-9_]{0,5}$/);
    const record = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(record, { minLength: 100, maxLength: 100 }), (records) => {
        const written: { text: string; keys: string[]; values: string[] }[] = [];
        // Each form dotenv reads back a refused value from: a shell must read each one differently or run something.
        const forms: { text: string; keys: string[]; values: string[] }[] = [];
        for (const r of records) {
          try {
            written.push({ text: serializeDotenv(r), keys: Object.keys(r), values: Object.values(r) });
          } catch (e) {
            expect(e).toBeInstanceOf(KeyholdError);
            expect((e as KeyholdError).code).toBe('BadInput');
            const refused = r[(e as KeyholdError).field!]!;
            expect(typeof refused).toBe('string');
            if (!refused.isWellFormed()) continue;
            const escaped = refused.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
            // A "$" in double quotes is refused wherever it stands: POSIX leaves one before most characters unspecified.
            const double = refused.includes('$') ? [] : [`"${refused}"`, `"${escaped}"`];
            for (const form of [refused, `'${refused}'`, `\`${refused}\``, ...double]) {
              // Comment lines with a bare quote of each kind, which a quoted match running past its own line would stop at.
              const text = `K=${form}\n#'\n#"\n#\`\n`;
              if (JSON.stringify(parse(text)) === JSON.stringify({ K: refused })) forms.push({ text, keys: ['K'], values: [refused] });
            }
          }
        }
        for (const w of written) expect(parse(w.text)).toEqual(Object.fromEntries(w.keys.map((k, i) => [k, w.values[i]])));
        const byShell = SHELLS.map((shell) => {
          const sourced = sourceAll(shell, [...written, ...forms]);
          written.forEach((w, i) => expect(sourced[i], `${shell} sourcing ${JSON.stringify(w.text)}`).toEqual({ values: w.values, effects: [], stderr: '' }));
          return sourced.slice(written.length);
        });
        forms.forEach((f, i) =>
          expect(
            byShell.every((s) => readsExactly(s[i]!, f.values)),
            `refused, but safe: ${JSON.stringify(f.text)}`,
          ).toBe(false),
        );
      }),
      // Each run sources hundreds of files; the failing text is named by the assertion, so no shrinking.
      { numRuns: 4, endOnFailure: true },
    );
  });
});
