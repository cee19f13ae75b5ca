import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle } from '../helpers/share';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { newVault, PASSWORD } from '../helpers/vault';
import { flipCell } from './tamper';

const cleanups = useCleanups();
const PASSPHRASE = 'salvage boat under a grey sky';

// Bad luck: a disk error takes out cells of two profiles. Before: nothing could be read or
// exported. Now: doctor --salvage writes everything still readable to a passphrase-encrypted,
// signed bundle (the share export format), leaving out exactly the damaged items.
describe('doctor --salvage on a damaged vault', () => {
  it('writes every readable profile and key to an encrypted bundle, skipping the damaged ones', async () => {
    const v = await newVault();
    cleanups.push(v.cleanup);
    v.vault.profiles.create({ agentId: 'crm', name: 'good', authData: { K: 'kept' } });
    const badMeta = v.vault.profiles.create({ agentId: 'crm', name: 'bad-meta', authData: { K: 'x' } });
    const badSecrets = v.vault.profiles.create({ agentId: 'crm', name: 'bad-secrets', authData: { K: 'y' } });
    v.vault.byok.set({ kind: 'claude', provider: 'anthropic', apiKey: 'sk-ant-0123456789abcdefghij' });
    // In the trash: left out of the bundle (a bundle holds one item per name), and counted.
    v.vault.profiles.remove(v.vault.profiles.create({ agentId: 'crm', name: 'trashed', authData: { K: 'z' } }).id);
    v.vault.close();
    flipCell(v.dir, 'profiles', 'meta', 'id = ?', badMeta.id);
    flipCell(v.dir, 'profiles', 'secrets', 'id = ?', badSecrets.id);

    const out = join(v.dir, '..', 'salvage.age');
    const env = { KEYHOLD_VAULT: v.dir, KEYHOLD_PASSWORD: PASSWORD };
    const weak = await keyhold(['doctor', '--salvage', out], { env, input: 'password1234\n' });
    expect(weak.code).toBe(2);
    expect(existsSync(out)).toBe(false);

    const r = await keyhold(['doctor', '--salvage', out, '--json'], { env, input: `${PASSPHRASE}\n` });
    expect(r.code).toBe(8);
    const report = r.json<{ damaged: { rowId: string; column: string }[]; salvaged: { profiles: number; byokKeys: number } }>();
    expect(report.damaged.map((d) => `${d.rowId}.${d.column}`).sort()).toEqual([`${badMeta.id}.meta`, `${badSecrets.id}.secrets`].sort());
    expect(report.salvaged).toMatchObject({ profiles: 1, byokKeys: 1, trashedLeftOut: 1 });
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const { bundle } = await openBundle(readFileSync(out), { passphrase: PASSPHRASE });
    expect(bundle.items.profiles.map((p) => [p.name, p.authData])).toEqual([['good', { K: 'kept' }]]);
    expect(bundle.items.byokKeys?.map((b) => b.apiKey)).toEqual(['sk-ant-0123456789abcdefghij']);
  }, 60_000);
});
