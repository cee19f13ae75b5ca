import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { PASSWORD, tempDir } from '../helpers/vault';

const cleanups = useCleanups();

// A tired user's script: `keyhold --vault "$VAULT_DIR" init` (or `profile add`) with VAULT_DIR unset
// or misspelt. Before: the empty name fell through to the default vault, silently: init made a vault
// in ~/.config/Keyhold/vault, and a secret added went into whatever vault lived there.
describe('--vault given an empty folder name', () => {
  it('is refused (exit 2), naming the mistake, and nothing is made or opened in the default place', async () => {
    const home = tempDir('keyhold-empty-vault-flag-');
    cleanups.push(home.cleanup);
    const env = { XDG_CONFIG_HOME: home.dir, KEYHOLD_PASSWORD: PASSWORD };
    for (const args of [
      ['--vault', '', 'init', '--kdf-memory', '1', '--kdf-iterations', '1'],
      ['--vault=', 'init', '--kdf-memory', '1', '--kdf-iterations', '1'],
      ['profile', 'list', '--vault', ''],
      ['--vault', '', 'doctor'],
    ]) {
      const r = await keyhold(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toBe('keyhold: --vault was given an empty folder name: name the vault folder, or leave --vault out for the default one.\n');
    }
    expect(existsSync(join(home.dir, 'Keyhold'))).toBe(false);
    // Without --vault the default place is used, as before.
    expect((await keyhold(['init', '--kdf-memory', '1', '--kdf-iterations', '1'], { env })).code).toBe(0);
    expect(existsSync(join(home.dir, 'Keyhold', 'vault', 'vault.sqlite'))).toBe(true);
  });
});
