import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();

// Attack: a vault path (KEYHOLD_VAULT from a project's .envrc, a folder someone else named) holding
// a line break and terminal escapes. Escapes were already shown escaped, but the line break was
// printed as is, so the path could write a line of its own into init's "Created vault … in PATH"
// and into doctor's and every command's permission warning ("Header: ok" after a real failure).
describe('a vault path with a line break and a terminal escape', () => {
  it('is shown escaped, on the one line it belongs to', async () => {
    const t = tempDir('keyhold-odd-path-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'v\nHeader:       ok\x1b[2K');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const shown = dir.replace('\n', '\\x0a').replace('\x1b', '\\x1b');
    const env = { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: PASSWORD };

    const init = await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(new RegExp(`^Created vault [0-9a-f-]+ in ${shown.replace(/[\\[\]]/g, '\\$&')}\\n$`));
    const warning = init.stderr.split('\n').find((line) => line.startsWith('keyhold: warning:'));
    expect(warning).toContain(`can write to ${shown} (mode 777)`);

    const doctor = await keyhold(['doctor'], { env });
    expect(doctor.code).toBe(8);
    expect(doctor.stdout).toContain(`Files:        Other users of this computer can write to ${shown} (mode 777)`);
    expect(doctor.stdout.match(/^Header:/gm)).toHaveLength(1);
    for (const text of [init.stdout, init.stderr, doctor.stdout, doctor.stderr]) expect(text).not.toContain('\x1b');
  });
});
