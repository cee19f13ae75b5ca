import { describe, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup';
import { apiHarness, MASTER } from '../integration/api-harness';

// Attack (a compromised window: a script in the page that can make every IPC call): deleting is
// undone from the trash, so the page went further. profileDelete (with confirmTokenLoss, which the
// page sets) and byokDelete, then trashPurge by id, or trashPurge with confirm: true, destroyed
// every profile, its history and Kura token and every BYOK key for good; remoteDelete threw away a
// connection's API key, which the person may keep nowhere else. The window's own "Delete forever?"
// dialog is drawn by the page, which can skip it. Now main asks in its own dialog, naming what goes.

const cleanups = useCleanups();

async function vaultWithTrash() {
  const h = apiHarness();
  cleanups.push(() => h.cleanup());
  await h.ok('vaultCreate', { password: MASTER });
  await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { PASSWORD: 'db-password-0001' } });
  await h.ok('byokSet', { kind: 'claude-code', apiKey: 'sk-ant-api03-THE-ONLY-COPY-0000000000000000' });
  await h.ok('profileDelete', { ref: 'crm/prod', confirmTokenLoss: true });
  await h.ok('byokDelete', { kind: 'claude-code' });
  h.confirmations.asked.length = 0;
  return h;
}

describe('a window that deletes for good', () => {
  it('purging one item asks in main’s dialog, naming it; Cancel (the page cannot answer) keeps it', async () => {
    const h = await vaultWithTrash();
    h.confirmations.answer = false;
    const [first] = await h.ok('trashList');
    expect(await h.call('trashPurge', { id: first?.id as string })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(await h.ok('trashList')).toHaveLength(2);
    expect(h.confirmations.asked).toEqual([{ message: 'Delete claude-code for good?', detail: expect.stringContaining('cannot be undone') }]);

    h.confirmations.answer = true;
    expect(await h.ok('trashPurge', { id: first?.id as string })).toEqual({ purged: 1 });
    expect((await h.ok('trashList')).map((e) => e.ref)).toEqual(['crm/prod']);
  });

  it('emptying the trash asks, with the count; Cancel keeps everything and restore still works', async () => {
    const h = await vaultWithTrash();
    h.confirmations.answer = false;
    expect(await h.call('trashPurge', { confirm: true })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(h.confirmations.asked.map((q) => q.message)).toEqual(['Empty the trash?']);
    expect(h.confirmations.asked[0]?.detail).toContain('2 items');
    const [first] = await h.ok('trashList');
    await h.ok('trashRestore', { id: first?.id as string });
    // An empty trash, or a call without the window's own confirmation, asks nothing.
    h.confirmations.asked.length = 0;
    expect(await h.call('trashPurge', {})).toMatchObject({ ok: false, error: { code: 'Conflict', field: 'confirmPurge' } });
    expect(h.confirmations.asked).toEqual([]);
  });

  it('a yes empties what the person was shown: what the page trashes while the question is open stays', async () => {
    let h: ReturnType<typeof apiHarness> | null = null;
    h = apiHarness({
      confirm: {
        confirm: async () => {
          await h?.ok('profileDelete', { ref: 'crm/staging' });
          return true;
        },
      },
    });
    cleanups.push(() => h?.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { PASSWORD: 'db-password-0001' } });
    await h.ok('profileCreate', { agentId: 'crm', name: 'staging', authData: { PASSWORD: 'db-password-0002' } });
    await h.ok('profileDelete', { ref: 'crm/prod' });
    expect(await h.ok('trashPurge', { confirm: true })).toEqual({ purged: 1 });
    expect((await h.ok('trashList')).map((e) => e.ref)).toEqual(['crm/staging']);
  });

  it('removing a connection, and with it its credential, asks; Cancel keeps it', async () => {
    const h = apiHarness();
    cleanups.push(() => h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('remoteSet', { kind: 'kura', url: 'https://kura.example.com', credential: 'kura-api-key-only-copy' });
    h.confirmations.asked.length = 0;
    h.confirmations.answer = false;
    expect(await h.call('remoteDelete', { kind: 'kura' })).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(await h.ok('remotesList')).toMatchObject([{ kind: 'kura', url: 'https://kura.example.com' }]);
    expect(h.confirmations.asked).toEqual([{ message: 'Remove the Kura connection to https://kura.example.com?', detail: expect.stringContaining('API key') }]);
    // Nothing to remove: refused as before, nothing asked.
    expect(await h.call('remoteDelete', { kind: 'backside' })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(h.confirmations.asked).toHaveLength(1);
  });

  it('without main’s dialog, purges and removals from the window are refused', async () => {
    const h = apiHarness({ confirm: undefined });
    cleanups.push(() => h.cleanup());
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'crm', name: 'prod', authData: { PASSWORD: 'db-password-0001' } });
    await h.ok('profileDelete', { ref: 'crm/prod' });
    expect(await h.call('trashPurge', { confirm: true })).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(await h.ok('trashList')).toHaveLength(1);
  });
});
