import { describe, expect, it } from 'vitest';
import { generateIdentity, recipientOf } from '../../src/core/share/age';
import { addContact, listContacts } from '../../src/core/share/contacts';
import { examine } from '../../src/core/vault/doctor';
import { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell } from './tamper';

const cleanups = useCleanups();

// Attack: one damaged byte in a contact. Before: every contact listing, and every import (which
// looks the signer up among the contacts), failed. Now: that contact is left out and the vault
// check lists it.
describe('a damaged contact cell', () => {
  it('leaves that contact out of listings; the others stay usable', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    const recipient = async () => recipientOf((await generateIdentity()).identity);
    const bad = addContact(v.vault, { name: 'Mallory', recipient: await recipient() });
    addContact(v.vault, { name: 'Bob', recipient: await recipient() });
    v.vault.close();
    flipCell(v.dir, 'contacts', 'body', 'id = ?', bad.id);
    const vault = Vault.open(v.dir);
    cleanups.push(() => vault.close());
    await vault.unlock(PASSWORD);
    expect(listContacts(vault).map((c) => c.name)).toEqual(['Bob']);
    expect(examine(vault).damaged).toEqual([{ table: 'contacts', rowId: bad.id, column: 'body', item: 'contact' }]);
  });
});
