import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptToRecipients } from '../../src/core/share/age';
import { createBundle } from '../../src/core/share/bundle';
import { serializeBundle } from '../../src/core/share/seal';
import { loadVaultKeys } from '../../src/core/share/vault-keys';
import { Vault } from '../../src/core/vault/vault';
import { type CliResult, keyhold } from '../helpers/cli';
import { PASSWORD, tempDir } from '../helpers/vault';

const AGE = process.env.AGE_PATH ?? '/usr/bin/age';
const SECRET = 's3cr3t-pass-from-stdin';
const BYOK_KEY = `sk-ant-api03-${'k'.repeat(40)}`;

interface Identity {
  recipient: string;
  signingPublicKey: string;
  fingerprint: string;
}

let t: ReturnType<typeof tempDir>;
let aliceEnv: Record<string, string>;
let bobEnv: Record<string, string>;
let alice: Identity;
let bob: Identity;
let n = 0;
const file = (name = 'team.age') => join(t.dir, `${n++}-${name}`);

const asAlice = (args: string[], input?: string | Buffer) => keyhold(args, { env: aliceEnv, ...(input === undefined ? {} : { input }) });
const asBob = (args: string[], input?: string | Buffer) => keyhold(args, { env: bobEnv, ...(input === undefined ? {} : { input }) });

function ok(r: CliResult): CliResult {
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** Bob's vault as a script would compare it: profiles, and the audit log without the unlocks of each command. */
async function bobState(): Promise<unknown> {
  const log = ok(await asBob(['log', '--json', '--limit', '100000'])).json<{ entries: { event: string }[] }>().entries;
  return [ok(await asBob(['profile', 'list', '--json'])).stdout, log.filter((e) => e.event !== 'unlock_ok').length];
}

beforeAll(async () => {
  t = tempDir('keyhold-cli-share-');
  aliceEnv = { KEYHOLD_VAULT: join(t.dir, 'alice'), KEYHOLD_PASSWORD: PASSWORD };
  bobEnv = { KEYHOLD_VAULT: join(t.dir, 'bob'), KEYHOLD_PASSWORD: PASSWORD };
  for (const run of [asAlice, asBob]) ok(await run(['init', '--kdf-memory', '1', '--kdf-iterations', '1']));
  alice = ok(await asAlice(['identity', '--json'])).json<Identity>();
  bob = ok(await asBob(['identity', '--json'])).json<Identity>();

  ok(await asAlice(['agent', 'set', 'crm', '--args', 'USER,PASS']));
  ok(await asAlice(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=ann', '--set-stdin', 'PASS'], `${SECRET}\n`));
  ok(await asAlice(['profile', 'add', '--agent', 'crm', '--name', 'staging', '--set', 'USER=ann', '--set', 'PASS=stage']));
  ok(await asAlice(['byok', 'set', '--kind', 'claude-code', '--key-stdin'], BYOK_KEY));
  ok(await asAlice(['contact', 'add', 'Bob', bob.recipient, '--signing-key', bob.signingPublicKey]));
});
afterAll(() => t.cleanup());

describe('identity and contacts', () => {
  it('identity prints the public recipient and signing key, the same every time, and no secret', async () => {
    expect(alice.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(alice.fingerprint).toMatch(/^([A-Z2-7]{4}-){5}[A-Z2-7]{4}$/);
    expect(Buffer.from(alice.signingPublicKey, 'base64')).toHaveLength(32);
    const text = ok(await asAlice(['identity']));
    expect(text.stdout).toContain(alice.recipient);
    expect(text.stdout).toContain(alice.fingerprint);
    expect(text.stdout).not.toMatch(/AGE-SECRET-KEY/);
    expect(ok(await asAlice(['identity', '--json'])).json()).toEqual(alice);
  });

  it('adds, lists and removes contacts, refusing duplicates and bad keys', async () => {
    ok(await asBob(['contact', 'add', 'Carol', alice.recipient]));
    expect((await asBob(['contact', 'add', 'Carol', bob.recipient])).code).toBe(6);
    const bad = await asBob(['contact', 'add', 'Dave', `${alice.recipient.slice(0, -2)}qq`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^keyhold: Recipient 1 .*checksum/);
    expect((await asBob(['contact', 'add', 'Dave', alice.recipient, '--signing-key', 'abc'])).code).toBe(2);
    expect(ok(await asBob(['contact', 'list', '--json'])).json()).toMatchObject([{ name: 'Carol', recipient: alice.recipient, signingKey: null }]);
    expect(ok(await asBob(['contact', 'list'])).stdout).toMatch(/Carol\s+age1\S+\s+\(none\)/);
    ok(await asBob(['contact', 'rm', 'Carol']));
    expect((await asBob(['contact', 'rm', 'Carol'])).code).toBe(5);
    expect(ok(await asBob(['contact', 'list', '--json'])).json()).toEqual([]);
  });
});

describe('export and import', () => {
  it.each([false, true])('round trip to a contact (armor %s); the signer is unknown until added as a contact', async (armor) => {
    const out = file();
    const exported = ok(await asAlice(['export', '--out', out, '--to', 'Bob', '--all', '--with-byok', ...(armor ? ['--armor'] : []), '--json']));
    expect(exported.json()).toMatchObject({ profiles: 2, byokKeys: 1, agents: 1, recipients: 1, tokensIncluded: false, signer: alice.fingerprint });
    expect(exported.stderr).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'latin1').startsWith('-----BEGIN AGE')).toBe(armor);

    const dry = ok(await asBob(['import', out, '--dry-run']));
    expect(dry.stdout).toContain(`Signed by: an unknown signer, fingerprint ${alice.fingerprint}`);
    // The second round finds what the first imported.
    expect(dry.stdout).toMatch(armor ? /= identical crm\/prod/ : /\+ create\s+crm\/prod/);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect(dry.stderr).toContain(`warning: The signer is not one of your contacts. Compare the fingerprint ${alice.fingerprint}`);

    ok(await asBob(['contact', 'add', 'Alice', alice.recipient, '--signing-key', alice.signingPublicKey]));
    const imported = ok(await asBob(['import', out, '--on-conflict', 'overwrite', '--yes', '--json']));
    const body = imported.json<{ dryRun: boolean; preview: { signer: { contact: string } }; result: { state: string } }>();
    expect(body).toMatchObject({ dryRun: false, preview: { signer: { contact: 'Alice' } }, result: { state: 'pending' } });
    expect(imported.stdout).not.toContain(SECRET);
    ok(await asBob(['contact', 'rm', 'Alice']));

    expect(ok(await asBob(['profile', 'show', 'crm/prod', '--reveal', '--json'])).json()).toMatchObject({
      authData: { USER: 'ann', PASS: SECRET },
      // New without a token, it would replace Alice's remote profile if synced: a draft until marked ready.
      syncState: 'draft',
    });
    expect(ok(await asBob(['byok', 'list', '--json'])).json()).toMatchObject([{ kind: 'claude-code', syncState: 'pending' }]);
    expect(ok(await asBob(['agent', 'list', '--json'])).json()).toMatchObject([{ agentId: 'crm', args: ['USER', 'PASS'] }]);
  });

  // scrypt at work factor 18 on both ends, in pure JavaScript: seconds each, more on a busy machine.
  it('a passphrase round trip, armored', async () => {
    const out = file();
    ok(await asAlice(['export', '--out', out, '--passphrase-stdin', '--select', 'crm/staging', '--armor'], 'our team passphrase\n'));
    const r = ok(
      await asBob(['import', out, '--passphrase-stdin', '--draft', '--on-conflict', 'keep-both', '--trust-signer', '--yes'], 'our team passphrase\n'),
    );
    expect(r.stdout).toMatch(/identical\s+crm\/staging/);
    expect(r.stdout).toContain('Imported as draft: 0 profiles created, 0 updated, 1 skipped');
  }, 90_000);

  it('shows the preview with the keys that differ, then applies the policy', async () => {
    ok(await asBob(['profile', 'edit', 'crm/prod', '--set', 'USER=bob']));
    const out = file();
    ok(await asAlice(['export', '-o', out, '--to', bob.recipient, '--select', 'crm/prod']));
    const skipped = ok(await asBob(['import', out, '--trust-signer', '--yes']));
    expect(skipped.stdout).toMatch(/~ differs\s+crm\/prod: values of USER → skip/);
    expect(skipped.stdout).not.toContain('ann');
    const kept = ok(await asBob(['import', out, '--on-conflict', 'keep-both', '--draft', '--trust-signer', '--yes']));
    expect(kept.stdout).toContain('keep both, import as "prod (imported)"');
    expect(ok(await asBob(['profile', 'show', 'crm/prod (imported)', '--json'])).json()).toMatchObject({ syncState: 'draft' });
    ok(await asBob(['import', out, '--on-conflict', 'overwrite', '--trust-signer', '--yes']));
    expect(ok(await asBob(['profile', 'show', 'crm/prod', '--reveal', '--json'])).json()).toMatchObject({ authData: { USER: 'ann' } });
  });

  it('warns on stderr when tokens are included, and only then', async () => {
    const out = file();
    const r = ok(await asAlice(['export', '--out', out, '--to', 'Bob', '--all', '--include-tokens']));
    expect(r.stderr).toMatch(/^warning: the export carries 0 Kura auth tokens/);
    expect(r.stdout).toMatch(/^Exported 2 profiles, 0 BYOK keys and 1 agent declaration to .*, encrypted to 1 recipient, signed /);
  });

  it('a CLI export decrypts with `age -d -i` and the vault identity', async () => {
    const out = file();
    ok(await asAlice(['export', '--out', out, '--to', 'Bob', '--all']));
    const vault = Vault.open(bobEnv.KEYHOLD_VAULT as string);
    await vault.unlock(PASSWORD);
    const identityFile = join(t.dir, 'bob-identity.txt');
    writeFileSync(identityFile, `${(await loadVaultKeys(vault)).ageIdentity}\n`, { mode: 0o600 });
    vault.close();
    const r = spawnSync(AGE, ['-d', '-i', identityFile, out]);
    expect(r.status, r.stderr?.toString()).toBe(0);
    const plaintext = JSON.parse(r.stdout.toString('utf8')) as { signer: { publicKey: string }; items: { profiles: { name: string }[] } };
    expect(plaintext.signer.publicKey).toBe(alice.signingPublicKey);
    expect(plaintext.items.profiles.map((p) => p.name)).toEqual(['prod', 'staging']);
  });
});

describe('bad input: a clear one-line error, its exit code, and no change', () => {
  it('export refuses to overwrite, to export nowhere, and to unknown contacts', async () => {
    const taken = file();
    writeFileSync(taken, 'keep me');
    const cases: [string[], number, RegExp][] = [
      [['export', '--out', taken, '--to', 'Bob', '--all'], 6, /already exists/],
      [['export', '--out', file(), '--all'], 2, /Choose who can open the export/],
      [['export', '--out', file(), '--to', 'Bob', '--passphrase-stdin', '--all'], 2, /not both/],
      [['export', '--out', file(), '--to', 'Nobody', '--all'], 5, /No contact "Nobody"/],
      [['export', '--out', file(), '--to', 'Bob'], 2, /Choose what to export/],
      [['export', '--out', file(), '--to', 'Bob', '--select', 'crm/none'], 5, /No profile "crm\/none"/],
    ];
    for (const [args, code, message] of cases) {
      const r = await asAlice(args, 'pw');
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(taken, 'utf8')).toBe('keep me');
  });

  // Includes passphrase files (scrypt at work factor 18).
  it('import refuses bad files with exit codes 2, 3, 5 and 8', async () => {
    const good = file();
    ok(await asAlice(['export', '--out', good, '--to', 'Bob', '--all']));
    const bytes = readFileSync(good);
    const tampered = Buffer.from(bytes);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 20) ^ 0x40, tampered.length - 20);
    const passphraseFile = file();
    ok(await asAlice(['export', '--out', passphraseFile, '--passphrase-stdin', '--all'], 'right passphrase'));
    const forAlice = file();
    ok(await asAlice(['export', '--out', forAlice, '--to', alice.recipient, '--all']));
    const unsigned = serializeBundle(
      createBundle({ tokensIncluded: false, items: { profiles: [{ agentId: 'x', name: 'y', authData: {}, saveSession: false }] } }),
    );
    const huge = file();
    writeFileSync(huge, '');
    truncateSync(huge, 120 * 1024 * 1024);

    const write = (bytes: Uint8Array) => {
      const path = file();
      writeFileSync(path, bytes);
      return path;
    };
    const cases: [string[], string | undefined, number, RegExp][] = [
      [['import', write(tampered)], undefined, 8, /damaged/],
      [['import', write(bytes.subarray(0, 200))], undefined, 8, /damaged or cut short/],
      [['import', write(await encryptToRecipients(unsigned, [bob.recipient]))], undefined, 8, /not signed.*--allow-unsigned/],
      [['import', passphraseFile, '--passphrase-stdin'], 'wrong passphrase', 3, /Wrong passphrase/],
      [['import', passphraseFile], undefined, 3, /--passphrase-stdin/],
      [['import', forAlice], undefined, 3, /encrypted to other recipients/],
      [['import', huge], undefined, 2, /larger than 96 MiB/],
      [['import', join(t.dir, 'missing.age')], undefined, 5, /No file/],
      [['import', good, '--on-conflict', 'replace'], undefined, 2, /--on-conflict is one of skip, overwrite, keep-both/],
    ];
    const before = await bobState();
    for (const [args, input, code, message] of cases) {
      const r = await asBob(args, input);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await bobState()).toEqual(before);
  }, 90_000);
});
