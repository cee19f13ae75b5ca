import { describe, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup';
import { connect, fastEngine, servers } from '../helpers/sync';
import { newVault } from '../helpers/vault';

// web/dev synced (T1), then was renamed to web/staging: T1 stays in its history, and restoring the
// version named web/dev brings it back. Meanwhile another web/dev synced as a replace, which voids
// T1, and was renamed away. The version restore used to bring T1 back all the same: `profile token`
// handed out a dead token until the next push failed. Now a token Kura voided since stays in the
// history, and going back to web/dev is what it then is: a new remote profile, to be confirmed.

const cleanups = useCleanups();

async function setup() {
  const v = await newVault();
  cleanups.push(v.cleanup);
  const s = await servers();
  cleanups.push(() => s.close());
  connect(v.vault, s);
  const engine = fastEngine(v.vault);
  const { vault } = v;
  const first = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'a' } });
  await engine.syncAll();
  const t1 = vault.profiles.token(first.id).authToken;
  vault.profiles.edit(first.id, { name: 'staging' }, { confirmNewRemote: true });
  await engine.syncAll();
  return { vault, engine, s, first, t1 };
}

describe('restoring a version whose retired token Kura voided since', () => {
  it('does not bring the dead token back: the restore asks to confirm a new remote profile, and then holds no token', async () => {
    const { vault, engine, s, first, t1 } = await setup();
    const second = vault.profiles.create({ agentId: 'web', name: 'dev', authData: { K: 'b' } });
    await engine.syncAll();
    expect(s.kura.state.invalidatedTokens.has(t1)).toBe(true);
    vault.profiles.edit(second.id, { name: 'other' }, { confirmNewRemote: true });

    expect(() => vault.profiles.restore(first.id, 1)).toThrow(expect.objectContaining({ code: 'Conflict', field: 'confirmNewRemote' }));
    const restored = vault.profiles.restore(first.id, 1, { confirmNewRemote: true });
    expect(restored).toMatchObject({ name: 'dev', hasToken: false, syncState: 'pending' });
    expect(() => vault.profiles.token(first.id)).toThrow();
    expect(JSON.stringify(vault.profiles.get(first.id, { reveal: true }))).not.toContain(t1);
  });

  it('still brings back a retired token nothing voided', async () => {
    const { vault, first, t1 } = await setup();
    // Leaving web/staging, which is synced, is confirmed as any rename is.
    const restored = vault.profiles.restore(first.id, 1, { confirmNewRemote: true });
    expect(restored).toMatchObject({ name: 'dev', hasToken: true });
    expect(vault.profiles.token(first.id).authToken).toBe(t1);
  });
});
