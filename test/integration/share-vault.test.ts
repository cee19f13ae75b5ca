import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptToRecipients, generateIdentity } from '../../src/core/share/age';
import { createBundle } from '../../src/core/share/bundle';
import type { BundleContent } from '../../src/core/share/bundle';
import { addContact, findContact, listContacts, removeContact, resolveRecipients } from '../../src/core/share/contacts';
import { applyImport, exportToFile, importFile, openImport, previewImport, sealExport } from '../../src/core/share/exchange';
import type { ImportFileOptions } from '../../src/core/share/exchange';
import { readBundle, serializeBundle } from '../../src/core/share/seal';
import { fingerprint, generateSigningKey, signBundle, signingPublicKey } from '../../src/core/share/signature';
import { loadVaultKeys, vaultIdentity } from '../../src/core/share/vault-keys';
import { dbPath } from '../../src/core/vault/db';
import type { Vault } from '../../src/core/vault/vault';
import { FAST_SCRYPT, expectKeyholdError } from '../fixtures/share/samples';
import { PASSWORD, newVault, tempDir } from '../helpers/vault';

const AGE = process.env.AGE_PATH ?? '/usr/bin/age';
const SECRET = 'sk-ant-api03-SECRETVALUE-never-in-a-preview';
const BYOK_KEY = `sk-ant-api03-${'b'.repeat(40)}`;

let alice: Vault;
let bob: Vault;
let files: ReturnType<typeof tempDir>;
const cleanups: (() => void)[] = [];
let n = 0;
const out = (name = 'bundle.age') => join(files.dir, `${n++}-${name}`);

beforeEach(async () => {
  const a = await newVault();
  const b = await newVault();
  files = tempDir('keyhold-share-files-');
  cleanups.push(a.cleanup, b.cleanup, files.cleanup);
  alice = a.vault;
  bob = b.vault;
  alice.agents.set({ agentId: 'crm', args: ['USER', 'PASS', 'OTP'] });
  alice.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'ann', PASS: SECRET }, saveSession: true });
  alice.profiles.create({ agentId: 'crm', name: 'staging', authData: { USER: 'ann', PASS: 'stage-pass' } });
  alice.profiles.create({ agentId: 'claude-code', name: 'team', authData: { ANTHROPIC_API_KEY: 'sk-ant-team' } });
  alice.byok.set({ kind: 'claude-code', provider: 'anthropic', apiKey: BYOK_KEY });
});

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const bobRecipient = async () => (await vaultIdentity(bob)).recipient;

async function exportAliceToBob(options: { select?: string[]; includeTokens?: boolean; withByok?: boolean; armor?: boolean } = {}): Promise<string> {
  const path = out();
  await exportToFile(alice, path, { all: options.select === undefined, ...options, target: { recipients: [await bobRecipient()] } });
  return path;
}

const summaries = (v: Vault) =>
  v.profiles.list().map(({ agentId, name, keys, syncState, hasToken, version }) => ({ agentId, name, keys, syncState, hasToken, version }));
const values = (v: Vault, ref: string) => v.profiles.get(ref, { reveal: true }).authData;
const auditCount = (v: Vault) => v.audit.list({ limit: 100_000 }).length;

describe('vault keys', () => {
  it('are created on first use, kept encrypted, and stable across lock and unlock', async () => {
    expect((bob.db.prepare('SELECT COUNT(*) AS n FROM vault_keys').get() as { n: number }).n).toBe(0);
    const first = await loadVaultKeys(bob);
    expect(first.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    const row = bob.db.prepare('SELECT body FROM vault_keys WHERE id = 1').get() as { body: Buffer };
    expect(row.body.includes(Buffer.from(first.ageIdentity))).toBe(false);
    expect(row.body.includes(first.signingKey.privateKey.toString('base64'))).toBe(false);

    bob.lock();
    await bob.unlock(PASSWORD);
    const again = await loadVaultKeys(bob);
    expect(again.ageIdentity).toBe(first.ageIdentity);
    expect(again.signingKey.publicKey.equals(first.signingKey.publicKey)).toBe(true);
    const shown = await vaultIdentity(bob);
    expect(shown).toEqual({
      recipient: first.recipient,
      signingPublicKey: first.signingKey.publicKey.toString('base64'),
      fingerprint: fingerprint(first.signingKey.publicKey),
    });
    expect(JSON.stringify(shown)).not.toContain('AGE-SECRET-KEY');
  });

  it('two vaults get different keys, and a locked vault gives none', async () => {
    expect((await vaultIdentity(alice)).recipient).not.toBe(await bobRecipient());
    bob.lock();
    await expectKeyholdError(() => loadVaultKeys(bob), 'VaultLocked');
  });
});

// Alice is not Bob's contact in most tests: Bob trusts her signature for each import, as --trust-signer does.
const TRUST = { trustSigner: true };

describe('contacts', () => {
  it('adds, lists, finds and removes contacts with unique names', async () => {
    const them = await generateIdentity();
    const signing = generateSigningKey();
    const added = addContact(bob, { name: 'Alice', recipient: them.recipient, signingKey: signing.publicKey.toString('base64') });
    expect(added).toMatchObject({ name: 'Alice', recipient: them.recipient, fingerprint: fingerprint(signing.publicKey) });
    addContact(bob, { name: 'Carol', recipient: (await generateIdentity()).recipient });
    expect(listContacts(bob).map((c) => [c.name, c.fingerprint === null])).toEqual([
      ['Alice', false],
      ['Carol', true],
    ]);
    await expectKeyholdError(() => addContact(bob, { name: 'Alice', recipient: them.recipient }), 'Conflict', /already exists/);
    expect(resolveRecipients(bob, ['Alice', them.recipient, 'Carol'])).toHaveLength(2);
    await expectKeyholdError(() => resolveRecipients(bob, ['Dave']), 'NotFound', /No contact "Dave"/);
    expect(removeContact(bob, 'Carol').name).toBe('Carol');
    expect(findContact(bob, 'Carol')).toBeNull();
    // The name is stored encrypted; only a keyed lookup tag is plaintext.
    expect(readFileSync(dbPath(bob.dir)).includes(Buffer.from('Alice'))).toBe(false);
  });

  it('refuses bad recipients, signing keys and names', async () => {
    const { recipient, identity } = await generateIdentity();
    await expectKeyholdError(() => addContact(bob, { name: 'X', recipient: identity }), 'BadInput', /secret key/);
    await expectKeyholdError(
      () => addContact(bob, { name: 'X', recipient: `${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}` }),
      'BadInput',
      /checksum/,
    );
    await expectKeyholdError(() => addContact(bob, { name: 'X', recipient: 'ssh-ed25519 AAAA' }), 'BadInput', /SSH/);
    await expectKeyholdError(() => addContact(bob, { name: 'X', recipient, signingKey: 'not-base64' }), 'BadInput', /32 bytes/);
    await expectKeyholdError(() => addContact(bob, { name: 'age1bob', recipient }), 'BadInput', /age1/);
    await expectKeyholdError(() => addContact(bob, { name: ' X', recipient }), 'BadInput', /spaces/);
    // The same rules as every other name a person types (domain.ts `label`).
    await expectKeyholdError(() => addContact(bob, { name: '   ', recipient }), 'BadInput', /Contact name may not be empty/);
    await expectKeyholdError(() => addContact(bob, { name: 'A\tB', recipient }), 'BadInput', /Contact name may not contain control characters/);
    await expectKeyholdError(() => addContact(bob, { name: 'x'.repeat(101), recipient }), 'BadInput', /Contact name is longer than 100 characters/);
    await expectKeyholdError(() => addContact(bob, { name: '\ud800', recipient }), 'BadInput', /Contact name is not valid Unicode/);
    expect(listContacts(bob)).toEqual([]);
  });
});

describe('export and import round trips', () => {
  it.each([false, true])('recipient file (armor %s): everything arrives, new tokenless profiles as drafts, with agents and BYOK keys', async (armor) => {
    const path = await exportAliceToBob({ withByok: true, armor });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'latin1').startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(armor);

    const { preview, result } = await importFile(bob, path, TRUST);
    expect(preview.counts.profiles).toMatchObject({ new: 3, create: 3 });
    expect(result).toMatchObject({ profiles: { created: 3, updated: 0, skipped: 0 }, byokKeys: { created: 1 }, agents: { declared: 1 }, state: 'pending' });
    expect(summaries(bob).map((s) => [s.agentId, s.name, s.syncState, s.hasToken])).toEqual([
      ['claude-code', 'team', 'draft', false],
      ['crm', 'prod', 'draft', false],
      ['crm', 'staging', 'draft', false],
    ]);
    expect(preview.profiles.every((c) => c.replacesRemote && c.state === 'draft')).toBe(true);
    expect(values(bob, 'crm/prod')).toEqual({ USER: 'ann', PASS: SECRET });
    expect(bob.profiles.get('crm/prod').saveSession).toBe(true);
    expect(bob.agents.get('crm')?.args).toEqual(['USER', 'PASS', 'OTP']);
    expect(bob.byok.get('claude-code', { reveal: true })).toMatchObject({ apiKey: BYOK_KEY, syncState: 'pending' });
    expect(bob.profiles.history('crm/prod')[0]?.reason).toBe('import');
    // Each imported version records the bundle it came from and who signed it.
    const source = `bundle ${basename(path)}, signed by an unknown signer (${(await vaultIdentity(alice)).fingerprint})`;
    expect(bob.profiles.history('crm/prod')[0]?.source).toBe(source);
    expect(bob.byok.history('claude-code')[0]?.source).toBe(source);
  });

  it.each([false, true])('passphrase file (armor %s) opens only with the passphrase', async (armor) => {
    const path = out();
    await exportToFile(alice, path, { select: ['crm/prod'], armor, target: { passphrase: 'team passphrase' }, scryptWorkFactor: FAST_SCRYPT });
    await expectKeyholdError(() => importFile(bob, path, TRUST), 'DecryptFailed', /passphrase/);
    await expectKeyholdError(() => importFile(bob, path, { ...TRUST, passphrase: 'not it' }), 'DecryptFailed', /Wrong passphrase/);
    const { result } = await importFile(bob, path, { ...TRUST, passphrase: 'team passphrase' });
    expect(result?.profiles.created).toBe(1);
    expect(values(bob, 'crm/prod')).toEqual({ USER: 'ann', PASS: SECRET });
  });

  it('exports only the selection, and declarations only of the agents it includes', async () => {
    const { file } = await sealExport(alice, { select: ['claude-code/team', 'claude-code/team'], target: { recipients: [await bobRecipient()] } });
    const { bundle } = await openImport(bob, file);
    expect(bundle.items.profiles.map((p) => p.name)).toEqual(['team']);
    expect(bundle.items.agents).toBeUndefined();
    expect(bundle.items.byokKeys).toBeUndefined();
    await expectKeyholdError(() => sealExport(alice, { target: { recipients: [] } }), 'BadInput', /Choose what to export/);
    await expectKeyholdError(
      () => sealExport(alice, { all: true, select: ['crm/prod'], target: { recipients: [] } }),
      'BadInput',
      /either every profile or a selection/,
    );
    await expectKeyholdError(() => sealExport(alice, { select: ['crm/nope'], target: { recipients: [] } }), 'NotFound');
  });

  it('refuses to overwrite a file and records exports in the audit log without values', async () => {
    const path = out();
    writeFileSync(path, 'mine');
    const before = auditCount(alice);
    await expectKeyholdError(() => exportToFile(alice, path, { all: true, target: { recipients: [] } }), 'Conflict', /already exists/);
    expect(readFileSync(path, 'utf8')).toBe('mine');
    expect(auditCount(alice)).toBe(before);

    await exportAliceToBob({ withByok: true });
    const [entry] = alice.audit.list({ event: 'bundle_exported' });
    expect(entry?.detail).toMatchObject({ profiles: 3, byokKeys: 1, agents: 1, recipients: 1, passphrase: false, tokensIncluded: false });
    expect(JSON.stringify(entry)).not.toContain(SECRET);
  });
});

describe('tokens', () => {
  async function syncAlicesProd(): Promise<void> {
    const loaded = alice.profiles.load(alice.profiles.resolve('crm/prod').id);
    alice.profiles.recordSync(loaded.summary, { ...loaded.meta, hasToken: true }, { authToken: 'kura-token-prod', agentId: 'crm', name: 'prod' }, 'synced');
  }

  it('travel only with includeTokens, and arrive attached to the same remote identity', async () => {
    await syncAlicesProd();
    const without = await openImport(bob, readFileSync(await exportAliceToBob()));
    expect(without.bundle.tokensIncluded).toBe(false);
    expect(JSON.stringify(without.bundle)).not.toContain('kura-token-prod');

    const path = await exportAliceToBob({ includeTokens: true });
    const opened = await openImport(bob, readFileSync(path));
    expect(opened.bundle.items.profiles.find((p) => p.name === 'prod')?.authToken).toBe('kura-token-prod');
    expect(opened.bundle.items.profiles.filter((p) => p.authToken !== undefined)).toHaveLength(1);

    const { preview } = await importFile(bob, path, TRUST);
    expect(preview.warnings.join(' ')).toMatch(
      /This bundle carries 1 Kura token\(s\); 1 will be attached to their profiles here: syncing them updates the sender's remote profiles/,
    );
    const prod = bob.profiles.load(bob.profiles.resolve('crm/prod').id);
    expect(prod.summary).toMatchObject({ syncState: 'pending', hasToken: true });
    expect(prod.remote).toEqual({ authToken: 'kura-token-prod', agentId: 'crm', name: 'prod' });
    expect(bob.audit.list({ event: 'bundle_imported' })[0]?.detail).toMatchObject({ tokensImported: 1 });
  });

  it('stay behind when keep-both renames the profile', async () => {
    await syncAlicesProd();
    bob.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'bob' } });
    const { preview } = await importFile(bob, await exportAliceToBob({ includeTokens: true }), { ...TRUST, onConflict: 'keep-both' });
    expect(preview.profiles.find((p) => p.name === 'prod')).toMatchObject({ importedAs: 'prod (imported)', withToken: false });
    expect(bob.profiles.resolve('crm/prod (imported)').hasToken).toBe(false);
  });
});

describe('preview and conflict policies', () => {
  let path: string;
  beforeEach(async () => {
    bob.profiles.create({ agentId: 'crm', name: 'staging', authData: { USER: 'ann', PASS: 'stage-pass' } });
    bob.profiles.create({ agentId: 'crm', name: 'prod', authData: { USER: 'bob', PASS: 'bobs-own', EXTRA: 'x' } });
    path = await exportAliceToBob();
  });

  it('says which profiles are new, identical or differ, and which keys differ, without values', async () => {
    const opened = await openImport(bob, readFileSync(path));
    const preview = previewImport(bob, opened);
    const byName = Object.fromEntries(preview.profiles.map((p) => [p.name, p]));
    expect(byName.team).toMatchObject({ status: 'new', action: 'create', diff: null });
    expect(byName.staging).toMatchObject({ status: 'identical', action: 'skip' });
    expect(byName.prod).toMatchObject({
      status: 'differs',
      action: 'skip',
      diff: { changed: ['USER', 'PASS'], added: [], removed: ['EXTRA'], saveSession: true, authToken: false },
    });
    expect(preview.counts.profiles).toEqual({ new: 1, identical: 1, differs: 1, create: 1, update: 0, skip: 2 });
    const text = JSON.stringify(preview);
    for (const value of [SECRET, 'bobs-own', 'stage-pass', 'sk-ant-team']) expect(text).not.toContain(value);
  });

  it('compares many profiles already here as it compares a few (their cells are then read in one query)', async () => {
    // Past 64 matches the preview reads the vault's secret cells at once; the decisions must not change.
    const many = (n: number, value: (i: number) => string, draft = -1) =>
      Array.from({ length: n }, (_, i) => ({ agentId: 'bulk', name: `p${i}`, authData: { K: value(i) }, draft: i === draft }));
    alice.profiles.createMany(many(70, (i) => `v${i}`));
    bob.profiles.createMany(many(70, (i) => (i % 2 === 0 ? `v${i}` : 'bobs'), 1));
    bob.profiles.remove('bulk/p69');
    const opened = await openImport(bob, readFileSync(await exportAliceToBob()));
    const preview = previewImport(bob, opened, { onConflict: 'overwrite' });
    const bulk = preview.profiles.filter((p) => p.agentId === 'bulk');
    const byName = Object.fromEntries(bulk.map((p) => [p.name, p]));
    expect(byName.p0).toMatchObject({ status: 'identical', action: 'skip', existingId: bob.profiles.resolve('bulk/p0').id });
    expect(byName.p1).toMatchObject({ status: 'differs', action: 'update', diff: { changed: ['K'] }, existingId: bob.profiles.resolve('bulk/p1').id });
    // An existing draft stays a draft; the others arrive pending.
    expect([byName.p1?.state, byName.p3?.state]).toEqual(['draft', 'pending']);
    expect(byName.p69).toMatchObject({ status: 'new', action: 'create', existingId: null });
    expect(bulk.filter((p) => p.status === 'identical')).toHaveLength(35);
    expect(bulk.filter((p) => p.status === 'differs')).toHaveLength(34);
    expect(JSON.stringify(preview)).not.toContain('bobs');
  });

  it('skip leaves existing profiles untouched', async () => {
    const before = bob.profiles.resolve('crm/prod');
    const { result } = await importFile(bob, path, { ...TRUST, onConflict: 'skip' });
    expect(result?.profiles).toEqual({ created: 1, updated: 0, skipped: 2 });
    expect(values(bob, 'crm/prod')).toEqual({ USER: 'bob', PASS: 'bobs-own', EXTRA: 'x' });
    expect(bob.profiles.resolve('crm/prod').version).toBe(before.version);
  });

  it('overwrite replaces values, and a synced profile goes back to pending', async () => {
    const loaded = bob.profiles.load(bob.profiles.resolve('crm/prod').id);
    bob.profiles.recordSync(loaded.summary, { ...loaded.meta, hasToken: true }, { authToken: 'bobs-token', agentId: 'crm', name: 'prod' }, 'synced');
    const { result } = await importFile(bob, path, { ...TRUST, onConflict: 'overwrite' });
    expect(result?.profiles).toEqual({ created: 1, updated: 1, skipped: 1 });
    expect(values(bob, 'crm/prod')).toEqual({ USER: 'ann', PASS: SECRET });
    const prod = bob.profiles.load(bob.profiles.resolve('crm/prod').id);
    expect(prod.summary).toMatchObject({ syncState: 'pending', saveSession: true, version: 2, hasToken: true });
    expect(prod.remote?.authToken).toBe('bobs-token');
    expect(bob.profiles.resolve('crm/staging').version).toBe(1);
  });

  it('keep-both imports a differing profile under a free new name', async () => {
    bob.profiles.create({ agentId: 'crm', name: 'prod (imported)', authData: { USER: 'z' } });
    const { result } = await importFile(bob, path, { ...TRUST, onConflict: 'keep-both' });
    expect(result?.profiles).toEqual({ created: 2, updated: 0, skipped: 1 });
    expect(values(bob, 'crm/prod (imported 2)')).toEqual({ USER: 'ann', PASS: SECRET });
    expect(values(bob, 'crm/prod')).toEqual({ USER: 'bob', PASS: 'bobs-own', EXTRA: 'x' });
    expect(summaries(bob).filter((s) => s.name === 'staging')).toHaveLength(1);
  });

  it('--dry-run changes nothing', async () => {
    const before = [summaries(bob), auditCount(bob)];
    const { preview, result } = await importFile(bob, path, { ...TRUST, onConflict: 'overwrite', dryRun: true });
    expect(result).toBeNull();
    expect(preview.counts.profiles.update).toBe(1);
    expect([summaries(bob), auditCount(bob)]).toEqual(before);
  });

  it('--draft brings items in as drafts, and an existing draft is never promoted', async () => {
    bob.profiles.edit('crm/prod', { draft: true });
    const { result } = await importFile(bob, path, { ...TRUST, draft: true, onConflict: 'overwrite' });
    expect(result?.state).toBe('draft');
    expect(bob.profiles.resolve('claude-code/team').syncState).toBe('draft');
    expect(bob.profiles.resolve('crm/prod').syncState).toBe('draft');
    expect(bob.profiles.resolve('crm/staging').syncState).toBe('pending');

    bob.profiles.edit('crm/prod', { set: { USER: 'changed again' } });
    await importFile(bob, await exportAliceToBob(), { ...TRUST, onConflict: 'overwrite' });
    expect(bob.profiles.resolve('crm/prod').syncState).toBe('draft');
  });

  it('refuses to apply a preview the vault has moved on from', async () => {
    const opened = await openImport(bob, readFileSync(path));
    const preview = previewImport(bob, opened, { onConflict: 'overwrite' });
    bob.profiles.create({ agentId: 'claude-code', name: 'team', authData: { ANTHROPIC_API_KEY: 'other' } });
    const before = [summaries(bob), auditCount(bob)];
    await expectKeyholdError(() => applyImport(bob, opened, preview, TRUST), 'Conflict', /changed since the import preview/);
    expect([summaries(bob), auditCount(bob)]).toEqual(before);
  });
});

describe('local-only BYOK keys', () => {
  it('an imported key of another provider stays local; an Anthropic key replacing a local-only one is queued', async () => {
    const OPENAI = `sk-proj-${'o'.repeat(40)}`;
    alice.byok.set({ kind: 'writer', provider: 'openai', apiKey: OPENAI });
    bob.byok.set({ kind: 'claude-code', provider: 'google', apiKey: `AIza${'g'.repeat(35)}` });
    await importFile(bob, await exportAliceToBob({ withByok: true }), { onConflict: 'overwrite', ...TRUST });
    expect(bob.byok.list().map((k) => [k.kind, k.provider, k.localOnly, k.syncState])).toEqual([
      ['claude-code', 'anthropic', false, 'pending'],
      ['writer', 'openai', true, 'draft'],
    ]);
  });
});

describe('declared agent arguments', () => {
  it('are applied only to agents this vault does not declare; differing ones are reported', async () => {
    bob.agents.set({ agentId: 'crm', args: ['USER', 'PASS', 'OTP', 'REGION'] });
    alice.agents.set({ agentId: 'claude-code', args: ['ANTHROPIC_API_KEY'] });
    const { preview, result } = await importFile(bob, await exportAliceToBob(), TRUST);
    expect(preview.agents).toEqual([
      { agentId: 'claude-code', status: 'new', added: ['ANTHROPIC_API_KEY'], removed: [], action: 'declare' },
      { agentId: 'crm', status: 'differs', added: [], removed: ['REGION'], action: 'skip' },
    ]);
    expect(result?.agents).toEqual({ declared: 1, notApplied: 1 });
    expect(bob.agents.get('crm')?.args).toEqual(['USER', 'PASS', 'OTP', 'REGION']);
    expect(bob.agents.get('claude-code')?.args).toEqual(['ANTHROPIC_API_KEY']);
  });

  it("a bundle whose values break this vault's declarations is refused whole", async () => {
    bob.agents.set({ agentId: 'crm', args: ['USER'] });
    bob.profiles.create({ agentId: 'crm', name: 'mine', authData: { USER: 'bob' } });
    const path = await exportAliceToBob();
    const before = [summaries(bob), auditCount(bob), bob.agents.list()];
    const error = await expectKeyholdError(() => importFile(bob, path, TRUST), 'UndeclaredKey', /Nothing was imported: 2 profile\(s\).*"crm\/prod" has "PASS"/);
    expect(error.message).not.toContain(SECRET);
    expect([summaries(bob), auditCount(bob), bob.agents.list()]).toEqual(before);
  });
});

describe('signers', () => {
  it('shows a contact by name, this vault as itself, and anyone else by fingerprint', async () => {
    const path = await exportAliceToBob();
    const aliceId = await vaultIdentity(alice);
    const unknown = await openImport(bob, readFileSync(path));
    expect(unknown.signer).toEqual({
      signed: true,
      fingerprint: aliceId.fingerprint,
      publicKey: aliceId.signingPublicKey,
      contact: null,
      self: false,
      trusted: false,
    });
    expect(previewImport(bob, unknown).warnings.join(' ')).toContain(aliceId.fingerprint);

    addContact(bob, { name: 'Alice', recipient: aliceId.recipient, signingKey: aliceId.signingPublicKey });
    expect((await openImport(bob, readFileSync(path))).signer).toMatchObject({ contact: 'Alice', self: false, trusted: true });

    const own = out();
    bob.profiles.create({ agentId: 'x', name: 'y', authData: { K: 'v' } });
    await exportToFile(bob, own, { all: true, target: { recipients: [await bobRecipient()] } });
    expect((await openImport(bob, readFileSync(own))).signer).toMatchObject({ self: true, trusted: true });
  });
});

describe('bad input changes nothing', () => {
  let recipient: string;
  beforeEach(async () => {
    recipient = await bobRecipient();
    bob.profiles.create({ agentId: 'crm', name: 'existing', authData: { USER: 'bob' } });
  });

  const content = (): BundleContent => ({
    tokensIncluded: false,
    items: { profiles: [{ agentId: 'crm', name: 'x', authData: { USER: 'u' }, saveSession: false }] },
  });
  const sealed = async (plaintext: string | Uint8Array) => encryptToRecipients(typeof plaintext === 'string' ? Buffer.from(plaintext) : plaintext, [recipient]);
  const signed = () => signBundle(createBundle(content()), generateSigningKey().privateKey);
  const fileOf = (bytes: Uint8Array) => {
    const path = out();
    writeFileSync(path, bytes);
    return path;
  };

  async function refused(path: string, code: Parameters<typeof expectKeyholdError>[1], message: RegExp, options: ImportFileOptions = {}) {
    const before = [summaries(bob), auditCount(bob)];
    await expectKeyholdError(() => importFile(bob, path, options), code, message);
    expect([summaries(bob), auditCount(bob)]).toEqual(before);
  }

  it('wrong passphrase, and a file for somebody else', async () => {
    const passphraseFile = out();
    await exportToFile(alice, passphraseFile, { all: true, target: { passphrase: 'right one' }, scryptWorkFactor: FAST_SCRYPT });
    await refused(passphraseFile, 'DecryptFailed', /Wrong passphrase/, { passphrase: 'wrong one' });
    const forCarol = out();
    await exportToFile(alice, forCarol, { all: true, target: { recipients: [(await generateIdentity()).recipient] } });
    await refused(forCarol, 'DecryptFailed', /encrypted to other recipients/);
  });

  it('tampered and truncated files', async () => {
    const good = await sealExport(alice, { all: true, target: { recipients: [recipient] } });
    const tampered = Buffer.from(good.file);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 40) ^ 0x01, tampered.length - 40);
    await refused(fileOf(tampered), 'BundleInvalid', /damaged/);
    await refused(fileOf(good.file.subarray(0, good.file.length - 100)), 'BundleInvalid', /damaged or cut short/);
    await refused(fileOf(Buffer.from('just some text')), 'BundleInvalid', /not an age-encrypted file/);
  });

  it('a bad signature, an unsigned bundle, an unknown version', async () => {
    const forged = signed();
    forged.items.profiles[0]!.authData.USER = 'changed after signing';
    await refused(fileOf(await sealed(serializeBundle(forged))), 'SignatureInvalid', /does not match/);

    const unsigned = fileOf(await sealed(serializeBundle(createBundle(content()))));
    await refused(unsigned, 'Unsigned', /not signed/);
    const { preview } = await importFile(bob, unsigned, { ...TRUST, allowUnsigned: true });
    expect(preview.signer.signed).toBe(false);
    expect(preview.warnings[0]).toMatch(/NOT signed/);
    expect(bob.profiles.resolve('crm/x').syncState).toBe('draft');

    await refused(fileOf(await sealed(JSON.stringify({ ...signed(), version: 2 }))), 'BundleInvalid', /format version 2.*Update Keyhold/);
  });

  it('a file far over the size limit is refused before it is read', async () => {
    const huge = out();
    writeFileSync(huge, '');
    truncateSync(huge, 200 * 1024 * 1024);
    await refused(huge, 'TooLarge', /larger than 96 MiB/);
  });

  it('a BYOK key that is not a key of its provider', async () => {
    const bundle = signBundle(
      createBundle({ tokensIncluded: false, items: { profiles: [], byokKeys: [{ kind: 'k', provider: 'anthropic', apiKey: 'not-an-anthropic-key-at-all' }] } }),
      generateSigningKey().privateKey,
    );
    await refused(fileOf(await sealed(serializeBundle(bundle))), 'BadInput', /BYOK key for "k" is not valid/);
  });
});

describe('interoperability with the age CLI', () => {
  it('a Keyhold export decrypts with `age -d -i` and the vault identity', async () => {
    const path = await exportAliceToBob({ armor: true });
    const identityFile = join(files.dir, 'bob.key');
    writeFileSync(identityFile, `${(await loadVaultKeys(bob)).ageIdentity}\n`, { mode: 0o600 });
    expect(existsSync(AGE), `age CLI missing at ${AGE}`).toBe(true);
    const r = spawnSync(AGE, ['-d', '-i', identityFile, path]);
    expect(r.status, r.stderr?.toString()).toBe(0);
    const { bundle, signer } = readBundle(r.stdout);
    expect(bundle.items.profiles.map((p) => p.name).sort()).toEqual(['prod', 'staging', 'team']);
    expect(signer?.fingerprint).toBe((await vaultIdentity(alice)).fingerprint);
  });

  it('the file lists members as docs/bundle-format.md says: items in canonical order, credential names as their author gave them', async () => {
    const path = await exportAliceToBob({ withByok: true });
    const identityFile = join(files.dir, 'bob.key');
    writeFileSync(identityFile, `${(await loadVaultKeys(bob)).ageIdentity}\n`, { mode: 0o600 });
    const r = spawnSync(AGE, ['-d', '-i', identityFile, path]);
    expect(r.status, r.stderr?.toString()).toBe(0);
    const plain = JSON.parse(r.stdout.toString('utf8')) as { items: Record<string, Record<string, unknown>[]> };
    expect(Object.keys(plain)).toEqual(['format', 'version', 'exportedAt', 'signer', 'items', 'tokensIncluded', 'signature']);
    expect(Object.keys(plain.items)).toEqual(['agents', 'byokKeys', 'profiles']);
    const sorted = (o: object) => [...Object.keys(o)].sort();
    for (const list of Object.values(plain.items)) for (const item of list) expect(Object.keys(item)).toEqual(sorted(item));
    const prod = plain.items.profiles?.find((p) => p.name === 'prod');
    expect(Object.keys(prod?.authData as object)).toEqual(['USER', 'PASS']);
  });

  it('a bundle from the independent exporter, encrypted by `age -r`, imports', async () => {
    const seedHex = '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100';
    const items = { profiles: [{ agentId: 'crm', name: 'from-age', authData: { USER: 'eve' }, saveSession: false }] };
    const exported = spawnSync(process.execPath, ['test/fixtures/share/exporter.mjs'], {
      input: JSON.stringify({ seedHex, exportedAt: '2025-01-31T09:30:00.000Z', items, tokensIncluded: false }),
    });
    expect(exported.status, exported.stderr.toString()).toBe(0);
    const encrypted = spawnSync(AGE, ['-r', await bobRecipient()], { input: exported.stdout });
    expect(encrypted.status, encrypted.stderr.toString()).toBe(0);
    const path = out();
    writeFileSync(path, encrypted.stdout);

    const { preview, result } = await importFile(bob, path, TRUST);
    expect(preview.signer).toMatchObject({ signed: true, contact: null, fingerprint: fingerprint(signingPublicKey(Buffer.from(seedHex, 'hex'))) });
    expect(result?.profiles.created).toBe(1);
    expect(values(bob, 'crm/from-age')).toEqual({ USER: 'eve' });
  });
});

describe('one transaction', () => {
  it('a failure while applying rolls back everything, indexes included', async () => {
    const path = await exportAliceToBob({ withByok: true });
    const opened = await openImport(bob, readFileSync(path));
    const preview = previewImport(bob, opened);
    const before = [summaries(bob), auditCount(bob), bob.agents.list()];
    // A trigger makes the import's last write, its audit entry, fail after every other write.
    bob.db.exec(
      `CREATE TEMP TRIGGER fail_import BEFORE INSERT ON audit_log WHEN NEW.event = 'bundle_imported' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;`,
    );
    expect(() => applyImport(bob, opened, preview, TRUST)).toThrow(/disk trouble/);
    bob.db.exec('DROP TRIGGER fail_import');
    expect([summaries(bob), auditCount(bob), bob.agents.list()]).toEqual(before);
    expect(bob.byok.list()).toEqual([]);
    const raw = new Database(dbPath(bob.dir), { readonly: true });
    expect((raw.prepare('SELECT COUNT(*) AS n FROM profiles').get() as { n: number }).n).toBe(0);
    raw.close();
  });
});
