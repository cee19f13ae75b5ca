import { describe, expect, it } from 'vitest';
import { addContact, listContacts } from '../../src/core/share/contacts';
import { importFile } from '../../src/core/share/exchange';
import { generateSigningKey } from '../../src/core/share/signature';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { expectKeyholdError } from '../fixtures/share/samples';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Accident / social engineering: "add me as a contact" with a pasted signing key that is in fact
// Ann's (a copy-paste slip, or Mallory sending Ann's `keyhold identity` output as hers). Both
// contacts were kept, and a bundle signed with that key was shown as signed by whichever name
// sorted first: "Ann" or "Aaron", the person reading the preview could not tell.

const bob = useReceiver();

describe('a signing key given to a second contact', () => {
  it('is refused, naming the contact that holds it, and nothing is added', async () => {
    const ann = generateSigningKey();
    const me = await vaultIdentity(bob.vault);
    const signingKey = ann.publicKey.toString('base64');
    addContact(bob.vault, { name: 'Ann', recipient: me.recipient, signingKey });
    const error = await expectKeyholdError(
      () => addContact(bob.vault, { name: 'Aaron', recipient: me.recipient, signingKey }),
      'Conflict',
      /already the contact "Ann"'s/,
    );
    expect(error.field).toBe('signingKey');
    expect(listContacts(bob.vault).map((c) => c.name)).toEqual(['Ann']);

    // So a bundle signed with it can only be Ann's.
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'a', name: 'p', authData: { K: 'v-0123456789' }, saveSession: false }], {
      signingKey: ann.privateKey,
    });
    expect((await importFile(bob.vault, path, { dryRun: true })).preview.signer.contact).toBe('Ann');
  });

  it('a second contact with the same recipient but no signing key, or another key, is still fine', async () => {
    const me = await vaultIdentity(bob.vault);
    addContact(bob.vault, { name: 'Ann', recipient: me.recipient, signingKey: generateSigningKey().publicKey.toString('base64') });
    addContact(bob.vault, { name: 'Ann laptop', recipient: me.recipient });
    addContact(bob.vault, { name: 'Ann desktop', recipient: me.recipient, signingKey: generateSigningKey().publicKey.toString('base64') });
    expect(listContacts(bob.vault)).toHaveLength(3);
  });
});
