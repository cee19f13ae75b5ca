import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rejection } from '../helpers/cleanup';
import { tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';

// `inject -o FILE --force` stopped half-way: by a full disk, or by kill -9. The old FILE must stay
// whole (or the new one be whole), never a half file, and a temporary file left behind must be
// readable by its owner only. Checked here; no change was needed.

/** While set, a temporary file (`*.tmp`) takes half its bytes and then the disk is full. */
let diskFull = false;
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (!diskFull || !String(args[0]).endsWith('.tmp')) return handle;
      handle.writeFile = async (data: unknown) => {
        const bytes = Buffer.from(data as string);
        await handle.write(bytes.subarray(0, bytes.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      };
      return handle;
    },
  };
});

const { writeFileExclusive0600 } = await import('../../src/core/devflow/write-file');

const OLD = 'OLD=whole-old-file\n';
const SECRET = 'interrupted-secret-0123';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('keyhold-interrupted-');
});
afterEach(() => {
  diskFull = false;
  t.cleanup();
});

describe('a full disk while the output is written', () => {
  it('keeps the old file whole, leaves no temporary file and says the disk is full; a new file is not left half-written', async () => {
    const out = join(t.dir, 'app.env');
    writeFileSync(out, OLD, { mode: 0o644 });
    diskFull = true;
    const error = await rejection(writeFileExclusive0600(out, `TOKEN=${SECRET}\n`.repeat(1000), { force: true }));
    expect([error.code, error.message]).toEqual(['BadInput', `Cannot write ${out}: the disk is full.`]);
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    const fresh = join(t.dir, 'new.env');
    expect((await rejection(writeFileExclusive0600(fresh, `TOKEN=${SECRET}\n`))).message).toBe(`Cannot write ${fresh}: the disk is full.`);
    expect(readdirSync(t.dir)).toEqual(['app.env']);
  });

  it('inject --force exits 2 naming it, with no secret in what it prints', async () => {
    const v = await cliVault('keyhold-sec-interrupted-');
    try {
      await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
      const out = join(t.dir, 'app.env');
      writeFileSync(out, OLD);
      diskFull = true;
      const r = await v.run(['inject', '-i', '-', '-o', out, '--force'], 'T=keyhold://profile/gh/dev/GITHUB_TOKEN\n');
      diskFull = false;
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`keyhold: Cannot write ${out}: the disk is full.\n`);
      expect(r.stdout).toBe('');
      expect(readFileSync(out, 'utf8')).toBe(OLD);
      expect(readdirSync(t.dir)).toEqual(['app.env']);
    } finally {
      v.cleanup();
    }
  });
});

describe('kill -9 while the output is written', () => {
  it('keeps the old file whole; the temporary file left holds part of the secrets, readable by its owner only, even under umask 0', async () => {
    const out = join(t.dir, 'app.env');
    writeFileSync(out, OLD, { mode: 0o644 });
    // A writer that hands over the first part of the file, says so, and waits to be killed.
    const child = join(t.dir, 'writer.mts');
    writeFileSync(
      child,
      `import { writeFileExclusive0600 } from ${JSON.stringify(join(import.meta.dirname, '../../src/core/devflow/write-file.ts'))};
process.umask(0);
async function* parts() {
  yield Buffer.from('TOKEN=${SECRET}\\n');
  process.stdout.write('halfway\\n');
  await new Promise(() => setInterval(() => undefined, 60_000));
}
await writeFileExclusive0600(process.argv[2] as string, parts() as never, { force: true });
`,
    );
    const writer = spawn(process.execPath, ['--import', 'tsx', child, out], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => writer.on('exit', (_code, signal) => resolve(signal)));
    // Halfway, or gone without getting there (which fails below).
    const halfway = await new Promise<boolean>((resolve) => {
      writer.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('halfway') && resolve(true));
      writer.on('exit', () => resolve(false));
    });
    expect(halfway).toBe(true);
    writer.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(readFileSync(out, 'utf8')).toBe(OLD);
    const left = readdirSync(t.dir).filter((name) => name.endsWith('.tmp'));
    expect(left).toHaveLength(1);
    const temp = join(t.dir, left[0] as string);
    expect(readFileSync(temp, 'utf8')).toBe(`TOKEN=${SECRET}\n`);
    expect(statSync(temp).mode & 0o777).toBe(0o600);
  });
});
