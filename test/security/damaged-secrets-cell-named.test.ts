import { describe, expect, it } from 'vitest';
import { examine } from '../../src/core/vault/doctor';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell } from './tamper';

const cleanups = useCleanups();

// A damaged sector in one profile's values: listings cannot show it (they read the listing cell,
// which is intact), `show` and `run` fail with exit 8, and doctor listed a row id and "profile".
// A person who then removed it still saw the same line, with nothing saying it was now in the
// trash and had to be emptied from there. Doctor now names the item and where it is, and says
// what makes the damage go away.
describe('doctor on a damaged profile values cell', () => {
  it('names the profile, says when it is in the trash, and how to be rid of it', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const bad = v.vault.profiles.create({ agentId: 'crm', name: 'prod', authData: { K: 'lost' } });
    v.vault.close();
    flipCell(v.dir, 'profiles', 'secrets', 'id = ?', bad.id);
    const env = { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD };

    const first = await keyhold(['doctor'], { env });
    expect(first.code).toBe(8);
    expect(first.stdout).toContain(`profiles  ${bad.id}  secrets  profile crm/prod\n`);
    expect(first.stdout).toContain('goes away once removed ("keyhold profile rm ID", "keyhold byok rm KIND") and emptied from the trash');

    expect((await keyhold(['profile', 'rm', bad.id], { env })).code).toBe(0);
    const vault = Vault.open(v.dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    expect(examine(vault).damaged).toEqual([{ table: 'profiles', rowId: bad.id, column: 'secrets', item: 'profile', name: 'crm/prod', trashed: true }]);
    vault.close();
    expect((await keyhold(['doctor'], { env })).stdout).toContain('profile crm/prod (in the trash)');

    expect((await keyhold(['trash', 'purge', bad.id, '--yes'], { env })).code).toBe(0);
    const clean = await keyhold(['doctor'], { env });
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toContain('no damaged cells');
  });
});
