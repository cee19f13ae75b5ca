import { describe, expect, it } from 'vitest';
import { addContact } from '../../src/core/share/contacts';
import { applyImport, importFile, openImport, previewImport, readBundleFile } from '../../src/core/share/exchange';
import { fingerprint, generateSigningKey } from '../../src/core/share/signature';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { expectKeyholdError } from '../fixtures/share/samples';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Attack: anyone who knows your age recipient (it is public) can encrypt a signed bundle to you.
// Without a check on WHO signed it, "signed" means nothing: the import would apply a stranger's
// profiles as readily as a teammate's.

const bob = useReceiver();

const profile = { agentId: 'agent', name: 'prod', authData: { API_KEY: 'sk-stranger-0123456789' }, saveSession: false };

describe('an import signed by a key that is not a contact', () => {
  it('is refused unless the signer is trusted for this import, and the preview says who signed', async () => {
    const stranger = generateSigningKey();
    const path = await hostileBundle(bob.vault, bob.dir, [profile], { signingKey: stranger.privateKey });
    const opened = await openImport(bob.vault, await readBundleFile(path));
    const preview = previewImport(bob.vault, opened);
    expect(preview.signer).toMatchObject({ signed: true, trusted: false, contact: null, fingerprint: fingerprint(stranger.publicKey) });

    const error = await expectKeyholdError(() => applyImport(bob.vault, opened, preview), 'UntrustedSigner', new RegExp(fingerprint(stranger.publicKey)));
    expect(error.field).toBe('trustSigner');
    expect(bob.vault.profiles.list()).toEqual([]);

    applyImport(bob.vault, opened, preview, { trustSigner: true });
    expect(bob.vault.profiles.list().map((p) => p.name)).toEqual(['prod']);
    expect(bob.vault.audit.list({ limit: 100 }).find((e) => e.event === 'bundle_imported')?.detail).toMatchObject({
      knownSigner: false,
      signerTrustedForImport: true,
    });
  });

  it('a contact with that signing key, or this vault itself, needs no extra step', async () => {
    const teammate = generateSigningKey();
    const me = await vaultIdentity(bob.vault);
    addContact(bob.vault, { name: 'Ann', recipient: me.recipient, signingKey: teammate.publicKey.toString('base64') });
    const path = await hostileBundle(bob.vault, bob.dir, [profile], { signingKey: teammate.privateKey });
    const { result } = await importFile(bob.vault, path);
    expect(result?.profiles.created).toBe(1);
  });
});
