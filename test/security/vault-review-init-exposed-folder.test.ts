import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { permissionProblem } from '../../src/core/vault/permissions';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();
const INIT = ['init', '--kdf-memory', '1', '--kdf-iterations', '1'];

function folder(mode: number): { dir: string; root: string } {
  const t = tempDir('keyhold-exposed-');
  cleanups.push(t.cleanup);
  const dir = join(t.dir, 'shared');
  mkdirSync(dir);
  chmodSync(dir, mode);
  return { dir, root: t.dir };
}

// A tired user points init at a folder that is there already: a shared 0777 one (/tmp/shared), or one
// in another user's home (through a link or not). Before: init said nothing (the folder keeps its
// modes and owner), and an owner other than the user was never named by any command: that user can
// swap the vault for an older copy, or read it, whatever the modes say.
describe('init into a folder others can get at', () => {
  it('warns on standard error at once, naming the folder and its mode; the vault is still made', async () => {
    const { dir } = folder(0o777);
    const r = await keyhold(['--vault', dir, ...INIT], { env: { KEYHOLD_PASSWORD: PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `keyhold: warning: Other users of this computer can write to ${dir} (mode 777), so they could replace the vault with an older copy. Fix it with "chmod go-rwx" on it.\n`,
    );
    expect(r.stderr).not.toContain(PASSWORD);
    const quiet = folder(0o700);
    expect((await keyhold(['--vault', quiet.dir, ...INIT], { env: { KEYHOLD_PASSWORD: PASSWORD } })).stderr).not.toContain('warning');
  });

  it('names a folder another user owns, also through a link, for doctor and every command', async () => {
    const { dir, root } = folder(0o700);
    const link = join(root, 'link');
    symlinkSync(dir, link);
    const me = process.getuid?.() as number;
    // Another user's folder: as the administrator the test gives it away; otherwise it asks as if it
    // were another user, whose folder this one then is.
    if (me === 0) chownSync(dir, 65534, 65534);
    const asUid = me === 0 ? 0 : me + 1;
    const owner = me === 0 ? 65534 : me;
    for (const path of [dir, link]) {
      expect(permissionProblem(path, 'linux', asUid)).toBe(
        `${path} belongs to another user of this computer (uid ${owner}), who can read the vault or replace it with an older copy whatever its modes say. Keep the vault in a folder of your own.`,
      );
      expect(permissionProblem(path, 'win32', asUid)).toBeNull();
    }
    expect(permissionProblem(dir, 'linux', owner)).toBeNull();
    if (me === 0) {
      const init = await keyhold(['--vault', link, ...INIT], { env: { KEYHOLD_PASSWORD: PASSWORD } });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stderr).toContain(`keyhold: warning: ${link} belongs to another user of this computer (uid 65534)`);
      const doctor = await keyhold(['--vault', link, 'doctor', '--json'], { env: { KEYHOLD_PASSWORD: PASSWORD } });
      expect(doctor.code).toBe(8);
      expect(doctor.json<{ files: { ok: boolean; problem: string } }>().files).toEqual({
        ok: false,
        problem: expect.stringContaining(`${link} belongs to another user`),
      });
    }
  });
});
