import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportQuestion } from '../../src/core/api/questions';
import { encryptToRecipients, generateIdentity } from '../../src/core/share/age';
import { createBundle } from '../../src/core/share/bundle';
import { exportToFile } from '../../src/core/share/exchange';
import { serializeBundle } from '../../src/core/share/seal';
import { vaultIdentity } from '../../src/core/share/vault-keys';
import { useCleanups } from '../helpers/cleanup';
import { newVault, tempDir } from '../helpers/vault';
import { FAST_SCRYPT } from '../fixtures/share/samples';
import { apiHarness, fakeFileDialog, MASTER } from '../integration/api-harness';

// Attack (a compromised window: a script in the page that can make every IPC call, with no network
// of its own): it needs no network when the person carries the secrets out for it.
// - contactAdd made the attacker a contact under a teammate's name: exports to "Ann" were then
//   readable with the attacker's key, and bundles the attacker signed imported without a question.
// - shareExport took any age key (or a passphrase baked into the script) in place of, or beside,
//   the recipients the person chose; the save dialog, the only thing main showed, named no one, so
//   the person saved the file to the team's shared folder as usual.
// - shareImportApply with trustSigner (or an unsigned file opened with allowUnsigned) imported a
//   stranger's bundle the person had opened to look at.
// - profileCreate, profileEdit and shareImportApply took allowEnv, which the window never offers:
//   the page could give a profile a new NODE_OPTIONS (`--import=data:…`) that the person's
//   habitual `keyhold run --allow-env NODE_OPTIONS` would then start as code.
// Now the first three are asked in main's own dialog, which names who can read or who signed, and
// allowances are refused from the window.

const cleanups = useCleanups();
const SECRET = 'hunter2-secret-0001';

async function setup() {
  const dialog = fakeFileDialog();
  const files = tempDir('keyhold-sec-trust-');
  cleanups.push(files.cleanup);
  const h = apiHarness({ fileDialog: dialog.port, shareScryptWorkFactor: FAST_SCRYPT });
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: SECRET } });
  const ann = await newVault();
  cleanups.push(ann.cleanup);
  h.confirmations.asked.length = 0;
  return { h, dialog, dir: files.dir, ann: ann.vault };
}

describe('a window that makes trust decisions for the person', () => {
  it('adding a contact asks in main’s dialog, naming the key and the signing fingerprint; Cancel adds nothing', async () => {
    const { h } = await setup();
    const attacker = await newVault();
    cleanups.push(attacker.cleanup);
    const theirs = await vaultIdentity(attacker.vault);
    h.confirmations.answer = false;
    expect(await h.call('contactAdd', { name: 'Ann', recipient: theirs.recipient, signingKey: theirs.signingPublicKey })).toMatchObject({
      ok: false,
      error: { code: 'Cancelled' },
    });
    expect(await h.ok('contactsList')).toEqual([]);
    expect(h.confirmations.asked).toEqual([{ message: 'Add Ann as a contact?', detail: expect.stringContaining(theirs.recipient) }]);
    expect(h.confirmations.asked[0]?.detail).toContain(theirs.fingerprint);
    // A contact that cannot be added is refused before anything is asked.
    expect(await h.call('contactAdd', { name: 'Eve', recipient: 'age1nope' })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(h.confirmations.asked).toHaveLength(1);
  });

  it('an export asks before the save dialog, naming every recipient; Cancel writes nothing and opens no save dialog', async () => {
    const { h, dialog, dir, ann } = await setup();
    const annId = await vaultIdentity(ann);
    await h.ok('contactAdd', { name: 'Ann', recipient: annId.recipient });
    h.confirmations.asked.length = 0;
    const attacker = await generateIdentity();
    const out = join(dir, 'team.age');
    dialog.saves.push(out);
    h.confirmations.answer = false;

    // The person chose Ann; the page adds its own key beside her.
    const sent = await h.call('shareExport', { select: 'all', includeTokens: true, target: { recipients: ['Ann', attacker.recipient] } });
    expect(sent).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(dialog.asked).toEqual([]);
    expect(existsSync(out)).toBe(false);
    expect(h.confirmations.asked).toEqual([{ message: 'Encrypt this export to Ann and 1 key that is not a contact?', detail: expect.any(String) }]);
    const { detail } = h.confirmations.asked[0] as { detail: string };
    expect(detail).toContain(`Ann (${annId.recipient})`);
    expect(detail).toContain(`${attacker.recipient} (not a contact)`);
    expect(detail).toContain('It holds 1 profile.');

    // A passphrase the page chose is asked about too.
    h.confirmations.asked.length = 0;
    expect(await h.call('shareExport', { select: ['crm/prod'], target: { passphrase: 'baked into the script' } })).toMatchObject({
      ok: false,
      error: { code: 'Cancelled' },
    });
    expect(h.confirmations.asked.map((q) => q.message)).toEqual(['Encrypt this export with the passphrase typed in the window?']);

    // Yes: the save dialog opens and the file is written to the recipients named.
    h.confirmations.answer = true;
    expect(await h.ok('shareExport', { select: 'all', target: { recipients: ['Ann'] } })).toMatchObject({ path: out, recipients: 1 });
    expect(readFileSync(out).length).toBeGreaterThan(0);
  });

  it('trusting an unknown signer, or importing an unsigned file, asks; Cancel imports nothing', async () => {
    const { h, dialog, dir, ann } = await setup();
    const me = await h.ok('identityGet');
    const annId = await vaultIdentity(ann);
    ann.profiles.create({ agentId: 'crm', name: 'from-ann', authData: { USER: 'ann' } });
    const signed = join(dir, 'signed.age');
    await exportToFile(ann, signed, { all: true, target: { recipients: [me.recipient] } });
    const unsigned = join(dir, 'unsigned.age');
    const plain = serializeBundle(
      createBundle({ tokensIncluded: false, items: { profiles: [{ agentId: 'crm', name: 'anon', authData: { USER: 'x' }, saveSession: false }] } }) as never,
    );
    writeFileSync(unsigned, await encryptToRecipients(plain, [me.recipient]));
    h.confirmations.answer = false;

    dialog.opens.push(signed);
    const opened = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file });
    expect(opened.signer).toMatchObject({ signed: true, trusted: false });
    const apply = { handle: opened.handle, onConflict: 'skip', draft: false } as const;
    expect(await h.call('shareImportApply', { ...apply, trustSigner: true })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(h.confirmations.asked).toEqual([
      { message: 'Import a file signed by a key you have not trusted?', detail: expect.stringContaining(annId.fingerprint) },
    ]);

    dialog.opens.push(unsigned);
    const anon = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file, allowUnsigned: true });
    expect(await h.call('shareImportApply', { handle: anon.handle, onConflict: 'skip', draft: false })).toMatchObject({
      ok: false,
      error: { code: 'Cancelled' },
    });
    expect(h.confirmations.asked.map((q) => q.message)).toContain('Import a file that nobody signed?');
    expect((await h.ok('profilesList', {})).map((p) => p.name)).toEqual(['prod']);

    // A yes imports; a signer the vault already trusts (a contact) asks nothing.
    h.confirmations.answer = true;
    expect(await h.ok('shareImportApply', { handle: anon.handle, onConflict: 'skip', draft: false })).toMatchObject({ profiles: { created: 1 } });
    await h.ok('contactAdd', { name: 'Ann', recipient: annId.recipient, signingKey: annId.signingPublicKey });
    h.confirmations.asked.length = 0;
    dialog.opens.push(signed);
    const fromContact = await h.ok('shareImportOpen', { file: (await h.ok('shareImportChoose')).file });
    await h.ok('shareImportApply', { handle: fromContact.handle, onConflict: 'skip', draft: false, trustSigner: true });
    expect(h.confirmations.asked).toEqual([]);
  });

  it('allowances for keys that run code are refused from the window, whatever main’s dialog would say', async () => {
    const { h } = await setup();
    const payload = '--import=data:text/javascript,import("node:child_process")';
    expect(await h.call('profileCreate', { agentId: 'crm', name: 'dev', authData: { NODE_OPTIONS: payload }, allowEnv: ['NODE_OPTIONS'] })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'allowEnv' },
    });
    expect(await h.call('profileEdit', { ref: 'crm/prod', patch: { set: { NODE_OPTIONS: payload }, allowEnv: ['NODE_OPTIONS'] } })).toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'allowEnv' },
    });
    const prod = await h.ok('profileGet', { ref: 'crm/prod' });
    expect(prod.keys).toEqual(['USER', 'PASS']);
    expect((await h.ok('profilesList', {})).map((p) => p.name)).toEqual(['prod']);
    expect(h.confirmations.asked).toEqual([]);
  });
});

describe('what main’s export question says', () => {
  it('counts profiles, Kura tokens and BYOK keys, and names every key in full', () => {
    const key = `age1${'q'.repeat(58)}`;
    const q = exportQuestion({ profiles: 3, tokens: 2, byokKeys: 1, recipients: [{ recipient: key, contact: 'Ann' }] });
    expect(q.message).toBe('Encrypt this export to Ann?');
    expect(q.detail).toBe(
      `It holds 3 profiles with 2 Kura tokens and 1 BYOK key. Whoever holds the private key of one of these can read it: Ann (${key}). You choose where to save it next.`,
    );
  });
});
