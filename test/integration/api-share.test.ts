import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportToFile, openImport } from '../../src/core/share/exchange';
import { encryptToRecipients } from '../../src/core/share/age';
import { createBundle } from '../../src/core/share/bundle';
import { serializeBundle } from '../../src/core/share/seal';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { useCleanups } from '../helpers/cleanup';
import { newVault } from '../helpers/vault';
import { FAST_SCRYPT } from '../fixtures/share/samples';
import { apiHarness, MASTER, shareApi } from './api-harness';

const cleanups = useCleanups();

async function setup() {
  const { h, dialog, dir } = await shareApi(cleanups);
  // The teammate: a second vault, driven through core.
  const bob = await newVault();
  cleanups.push(bob.cleanup);
  return { h, dialog, dir, bob: bob.vault };
}

describe('sharing through the router', () => {
  it('shows and copies the vault identity, and keeps contacts with inline field errors', async () => {
    const { h, bob } = await setup();
    const me = await h.ok('identityGet');
    expect(me.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(me.fingerprint.replaceAll('-', '')).toMatch(/^[A-Z2-7]{24}$/);
    expect(await h.ok('identityGet')).toEqual(me);
    expect(await h.ok('identityCopy', { part: 'recipient' })).toEqual({ clearsAfterSeconds: 30 });
    expect(h.copied).toEqual([me.recipient]);

    const theirs = await vaultIdentity(bob);
    const added = await h.ok('contactAdd', { name: 'bob', recipient: theirs.recipient, signingKey: theirs.signingPublicKey });
    expect(added).toMatchObject({ name: 'bob', recipient: theirs.recipient, fingerprint: theirs.fingerprint });
    expect(await h.call('contactAdd', { name: 'bob', recipient: theirs.recipient })).toMatchObject({ ok: false, error: { code: 'Conflict', field: 'name' } });
    expect(await h.call('contactAdd', { name: 'age1x', recipient: theirs.recipient })).toMatchObject({ ok: false, error: { code: 'BadInput', field: 'name' } });
    expect(await h.call('contactAdd', { name: 'eve', recipient: 'AGE-SECRET-KEY-1QQQ' })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'recipients', message: expect.stringContaining('is a secret key') },
    });
    expect(await h.call('contactAdd', { name: 'eve', recipient: theirs.recipient, signingKey: 'short' })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'signingKey' },
    });
    expect((await h.ok('contactsList')).map((c) => c.name)).toEqual(['bob']);
    expect(await h.ok('contactDelete', { name: 'bob' })).toMatchObject({ name: 'bob' });
    expect(await h.ok('contactsList')).toEqual([]);
    expect(await h.call('contactDelete', { name: 'bob' })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
  });

  it('exports to a contact through the save dialog, 0600, and the teammate can open it; cancel writes nothing', async () => {
    const { h, dialog, dir, bob } = await setup();
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'hunter2-secret' } });
    await h.ok('profileCreate', { agentId: 'crm', name: 'staging', authData: { USER: 'ann' } });
    const theirs = await vaultIdentity(bob);
    await h.ok('contactAdd', { name: 'bob', recipient: theirs.recipient });

    // Mistakes the person can fix in the form are refused before any dialog opens.
    expect(await h.call('shareExport', { select: [], target: { recipients: ['bob'] } })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'select' },
    });
    expect(await h.call('shareExport', { select: ['crm/prod'], target: { recipients: ['carol'] } })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await h.call('shareExport', { select: ['crm/nope'], target: { recipients: ['bob'] } })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(dialog.asked).toEqual([]);

    expect(await h.call('shareExport', { select: ['crm/prod'], target: { recipients: ['bob'] } })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(dialog.asked).toHaveLength(1);
    expect(dialog.asked[0]).toMatch(/^save keyhold-export-\d{4}-\d{2}-\d{2}\.age$/);

    const out = join(dir, 'team.age');
    dialog.saves.push(out);
    const summary = await h.ok('shareExport', { select: ['crm/prod'], target: { recipients: ['bob'] }, armor: true });
    expect(summary).toMatchObject({ path: out, profiles: 1, recipients: 1, passphrase: false, armor: true, tokensIncluded: false });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(readFileSync(out, 'utf8')).not.toContain('hunter2');

    const opened = await openImport(bob, readFileSync(out));
    expect(opened.bundle.items.profiles).toEqual([{ agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'hunter2-secret' }, saveSession: false }]);
    expect(opened.signer.fingerprint).toBe((await h.ok('identityGet')).fingerprint);

    // An existing file is never overwritten, even when the dialog offered it.
    dialog.saves.push(out);
    expect(await h.call('shareExport', { select: 'all', target: { recipients: [theirs.recipient] } })).toMatchObject({
      ok: false,
      error: { code: 'Conflict' },
    });

    const locked = join(dir, 'pass.age');
    dialog.saves.push(locked);
    expect(await h.ok('shareExport', { select: 'all', target: { passphrase: 'open sesame' } })).toMatchObject({ profiles: 2, passphrase: true, recipients: 0 });
    expect((await openImport(bob, readFileSync(locked), { passphrase: 'open sesame' })).bundle.items.profiles).toHaveLength(2);
    expect((await h.ok('auditList', { event: 'bundle_exported', limit: 10 })).length).toBe(2);
  });

  it('imports with a preview and a conflict policy, applies once, and drops the handle after apply and at lock', async () => {
    const { h, dialog, dir, bob } = await setup();
    const me = await h.ok('identityGet');
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'old-secret-value' }, draft: true });
    bob.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: 'bobs-secret-value', EXTRA: 'extra-secret-value' } });
    bob.profiles.create({ agentId: 'crm', name: 'staging', authData: { USER: 'bob' } });
    const file = join(dir, 'from-bob.age');
    await exportToFile(bob, file, { all: true, target: { recipients: [me.recipient] } });

    expect(await h.call('shareImportChoose')).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    dialog.opens.push(file);
    const chosen = await h.ok('shareImportChoose');
    expect(chosen).toMatchObject({ name: 'from-bob.age', bytes: statSync(file).size });
    expect(JSON.stringify(chosen)).not.toContain(dir);

    const opened = await h.ok('shareImportOpen', { file: chosen.file });
    expect(opened.signer).toMatchObject({ signed: true, contact: null, self: false, trusted: false });
    expect(opened.preview.policy).toBe('skip');
    expect(opened.preview.profiles.map((p) => [p.name, p.status, p.action])).toEqual([
      ['prod', 'differs', 'skip'],
      ['staging', 'new', 'create'],
    ]);
    expect(opened.preview.profiles[0]?.diff).toMatchObject({ changed: ['PASS'], added: ['EXTRA'], removed: [] });
    expect(opened.preview.warnings.join(' ')).toContain('not one of your contacts');
    // Names only: the values stay in main.
    expect(JSON.stringify(opened)).not.toContain('secret-value');

    const keepBoth = await h.ok('shareImportPreview', { handle: opened.handle, onConflict: 'keep-both' });
    expect(keepBoth.profiles[0]).toMatchObject({ action: 'create', importedAs: 'prod (imported)' });
    // Apply must match what was shown last.
    expect(await h.call('shareImportApply', { handle: opened.handle, onConflict: 'overwrite' })).toMatchObject({ ok: false, error: { code: 'Conflict' } });

    // A signer who is not a contact is trusted only by a deliberate step, after comparing the fingerprint.
    expect(await h.call('shareImportApply', { handle: opened.handle, onConflict: 'keep-both' })).toMatchObject({
      ok: false,
      error: { code: 'UntrustedSigner', field: 'trustSigner' },
    });
    const result = await h.ok('shareImportApply', { handle: opened.handle, onConflict: 'keep-both', trustSigner: true });
    expect(result).toMatchObject({ profiles: { created: 2, updated: 0, skipped: 0 }, state: 'pending' });
    const list = await h.ok('profilesList', {});
    expect(list.map((p) => [p.name, p.syncState]).sort()).toEqual([
      ['prod (imported)', 'pending'],
      ['prod', 'draft'],
      // New without a token under Bob's own agent and name: a draft, so it cannot replace his remote profile unasked.
      ['staging', 'draft'],
    ]);
    expect(await h.call('shareImportPreview', { handle: opened.handle })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await h.call('shareImportOpen', { file: chosen.file })).toMatchObject({ ok: false, error: { code: 'NotFound' } });

    // A bundle opened before a lock is gone after it.
    dialog.opens.push(file);
    const again = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file });
    await h.ok('vaultLock');
    expect(await h.call('shareImportPreview', { handle: again.handle })).toMatchObject({ ok: false, error: { code: 'VaultLocked' } });
    await h.ok('vaultUnlock', { password: MASTER });
    expect(await h.call('shareImportPreview', { handle: again.handle, onConflict: 'overwrite' })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await h.call('shareImportApply', { handle: again.handle })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect((await h.ok('profilesList', {})).length).toBe(3);
  });

  it('names a signing contact, and a bad file, a wrong passphrase or an unsigned refusal change nothing', async () => {
    const { h, dialog, dir, bob } = await setup();
    const me = await h.ok('identityGet');
    const theirs = await vaultIdentity(bob);
    await h.ok('contactAdd', { name: 'bob', recipient: theirs.recipient, signingKey: theirs.signingPublicKey });
    bob.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'bob' } });

    const good = join(dir, 'good.age');
    await exportToFile(bob, good, { all: true, target: { recipients: [me.recipient] } });
    dialog.opens.push(good);
    const opened = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file });
    expect(opened.signer).toMatchObject({ signed: true, contact: 'bob', fingerprint: theirs.fingerprint });

    const protectedFile = join(dir, 'pass.age');
    await exportToFile(bob, protectedFile, { all: true, target: { passphrase: 'right one' }, scryptWorkFactor: FAST_SCRYPT });
    dialog.opens.push(protectedFile);
    const chosen = await h.ok('shareImportChoose');
    expect(await h.call('shareImportOpen', { file: chosen.file })).toMatchObject({ ok: false, error: { code: 'DecryptFailed', field: 'passphrase' } });
    expect(await h.call('shareImportOpen', { file: chosen.file, passphrase: 'wrong one' })).toMatchObject({
      ok: false,
      error: { code: 'DecryptFailed', field: 'passphrase', message: 'Wrong passphrase for this file.' },
    });
    // The chosen file stays open for another try.
    expect((await h.ok('shareImportOpen', { file: chosen.file, passphrase: 'right one' })).preview.counts.profiles.new).toBe(1);

    // Unsigned: refused unless the person says otherwise, and then flagged.
    const unsigned = join(dir, 'unsigned.age');
    const plain = serializeBundle(
      createBundle({ tokensIncluded: false, items: { profiles: [{ agentId: 'crm', name: 'anon', authData: { USER: 'x' }, saveSession: false }] } }) as never,
    );
    writeFileSync(unsigned, await encryptToRecipients(plain, [me.recipient]));
    dialog.opens.push(unsigned);
    const anon = await h.ok('shareImportChoose');
    expect(await h.call('shareImportOpen', { file: anon.file })).toMatchObject({ ok: false, error: { code: 'Unsigned' } });
    const allowed = await h.ok('shareImportOpen', { file: anon.file, allowUnsigned: true });
    expect(allowed.signer).toMatchObject({ signed: false, fingerprint: null });
    expect(allowed.preview.warnings[0]).toContain('NOT signed');

    const damaged = join(dir, 'damaged.age');
    const bytes = readFileSync(good);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
    writeFileSync(damaged, bytes);
    dialog.opens.push(damaged);
    expect(await h.call('shareImportOpen', { file: (await h.ok('shareImportChoose')).file })).toMatchObject({ ok: false, error: { code: 'BundleInvalid' } });

    const junk = join(dir, 'junk.age');
    writeFileSync(junk, 'not an age file at all\n');
    dialog.opens.push(junk);
    expect(await h.call('shareImportOpen', { file: (await h.ok('shareImportChoose')).file })).toMatchObject({ ok: false, error: { code: 'BundleInvalid' } });

    dialog.opens.push(join(dir, 'missing.age'));
    expect(await h.call('shareImportChoose')).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(existsSync(join(dir, 'missing.age'))).toBe(false);

    expect(await h.ok('profilesList', {})).toEqual([]);
    expect(await h.ok('auditList', { event: 'bundle_imported', limit: 10 })).toEqual([]);
    expect(await h.call('shareImportOpen', { file: '0'.repeat(32) })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
  });

  it('refuses file dialogs where there is no desktop to show them', async () => {
    const h = apiHarness();
    cleanups.push(() => h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann' } });
    const me = await h.ok('identityGet');
    expect(await h.call('shareExport', { select: 'all', target: { recipients: [me.recipient] } })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(await h.call('shareImportChoose')).toMatchObject({ ok: false, error: { code: 'BadInput' } });
  });
});
