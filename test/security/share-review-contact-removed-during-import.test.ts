import { describe, expect, it } from 'vitest';
import { addContact, removeContact } from '../../src/core/share/contacts';
import { applyImport, openImport, previewImport, readBundleFile } from '../../src/core/share/exchange';
import { generateSigningKey } from '../../src/core/share/signature';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { expectKeyholdError } from '../fixtures/share/samples';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Attack / accident: the preview says "Signed by: Ann", and while the person reads it (or while
// `keyhold import` waits at its [y/N] question) Ann's contact is removed, in the window or another
// shell, because her key leaked. The import then went ahead on the word of a contact who no longer
// is one: the vault had moved on, but only profiles and keys were compared, never the signer.

const bob = useReceiver();
const profile = { agentId: 'agent', name: 'prod', authData: { API_KEY: 'sk-ann-0123456789' }, saveSession: false };

async function previewFromAnn() {
  const ann = generateSigningKey();
  const me = await vaultIdentity(bob.vault);
  addContact(bob.vault, { name: 'Ann', recipient: me.recipient, signingKey: ann.publicKey.toString('base64') });
  const path = await hostileBundle(bob.vault, bob.dir, [profile], { signingKey: ann.privateKey });
  const opened = await openImport(bob.vault, await readBundleFile(path));
  const preview = previewImport(bob.vault, opened);
  expect(preview.signer).toMatchObject({ contact: 'Ann', trusted: true });
  return { ann, me, opened, preview };
}

describe('a contact removed between the preview of a bundle they signed and its apply', () => {
  it('stops the import: nothing is written, and the message says the signer changed', async () => {
    const { opened, preview } = await previewFromAnn();
    removeContact(bob.vault, 'Ann');
    const error = await expectKeyholdError(
      () => applyImport(bob.vault, opened, preview),
      'Conflict',
      /signer changed since the import preview.*"Ann".*no contact/,
    );
    expect(error.field).toBe('trustSigner');
    expect(bob.vault.profiles.list()).toEqual([]);
    expect(bob.vault.audit.list({ limit: 100 }).some((e) => e.event === 'bundle_imported')).toBe(false);
  });

  it('stops it too when the key now belongs to a contact of another name; an unchanged contact imports', async () => {
    const { ann, me, opened, preview } = await previewFromAnn();
    removeContact(bob.vault, 'Ann');
    addContact(bob.vault, { name: 'Mallory', recipient: me.recipient, signingKey: ann.publicKey.toString('base64') });
    await expectKeyholdError(() => applyImport(bob.vault, opened, preview), 'Conflict', /"Mallory"/);
    expect(bob.vault.profiles.list()).toEqual([]);

    const again = previewImport(bob.vault, opened);
    expect(applyImport(bob.vault, opened, again).profiles.created).toBe(1);
  });
});
