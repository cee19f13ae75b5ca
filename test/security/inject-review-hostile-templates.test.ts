import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, keyhold } from '../helpers/cli';
import { cliVault } from './cli-env';

// Templates written to confuse `inject`, and a tired user's slips. Each is either filled in byte for
// byte as written or refused with a specific error that holds no secret, before anything is written.
// Checked here; no change was needed.

const SECRET = 'hostile-template-secret-0123';
const TRASHED = 'trashed-profile-secret-0123';
const GH = 'keyhold://profile/gh/dev/GITHUB_TOKEN';

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-hostile-tpl-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`, '--set', 'NESTED=a {{ keyhold://byok/none }} b']);
  await v.ok(['profile', 'add', '--agent', 'old', '--name', 'gone', '--set', `K=${TRASHED}`]);
  await v.ok(['profile', 'rm', 'old/gone']);
});
afterAll(() => v.cleanup());

/** `inject -i - -o OUT`; whatever happens, nothing secret in what it prints. */
async function inject(template: string | Buffer, out = join(v.dir, 'out.env'), env: Record<string, string> = v.env) {
  const r = await keyhold(['inject', '-i', '-', '-o', out, '--force'], { env, input: template as string });
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  expect(r.stdout + r.stderr).not.toContain(TRASHED);
  return { ...r, written: existsSync(out) ? readFileSync(out) : null };
}

describe('a template', () => {
  it('keeps CRLF line ends, a NUL byte and nested braces as they are; a value is never expanded again', async () => {
    const out = join(v.dir, 'bytes.env');
    const r = await inject(`A=${GH}\r\nB=x\0y\r\nC={{ {{ ${GH} }} }}\r\nD={{ keyhold://profile/gh/dev/NESTED }}\r\n`, out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.written?.toString('utf8')).toBe(`A=${SECRET}\r\nB=x\0y\r\nC={{ ${SECRET} }}\r\nD=a {{ keyhold://byok/none }} b\r\n`);
  });

  it('with a reference split across lines is malformed: refused before the password is asked, naming the part', async () => {
    const out = join(v.dir, 'split.env');
    const r = await inject('A=keyhold://profile/gh/dev\n/GITHUB_TOKEN\n', out, { ...v.env, KEYHOLD_PASSWORD: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Malformed reference keyhold://profile/gh/dev: expected');
    expect(r.written).toBeNull();
  });

  it('that is not UTF-8 (binary), or larger than 16 MiB (100 MB on standard input), is refused and nothing is written', async () => {
    const binary = await inject(Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x00, 0x80, 0x0a]), join(v.dir, 'binary.env'));
    expect(binary.code).toBe(2);
    expect(binary.stderr).toContain('is not valid UTF-8');
    expect(binary.written).toBeNull();

    // The binary: its standard input is a pipe, read with the limit (the in-process one is a buffer).
    // It stops reading at the limit, so the rest of the write meets a closed pipe (EPIPE), as a shell's would.
    const hugeOut = join(v.dir, 'huge.env');
    const huge = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, 'inject', '-i', '-', '-o', hugeOut],
        { env: { PATH: process.env.PATH ?? '', ...v.env } },
        (error, _out, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr }),
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(`A=${GH}\n`.repeat(Math.ceil(100e6 / 40)));
    });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toBe('keyhold: Standard input is larger than 16 MiB; nothing was read.\n');
    expect(existsSync(hugeOut)).toBe(false);
  });

  it('naming a profile in the trash, or one whose name holds control characters, is an unknown reference shown escaped', async () => {
    const trashed = await inject('A=keyhold://profile/old/gone/K\n', join(v.dir, 'trashed.env'));
    expect(trashed.code).toBe(5);
    expect(trashed.stderr).toBe('keyhold: unknown reference keyhold://profile/old/gone/K\n');
    expect(trashed.written).toBeNull();

    const control = await inject('A=keyhold://profile/gh/%1B%5B2J%1B%5D0%3Bx%07dev/K\n', join(v.dir, 'control.env'));
    expect(control.code).toBe(5);
    expect(control.stderr).toBe('keyhold: unknown reference keyhold://profile/gh/%1B%5B2J%1B%5D0%3Bx%07dev/K\n');
    expect([...control.stderr].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'))).toEqual([]);
  });
});

describe('a template file that names 10,000 references', () => {
  it('is refused untrusted in a short message, lists every one when trusted, and is then stopped by the first unknown one', async () => {
    const file = join(v.dir, 'many.tpl');
    const refs = Array.from({ length: 10_000 }, (_, i) => `keyhold://profile/agent-${i}/p/K`);
    writeFileSync(file, refs.map((ref, i) => `V${i}=${ref}\n`).join('') + `T=${GH}\n`);
    const out = join(v.dir, 'many.env');

    const untrusted = await v.run(['inject', '-i', file, '-o', out]);
    expect(untrusted.code).toBe(8);
    expect(untrusted.stderr.length).toBeLessThan(500);
    expect(existsSync(out)).toBe(false);

    const trusted = await v.ok(['trust', '--yes', file]);
    expect(trusted.stdout).toContain(`${file} holds 10001 references`);
    expect(trusted.stdout).toContain(refs[9_999]);

    writeFileSync(file, refs.map((ref, i) => `V${i}=${ref.replace('/p/', '/q/')}\n`).join(''));
    const changed = await v.run(['inject', '-i', file, '-o', out]);
    expect(changed.code).toBe(8);
    expect(changed.stderr).toContain('and 9995 more');
    expect(changed.stderr.length).toBeLessThan(1_000);

    writeFileSync(file, refs.map((ref, i) => `V${i}=${ref}\n`).join('') + `T=${GH}\n`);
    const unknown = await v.run(['inject', '-i', file, '-o', out]);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toBe(`keyhold: unknown reference ${refs[0]}\n`);
    expect(existsSync(out)).toBe(false);
  });
});
