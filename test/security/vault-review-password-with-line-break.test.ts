import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { PASSWORD, tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';

const cleanups = useCleanups();
const FROM_A_WINDOWS_FILE = 'seven unrelated words make a good password\r';

// A tired user scripts `KEYHOLD_PASSWORD=$(cat pw.txt) keyhold init`, pw.txt written on Windows: the
// shell strips the LF and keeps the CR. Before: the vault was made under a password ending in CR,
// which no prompt can ever take (Enter ends it), so it opened only from that environment.
describe('a new master password with a line break in it', () => {
  it('init refuses it (exit 2) and makes nothing; without the CR it works', async () => {
    const t = tempDir('keyhold-crlf-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    for (const password of [FROM_A_WINDOWS_FILE, 'seven unrelated words make a good password\r\n', 'seven unrelated\nwords make a good password']) {
      const r = await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env: { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: password } });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'keyhold: The new master password holds a line break (CR or LF, as text from a file often ends with): no prompt could ever take it. Nothing was changed.\n',
      );
      expect(existsSync(dir)).toBe(false);
    }
    const ok = await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], {
      env: { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: FROM_A_WINDOWS_FILE.trimEnd() },
    });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('passwd refuses it (exit 2): the old password still opens the vault', async () => {
    const v = await cliVault('keyhold-crlf-passwd-');
    cleanups.push(v.cleanup);
    const crlf = await keyhold(['passwd'], { env: { ...v.env, KEYHOLD_NEW_PASSWORD: FROM_A_WINDOWS_FILE } });
    expect(crlf.code).toBe(2);
    expect(crlf.stderr).toContain('The new master password holds a line break');
    expect(crlf.stderr).not.toContain(PASSWORD);
    expect((await v.run(['profile', 'list'])).code).toBe(0);
  });
});
