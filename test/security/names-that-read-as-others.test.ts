import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportToFile, importFile } from '../../src/core/share/exchange';
import { loadVaultKeys } from '../../src/core/share/vault-keys';
import { expectKeyholdError } from '../fixtures/share/samples';
import { useCleanups } from '../helpers/cleanup';
import { writeLegacyByokKey, writeLegacyProfile } from '../helpers/legacy';
import { newVault, PASSWORD } from '../helpers/vault';
import { Vault } from '../../src/core/vault/vault';
import { cliVault } from './cli-env';
import { hostileBundle, useReceiver, type HostileProfile } from './hostile-bundle';

// Attack: a teammate's bundle holds a profile whose name reads as another one. "crm-bot/\u202Edorp"
// shows as "crm-bot/prod" wherever bidi text is laid out (the window, a browser, most terminals), and
// "API_KEY\u200B" looks exactly like "API_KEY". The person then reveals, copies or runs the wrong
// profile, or a teammate's value under a key they believe they already have. The CLI prints such
// characters escaped (output-control-characters.test.ts); names are now refused where they come in.

const bob = useReceiver();
const cleanups = useCleanups();

const DECEPTIVE: [string, string][] = [
  ['\u202e', 'right-to-left override'],
  ['\u2066', 'left-to-right isolate'],
  ['\u200f', 'right-to-left mark'],
  ['\u061c', 'Arabic letter mark'],
  ['\u200b', 'zero-width space'],
  ['\u2060', 'word joiner'],
  ['\ufeff', 'byte order mark'],
  ['\u00ad', 'soft hyphen'],
  ['\u0085', 'C1 next line'],
  ['\u2028', 'line separator'],
];

describe('names that read as other names', () => {
  it.each(DECEPTIVE)('%j (%s) is refused in a profile name, a key name, an agent id and a BYOK kind, naming the character', async (c) => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    const code = `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    const why = new RegExp(`may not contain invisible or direction-changing characters \\(it holds ${code.replace('+', '\\+')}\\)`);
    await expectKeyholdError(() => vault.profiles.create({ agentId: 'crm-bot', name: `pr${c}od`, authData: { K: 'v' } }), 'BadInput', why);
    await expectKeyholdError(() => vault.profiles.create({ agentId: 'crm-bot', name: 'prod', authData: { [`API${c}_KEY`]: 'v' } }), 'BadInput', why);
    await expectKeyholdError(() => vault.agents.set({ agentId: `crm${c}bot`, args: ['K'] }), 'BadInput', why);
    await expectKeyholdError(() => vault.byok.set({ kind: `claude${c}code`, provider: 'other', apiKey: 'k-123456' }), 'BadInput', why);
    expect(vault.profiles.list()).toEqual([]);
    expect(vault.agents.list()).toEqual([]);
    expect(vault.byok.list()).toEqual([]);
  });

  it('a teammate bundle with such a profile name or key name is refused whole, and nothing is written', async () => {
    await bob.vault.profiles.create({ agentId: 'crm-bot', name: 'prod', authData: { API_KEY: 'mine' } });
    const profiles: HostileProfile[] = [
      { agentId: 'crm-bot', name: '\u202edorp', authData: { API_KEY: 'theirs' }, saveSession: false },
      { agentId: 'crm-bot', name: 'staging', authData: { 'API_KEY\u200b': 'theirs' }, saveSession: false },
    ];
    for (const profile of profiles) {
      const path = await hostileBundle(bob.vault, bob.dir, [profile], { unchecked: true });
      await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'BundleInvalid', /invisible or direction-changing characters/);
    }
    expect(bob.vault.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual(['crm-bot/prod']);
  });

  it('a vault written before the rule keeps such a name; an export names that profile by id and exports once it is renamed', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    vault.profiles.create({ agentId: 'crm-bot', name: 'prod', authData: { K: 'v' } });
    const id = writeLegacyProfile(vault, { agentId: 'crm-bot', name: '\u202edorp', authData: { K: 'old' } });
    const recipient = (await loadVaultKeys(vault)).recipient;
    const out = join(dir, '..', 'export.age');
    const error = await expectKeyholdError(
      () => exportToFile(vault, out, { all: true, target: { recipients: [recipient] } }),
      'BadInput',
      new RegExp(`^Nothing was exported: the profile ${id} cannot travel in a bundle \\(its name\\)\\. Profile name may not contain invisible`),
    );
    expect(error.field).toBe('notExportable');
    expect(existsSync(out)).toBe(false);
    const keyId = writeLegacyByokKey(vault, { kind: 'claude\u2066code', apiKey: 'k-123456' });
    await expectKeyholdError(
      () => exportToFile(vault, out, { select: ['crm-bot/prod'], withByok: true, target: { recipients: [recipient] } }),
      'BadInput',
      new RegExp(`^Nothing was exported: the BYOK key ${keyId} cannot travel in a bundle \\(its kind\\)\\. Agent kind may not contain invisible`),
    );
    // What it holds is still usable, and a rename is the way out.
    expect(vault.profiles.get(id, { reveal: true }).authData).toEqual({ K: 'old' });
    vault.profiles.edit(id, { name: 'prod-old' });
    expect(await exportToFile(vault, out, { all: true, target: { recipients: [recipient] } })).toMatchObject({ profiles: 2 });
  });

  it('the CLI says how to get such a profile out: change it, or export a selection without it', async () => {
    const v = await cliVault('keyhold-sec-lookalike-');
    cleanups.push(v.cleanup);
    const vault = Vault.open(v.env.KEYHOLD_VAULT);
    await vault.unlock(PASSWORD);
    let id: string;
    try {
      id = writeLegacyProfile(vault, { agentId: 'crm-bot', name: 'pr\u200bod', authData: { K: 'v' } });
    } finally {
      vault.close();
    }
    const recipient = (await v.ok(['identity', '--json'])).json<{ recipient: string }>().recipient;
    const r = await v.run(['export', '--all', '--to', recipient, '--out', join(v.dir, 'out.age')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Nothing was exported: the profile ${id} cannot travel in a bundle (its name).`);
    expect(r.stderr).toContain('"keyhold profile edit ID"');
    expect(r.stderr).toContain('--select');
    expect(existsSync(join(v.dir, 'out.age'))).toBe(false);
  });

  it('names in any script, emoji sequences joined by U+200D, and the joiners scripts need stay allowed', async () => {
    const { vault, cleanup } = await newVault();
    cleanups.push(cleanup);
    for (const name of ['👩\u200d💻 dev', 'مختبر', 'קורא', 'प्रो\u200dड', 'تست\u200cها', 'Zürich']) {
      await vault.profiles.create({ agentId: 'crm-bot', name, authData: { K: 'v' } });
    }
    expect(vault.profiles.list()).toHaveLength(6);
  });

  it('a name that reads as another by Unicode normalization (é, or e and a combining accent) is refused: added, imported, in one batch, or renamed to', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(composed).not.toBe(decomposed);
    const mine = bob.vault.profiles.create({ agentId: 'crm', name: composed, authData: { K: 'mine' } });
    const refused = (fn: () => unknown) => expectKeyholdError(async () => fn(), 'Conflict', /reads the same as the profile "crm\/caf\u00e9"/);
    await refused(() => bob.vault.profiles.create({ agentId: 'crm', name: decomposed, authData: { K: 'theirs' } }));
    const other = bob.vault.profiles.create({ agentId: 'crm', name: 'other', authData: { K: 'x' } });
    await refused(() => bob.vault.profiles.edit(other.id, { name: decomposed }));
    // A teammate's bundle: the look-alike is refused and nothing is written.
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'crm', name: decomposed, authData: { K: 'theirs' }, saveSession: false }]);
    await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'Conflict', /reads the same as the profile "crm\/caf\u00e9"/);
    expect(
      bob.vault.profiles
        .list()
        .map((p) => p.id)
        .sort(),
    ).toEqual([mine.id, other.id].sort());
    // Two look-alikes in one batch: the second names the first.
    await expectKeyholdError(
      async () =>
        bob.vault.profiles.createMany([
          { agentId: 'x', name: composed, authData: {} },
          { agentId: 'x', name: decomposed, authData: {} },
        ]),
      'Conflict',
      /reads the same as the profile "x\/caf\u00e9" given before it/,
    );
    // Nor from the trash: a profile trashed before its look-alike was added stays there.
    const trashed = bob.vault.profiles.create({ agentId: 'bin', name: composed, authData: {} });
    bob.vault.profiles.remove(trashed.id);
    bob.vault.profiles.create({ agentId: 'bin', name: decomposed, authData: {} });
    await expectKeyholdError(async () => bob.vault.trash.restore(trashed.id), 'Conflict', /reads the same as the profile "bin\/cafe\u0301"/);
    // Renaming a profile to its own name's other encoding is not a clash with itself.
    const mac = bob.vault.profiles.create({ agentId: 'mac', name: decomposed, authData: {} });
    expect(bob.vault.profiles.edit(mac.id, { name: composed }).name).toBe(composed);
  });
});
