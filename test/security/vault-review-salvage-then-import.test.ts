import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyhold } from '../helpers/cli';
import { useCleanups } from '../helpers/cleanup';
import { PASSWORD, tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';
import { flipCell } from './tamper';

const cleanups = useCleanups();
const PASSPHRASE = 'salvage passphrase of seven good words';
const INIT = ['init', '--kdf-memory', '1', '--kdf-iterations', '1'];

// A tired user with a damaged vault runs `keyhold doctor --salvage FILE` and then, on a new vault
// (no backup to restore), does what it says: `keyhold import --passphrase-stdin FILE`.
describe('doctor --salvage, then import into a vault made since', () => {
  it('names the signer fingerprint import will show, and import with --trust-signer brings back every readable item', async () => {
    const v = await cliVault('keyhold-salvage-import-');
    cleanups.push(v.cleanup);
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-kept-0123456789']);
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'lost', '--set', 'API_KEY=sk-lost-0123456789']);
    const lost = (await v.ok(['profile', 'list', '--json'])).json<{ id: string; name: string }[]>().find((p) => p.name === 'lost');
    flipCell(v.env.KEYHOLD_VAULT, 'profiles', 'secrets', `id = '${lost?.id}'`);
    const file = join(v.dir, 'salvage.age');

    const doctor = await v.run(['doctor', '--salvage', file], `${PASSPHRASE}\n`);
    expect(doctor.code).toBe(8);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const fingerprint = /fingerprint ([A-Z0-9-]+)\)/.exec(doctor.stdout)?.[1];
    expect(fingerprint, doctor.stdout).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){5}$/);
    expect(doctor.stdout).toContain('add --trust-signer');
    expect(doctor.stdout + doctor.stderr).not.toContain(PASSPHRASE);
    expect(doctor.stdout + doctor.stderr).not.toContain('sk-kept');

    const fresh = tempDir('keyhold-salvage-fresh-');
    cleanups.push(fresh.cleanup);
    const env = { KEYHOLD_VAULT: join(fresh.dir, 'vault'), KEYHOLD_PASSWORD: PASSWORD };
    expect((await keyhold(INIT, { env })).code).toBe(0);
    const refused = await keyhold(['import', file, '--passphrase-stdin', '--yes'], { env, input: `${PASSPHRASE}\n` });
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain(`fingerprint ${fingerprint}`);
    const imported = await keyhold(['import', file, '--passphrase-stdin', '--trust-signer', '--yes'], { env, input: `${PASSPHRASE}\n` });
    expect(imported.code, imported.stderr).toBe(0);
    const shown = await keyhold(['profile', 'show', 'crm/prod', '--reveal', '--json'], { env });
    expect(shown.stdout).toContain('sk-kept-0123456789');
    expect((await keyhold(['profile', 'list', '--json'], { env })).json<{ name: string }[]>().map((p) => p.name)).toEqual(['prod']);
  });

  it('refuses a salvage file name that is taken, or a folder, before asking for any password, and leaves it alone', async () => {
    const v = await cliVault('keyhold-salvage-taken-');
    cleanups.push(v.cleanup);
    const taken = join(v.dir, 'taken.age');
    writeFileSync(taken, 'keep me\n');
    const folder = join(v.dir, 'folder');
    mkdirSync(folder);
    // No master password in the environment and no terminal: a question asked would fail first.
    const { KEYHOLD_PASSWORD: _password, ...noPassword } = v.env;
    const r = await keyhold(['doctor', '--salvage', taken], { env: noPassword });
    expect(r.code).toBe(6);
    expect(r.stderr).toBe(`keyhold: ${taken} already exists. Keyhold does not overwrite files: choose another name or remove it first.\n`);
    expect(readFileSync(taken, 'utf8')).toBe('keep me\n');
    const f = await keyhold(['doctor', '--salvage', folder], { env: noPassword });
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/is a folder/);
    expect(r.stdout + f.stdout).toBe('');
  });
});
