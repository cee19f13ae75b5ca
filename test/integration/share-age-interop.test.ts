import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/core/share/age';
import type { AgeKeyPair } from '../../src/core/share/age';
import { readBundle, serializeBundle } from '../../src/core/share/seal';
import { openBundle, sealBundle } from '../helpers/share';
import { fingerprint, generateSigningKey, signingPublicKey } from '../../src/core/share/signature';
import { FAST_SCRYPT, docExample, sampleContent } from '../fixtures/share/samples';

// DESIGN.md promises that the real age CLI reads what Keyhold exports and the other way round.
// A missing binary is a failure, not a skip: without it that promise is untested.
const AGE = process.env.AGE_PATH ?? '/usr/bin/age';
const AGE_KEYGEN = join(dirname(AGE), 'age-keygen');
const SCRIPT = '/usr/bin/script';
const INSTALL_HINT = "install Debian's `age` package (apt-get install age) or point AGE_PATH at an age binary";

const ajv = new Ajv2020({ strict: true, strictRequired: false, validateFormats: false, allErrors: true });
const validateWithSchema = ajv.compile(JSON.parse(readFileSync('docs/bundle.schema.json', 'utf8')) as object);

let dir = '';
let keyhold: AgeKeyPair;
let cli: { identityFile: string; recipient: string };
const signingKey = generateSigningKey();

function run(command: string, args: string[], input?: string | Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(command, args, { input, timeout: 120_000 });
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message}; ${INSTALL_HINT}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

function age(args: string[], input?: Uint8Array): Buffer {
  const result = run(AGE, args, input);
  if (result.status !== 0) throw new Error(`age ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** age reads passphrases only from a terminal, so this drives it through a pty made by script(1). */
function ageWithTerminal(args: string[], typed: string[]): { status: number | null; output: string } {
  const result = run(SCRIPT, ['-qec', [AGE, ...args].map(quote).join(' '), '/dev/null'], `${typed.join('\n')}\n`);
  return { status: result.status, output: result.stdout.toString('utf8') + result.stderr };
}

function file(name: string, contents: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

function expectValidPlaintext(plaintext: Uint8Array): void {
  const value = JSON.parse(Buffer.from(plaintext).toString('utf8')) as unknown;
  const valid = validateWithSchema(value);
  expect(valid, JSON.stringify(validateWithSchema.errors)).toBe(true);
  expect(readBundle(plaintext).signer?.fingerprint).toBe(fingerprint(signingKey.publicKey));
}

beforeAll(async () => {
  if (!existsSync(AGE)) throw new Error(`The age CLI is not at ${AGE}: ${INSTALL_HINT}.`);
  if (!existsSync(AGE_KEYGEN)) throw new Error(`age-keygen is not at ${AGE_KEYGEN}: ${INSTALL_HINT}.`);
  dir = mkdtempSync(join(tmpdir(), 'keyhold-age-interop-'));
  keyhold = await generateIdentity();
  const keyFile = join(dir, 'cli-key.txt');
  const keygen = run(AGE_KEYGEN, ['-o', keyFile]);
  expect(keygen.status, keygen.stderr).toBe(0);
  const recipient = /age1[02-9ac-hj-np-z]{58}/.exec(readFileSync(keyFile, 'utf8'))?.[0];
  if (!recipient) throw new Error('age-keygen wrote no recipient');
  cli = { identityFile: keyFile, recipient };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Keyhold → age CLI', () => {
  it('the age CLI is installed', () => {
    expect(existsSync(AGE), `The age CLI is not at ${AGE}: ${INSTALL_HINT}.`).toBe(true);
    expect(run(AGE, ['--version']).stdout.toString()).toMatch(/\d+\.\d+/);
  });

  it.each([false, true])('a bundle sealed to two recipients decrypts with `age -d -i` for each (armor: %s)', async (armor) => {
    const sealed = file(
      `recipients-${armor}.age`,
      await sealBundle(
        sampleContent(),
        signingKey.privateKey,
        {
          recipients: [keyhold.recipient, cli.recipient],
        },
        { armor },
      ),
    );
    const keyholdKeyFile = file('keyhold-key.txt', `# made by Keyhold\n${keyhold.identity}\n`);
    for (const identityFile of [cli.identityFile, keyholdKeyFile]) {
      const plaintext = age(['-d', '-i', identityFile, sealed]);
      expectValidPlaintext(plaintext);
      expect(JSON.parse(plaintext.toString('utf8')).items).toEqual(sampleContent().items);
    }
  });

  it('a passphrase bundle decrypts with `age -d` given the passphrase at its prompt, and not with another', async () => {
    const passphrase = 'correct-horse-battery-staple';
    const sealed = file(
      'passphrase.age',
      await sealBundle(
        sampleContent(),
        signingKey.privateKey,
        { passphrase },
        {
          armor: true,
          scryptWorkFactor: FAST_SCRYPT,
        },
      ),
    );
    const out = join(dir, 'passphrase.json');
    const ok = ageWithTerminal(['-d', '-o', out, sealed], [passphrase]);
    expect(ok.status, ok.output).toBe(0);
    expectValidPlaintext(readFileSync(out));

    const wrongOut = join(dir, 'wrong.json');
    const wrong = ageWithTerminal(['-d', '-o', wrongOut, sealed], ['not-the-passphrase']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toMatch(/incorrect passphrase|no identity matched/i);
  });

  it("the spec's worked example decrypts with `age -d -i` to the spec's plaintext", () => {
    const identityFile = file('example-key.txt', docExample('identity'));
    const example = file('example.age', docExample('armored'));
    expect(age(['-d', '-i', identityFile, example]).toString('utf8')).toBe(docExample('plaintext'));
  });
});

describe('age CLI → Keyhold', () => {
  it('a bundle written by an independent exporter and encrypted with `age -r … -a` opens in Keyhold', async () => {
    const seedHex = '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100';
    const { exportedAt, items, tokensIncluded } = sampleContent();
    const exported = run(process.execPath, ['test/fixtures/share/exporter.mjs'], JSON.stringify({ seedHex, exportedAt, items, tokensIncluded }));
    expect(exported.status, exported.stderr).toBe(0);
    const encrypted = age(['-r', cli.recipient, '-r', keyhold.recipient, '-a'], exported.stdout);
    expect(encrypted.toString('utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);

    const { bundle, signer } = await openBundle(encrypted, { identities: [keyhold.identity] });
    expect(bundle.items).toEqual(items);
    expect(signer?.fingerprint).toBe(fingerprint(signingPublicKey(Buffer.from(seedHex, 'hex'))));
  });

  it('a Keyhold plaintext encrypted with `age -p` (default work factor) opens with the passphrase', async () => {
    const passphrase = 'twelve-words-would-be-better';
    const plaintext = file(
      'plain.json',
      serializeBundle(
        (await openBundle(await sealBundle(sampleContent(), signingKey.privateKey, { recipients: [keyhold.recipient] }), { identities: [keyhold.identity] }))
          .bundle,
      ),
    );
    const out = join(dir, 'by-age.age');
    const made = ageWithTerminal(['-p', '-o', out, plaintext], [passphrase, passphrase]);
    expect(made.status, made.output).toBe(0);
    const { bundle, signer } = await openBundle(readFileSync(out), { passphrase });
    expect(bundle.items).toEqual(sampleContent().items);
    expect(signer?.fingerprint).toBe(fingerprint(signingKey.publicKey));
  });
});
