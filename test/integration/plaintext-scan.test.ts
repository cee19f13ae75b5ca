import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { Profiles } from '../../src/core/vault/profiles';
import { newVault } from '../helpers/vault';
import { useCleanups } from '../helpers/cleanup';

const cleanups = useCleanups();

const marker = (label: string) => `${label}${randomBytes(9).toString('hex')}`;

function scan(dir: string, needles: string[]): string[] {
  const found: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const file = dbPath(dir) + suffix;
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (const n of needles) {
      if (bytes.includes(Buffer.from(n, 'utf8')) || bytes.includes(Buffer.from(n, 'utf16le'))) found.push(`${n} in ${suffix || 'db'}`);
    }
  }
  return found;
}

describe('nothing a person typed is stored in plaintext', () => {
  it('finds none of the typed strings in the database, -wal or -shm files', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    const typed = {
      agentId: marker('agent'),
      name: marker('name'),
      key: marker('KEY'),
      value: marker('value'),
      declaredArg: marker('ARG'),
      kind: marker('kind'),
      apiKey: `sk-ant-api03-${marker('byok')}`,
      kuraUrl: `https://${marker('kurahost')}.example`,
      kuraKey: marker('kurakey'),
      backsideToken: marker('bearer'),
      authToken: marker('kuratoken'),
      tokenEnv: marker('TOKEN_ENV_'),
      renamed: marker('renamed'),
    };
    vault.agents.set({ agentId: typed.agentId, args: [typed.key, typed.declaredArg] });
    vault.profiles.create({ agentId: typed.agentId, name: typed.name, authData: { [typed.key]: typed.value } });
    vault.profiles.edit(`${typed.agentId}/${typed.name}`, { set: { [typed.declaredArg]: typed.value } });
    vault.byok.set({ kind: typed.kind, apiKey: typed.apiKey });
    vault.remotes.set({ kind: 'kura', url: typed.kuraUrl, credential: typed.kuraKey });
    vault.remotes.set({ kind: 'backside', url: 'https://backside.example', credential: typed.backsideToken });
    vault.profiles.get(`${typed.agentId}/${typed.name}`, { reveal: true });
    // The Kura token, its variable name, the record of it per agent + name, the history that keeps
    // it after a rename, and the trash.
    vault.agents.setTokenEnv(typed.agentId, typed.tokenEnv);
    const synced = vault.profiles.resolve(`${typed.agentId}/${typed.name}`);
    const token = { authToken: typed.authToken, agentId: typed.agentId, name: typed.name };
    vault.profiles.recordSync(synced, { ...Profiles.metaOf(synced), hasToken: true }, token, 'synced', token);
    vault.profiles.edit(synced.id, { name: typed.renamed }, { confirmNewRemote: true });
    vault.profiles.restore(synced.id, 2, { confirmNewRemote: true });
    expect(vault.profiles.token(synced.id).authToken).toBe(typed.authToken);
    vault.profiles.remove(synced.id, { confirmTokenLoss: true });
    vault.byok.remove(typed.kind);
    expect(vault.trash.list()).toHaveLength(2);

    expect(vault.db.prepare('SELECT count(*) AS n FROM kura_identities').get()).toEqual({ n: 1 });
    const needles = [...Object.values(typed), createHash('sha256').update(typed.authToken).digest('hex')];
    // While open, recent pages live in the WAL; after close they are checkpointed into the db.
    expect(existsSync(`${dbPath(dir)}-wal`)).toBe(true);
    expect(scan(dir, needles)).toEqual([]);
    vault.close();
    expect(scan(dir, needles)).toEqual([]);
  });

  it('the scan itself finds a planted plaintext (the check can fail)', async () => {
    const { vault, dir, cleanup } = await newVault();
    cleanups.push(cleanup);
    const planted = marker('planted');
    vault.db.exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('${planted}')`);
    expect(scan(dir, [planted]).length).toBeGreaterThan(0);
  });
});
