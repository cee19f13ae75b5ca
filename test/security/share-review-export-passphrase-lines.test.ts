import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Accident: `printf '%s\n%s\n' "$PW" "$PW" | keyhold export --passphrase-stdin …`, the passphrase
// given twice as a prompt that asks twice would want it. The export took both lines as one
// passphrase, line break included, and reported success: the file then opened with neither
// `age -d` (whose prompt takes one line) nor `echo "$PW" | keyhold import --passphrase-stdin`.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-share-review-pass-');
  await v.ok(['profile', 'add', '--agent', 'app', '--name', 'prod', '--set', 'API_KEY=sk-app-0123456789']);
});
afterAll(() => v.cleanup());

describe('export --passphrase-stdin', () => {
  it.each(['team passphrase 1\nteam passphrase 1\n', 'team passphrase 1\r\nteam passphrase 1', 'alpha-pass\rbeta-pass\n'])(
    'refuses a passphrase of more than one line (%j), without echoing it, and writes nothing',
    async (input) => {
      const out = join(v.dir, 'twice.age');
      const r = await v.run(['export', '-o', out, '--all', '--passphrase-stdin'], input);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/passphrase read from standard input is 2 lines: pipe it in once, on one line/);
      expect(r.stderr).not.toMatch(/team passphrase|alpha-pass|beta-pass/);
      expect(existsSync(out)).toBe(false);
    },
  );

  it('takes one line, its final line break dropped, and the file opens with that line', async () => {
    const out = join(v.dir, 'once.age');
    await v.ok(['export', '-o', out, '--all', '--passphrase-stdin'], 'team passphrase 1\n');
    const r = await v.ok(['import', out, '--passphrase-stdin', '--dry-run'], 'team passphrase 1');
    expect(r.stdout).toMatch(/= identical app\/prod/);
  });
});
