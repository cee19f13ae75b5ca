import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimatePasswordStrength } from '../../src/shared/password-strength';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();
const KDF = ['--kdf-memory', '1', '--kdf-iterations', '1'];

// Attack: a master password from the top of every cracking list. The KDF only slows guessing;
// "password1234" falls in the first thousand guesses. Before: init and passwd took anything of
// 10 characters. Now: a password the estimator scores below 3 of 4 is refused unless the person
// passes --weak-password.
describe('a weak master password', () => {
  it('the estimator scores common passwords weak and passphrases strong', async () => {
    for (const weak of ['password1234', 'qwertyuiop123', 'aaaaaaaaaaaa', 'iloveyou2024']) {
      expect((await estimatePasswordStrength(weak)).weak, weak).toBe(true);
    }
    expect((await estimatePasswordStrength(PASSWORD)).weak).toBe(false);
  });

  it('init refuses it (exit 2, nothing created) unless --weak-password', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'vault');
    const env = { KEYHOLD_VAULT: dir, KEYHOLD_PASSWORD: 'password1234' };
    const r = await keyhold(['init', ...KDF], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too easy to guess/);
    expect(r.stderr).toContain('--weak-password');
    expect(r.stderr).not.toContain('password1234');
    expect(existsSync(join(dir, 'vault.sqlite'))).toBe(false);
    expect((await keyhold(['init', ...KDF, '--weak-password'], { env })).code).toBe(0);
  });

  it('passwd refuses it and the old password keeps working; --weak-password accepts it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const env = { KEYHOLD_VAULT: join(t.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
    expect((await keyhold(['init', ...KDF], { env })).code).toBe(0);
    const r = await keyhold(['passwd'], { env: { ...env, KEYHOLD_NEW_PASSWORD: 'letmein12345' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--weak-password');
    expect((await keyhold(['profile', 'list'], { env })).code).toBe(0);
    expect((await keyhold(['passwd', '--weak-password'], { env: { ...env, KEYHOLD_NEW_PASSWORD: 'letmein12345' } })).code).toBe(0);
    expect((await keyhold(['profile', 'list'], { env: { ...env, KEYHOLD_PASSWORD: 'letmein12345' } })).code).toBe(0);
  });
});
