import { describe, expect, it } from 'vitest';
import { Profiles } from '../../src/core/vault/profiles';
import type { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { newVault } from '../helpers/vault';

// A tired user: web/dev (token T1) went to the trash; a new web/dev was added and synced, and Kura
// answered "replace", which voids T1; that one went to the trash too. Restoring the first brought
// T1 back as `synced`: nothing pushed it, `profile token` printed the dead token, `run` injected it.
// It now comes back failed, its token unusable, with the reason and the way out.

const cleanups = useCleanups();

function synced(vault: Vault, id: string, authToken: string, obtainedAt: string, syncType: 'create' | 'replace'): void {
  const { summary } = vault.profiles.load(id);
  vault.profiles.recordSync(
    summary,
    { ...Profiles.metaOf(summary), hasToken: true },
    { authToken, agentId: 'web', name: 'dev', obtainedAt, syncType },
    'synced',
  );
}

/** web/dev synced with T1 and trashed; a second web/dev synced later as a replace (T2) and trashed too. */
async function bothTrashed() {
  const { vault, cleanup } = await newVault();
  cleanups.push(cleanup);
  const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
  synced(vault, first.id, 'tok-T1', '2026-12-01T00:00:00.000Z', 'create');
  vault.profiles.remove(first.id, { confirmTokenLoss: true });
  const second = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
  synced(vault, second.id, 'tok-T2', '2026-12-02T00:00:00.000Z', 'replace');
  vault.profiles.remove(second.id, { confirmTokenLoss: true });
  return { vault, first, second };
}

describe('a profile restored from the trash after a later one of its name replaced it on Kura', () => {
  it('comes back failed, its token not handed out, saying why', async () => {
    const { vault, first } = await bothTrashed();
    const restored = vault.trash.restore(first.id);
    expect(restored.state).toBe('failed');
    const summary = vault.profiles.resolve(first.id);
    expect(summary).toMatchObject({ syncState: 'failed', lastError: expect.stringContaining('Kura replaced this remote profile while it was in the trash') });
    expect(() => vault.profiles.token(first.id)).toThrow();
    expect(vault.profiles.get(first.id, { reveal: true }).authToken).toBeNull();
  });

  it('a profile whose token is the newest comes back synced, as before', async () => {
    const { vault, second: newer } = await bothTrashed();
    expect(vault.trash.restore(newer.id).state).toBe('synced');
    expect(vault.profiles.token(newer.id).authToken).toBe('tok-T2');
  });
});
