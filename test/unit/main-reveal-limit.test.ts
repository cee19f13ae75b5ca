import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebFrameMain } from 'electron';
import { createRouter } from '../../src/core/ipc/router';
import { contract } from '../../src/shared/contract';
import { ErrorPayload } from '../../src/shared/errors';
import type { Handlers } from '../../src/shared/ipc';
import { testContract, VAULT_ID } from './ipc-test-contract';

vi.mock('electron', () => import('./main-electron-fake'));

const { fake, ipcMain } = await import('./main-electron-fake');
const { registerIpcHandlers } = await import('../../src/main/ipc');
const { REVEAL_BURST, REVEAL_REFILL_MS, RevealLimit, SECRET_CALLS } = await import('../../src/main/reveal-limit');

const SECRET = 'sk-live-never-in-an-error';

/** A clock the test moves by hand: no real waiting, no timing measured. */
function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

beforeEach(() => fake.reset());

describe('the reveal limit', () => {
  it('lets a burst through, then refuses with a specific error that says when to try again', () => {
    const c = clock();
    const limit = new RevealLimit({ calls: ['reveal'], now: c.now });
    for (let i = 0; i < REVEAL_BURST; i++) expect(limit.check('reveal'), `call ${i + 1}`).toBeNull();
    const refused = limit.check('reveal');
    expect(refused).toMatchObject({ ok: false, error: { code: 'TooManyReveals' } });
    const error = ErrorPayload.parse(refused?.ok === false ? refused.error : null);
    expect(error.message).toContain(`It allows ${REVEAL_BURST} in a row, then one every 3 seconds. Try again in 3 seconds.`);
    expect(error.message).toContain('nothing was shown or copied');
    expect(error.field).toBeUndefined();
  });

  it('refills one call per interval, never past the burst', () => {
    const c = clock();
    const limit = new RevealLimit({ calls: ['reveal'], now: c.now });
    for (let i = 0; i < REVEAL_BURST; i++) limit.check('reveal');
    c.advance(REVEAL_REFILL_MS - 1);
    expect(limit.check('reveal')).toMatchObject({ error: { message: expect.stringContaining('Try again in 1 second.') } });
    c.advance(1);
    expect(limit.check('reveal')).toBeNull();
    expect(limit.check('reveal')).not.toBeNull();

    // A long pause gives back the whole burst, and no more.
    c.advance(REVEAL_REFILL_MS * REVEAL_BURST * 10);
    for (let i = 0; i < REVEAL_BURST; i++) expect(limit.check('reveal'), `call ${i + 1}`).toBeNull();
    expect(limit.check('reveal')).not.toBeNull();
  });

  it('counts only the calls it was given; a refused call is not counted', () => {
    const c = clock();
    const limit = new RevealLimit({ calls: ['reveal', 'copy'], burst: 2, refillMs: 1_000, now: c.now });
    expect(limit.check('reveal')).toBeNull();
    expect(limit.check('copy')).toBeNull();
    // Reveals and copies share one allowance.
    expect(limit.check('reveal')).not.toBeNull();
    expect(limit.check('copy')).not.toBeNull();
    for (let i = 0; i < 100; i++) expect(limit.check('list')).toBeNull();
    c.advance(1_000);
    // Refusals in between did not use up what came back.
    expect(limit.check('copy')).toBeNull();
  });

  it('gains nothing from a clock that goes back', () => {
    const c = clock();
    const limit = new RevealLimit({ calls: ['reveal'], burst: 1, refillMs: 1_000, now: c.now });
    expect(limit.check('reveal')).toBeNull();
    c.advance(-60_000);
    expect(limit.check('reveal')).not.toBeNull();
  });

  it('covers every call of the contract that reveals or copies a secret', () => {
    const names = Object.keys(contract);
    // identityCopy copies the vault's public recipient or signing key: nothing secret.
    const secretLooking = names.filter((n) => /(Reveal|Copy)$/.test(n) && n !== 'identityCopy');
    expect([...SECRET_CALLS].sort()).toEqual(secretLooking.sort());
  });
});

describe('the reveal limit in IPC registration', () => {
  const top = { url: 'app://keyhold/index.html', parent: null } as unknown as WebFrameMain;

  function setup() {
    const c = clock();
    // listProfiles stands in for a reveal: its handler is what a refusal must never reach.
    const listProfiles = vi.fn(() => [{ id: VAULT_ID, name: SECRET }]);
    const handlers: Handlers<typeof testContract> = {
      createVault: () => ({ vaultId: VAULT_ID }),
      unlock: () => ({ unlocked: true as const }),
      lock: () => null,
      upsertProfile: () => ({ id: VAULT_ID, version: 1 }),
      listProfiles,
      setTheme: ({ theme }) => ({ theme }),
    };
    const onCall = vi.fn();
    registerIpcHandlers(createRouter(testContract, handlers), {
      allowedOrigins: ['app://keyhold'],
      onCall,
      limit: new RevealLimit({ calls: ['listProfiles'], now: c.now }),
    });
    const call = (name: string, frame: unknown = top, input: unknown = {}) => ipcMain.handlers.get(`keyhold:${name}`)?.({ senderFrame: frame }, input);
    return { c, listProfiles, onCall, call };
  }

  it('refuses a call over the limit before any handler runs, and lets it through again after the refill', async () => {
    const { c, listProfiles, onCall, call } = setup();
    for (let i = 0; i < REVEAL_BURST; i++) expect(await call('listProfiles')).toMatchObject({ ok: true });
    const refused = await call('listProfiles');
    expect(refused).toMatchObject({ ok: false, error: { code: 'TooManyReveals' } });
    expect(JSON.stringify(refused)).not.toContain(SECRET);
    expect(listProfiles).toHaveBeenCalledTimes(REVEAL_BURST);
    expect(onCall).toHaveBeenCalledTimes(REVEAL_BURST);
    // Other calls are not limited.
    expect(await call('setTheme', top, { theme: 'dark' })).toEqual({ ok: true, value: { theme: 'dark' } });

    c.advance(REVEAL_REFILL_MS);
    expect(await call('listProfiles')).toMatchObject({ ok: true });
    expect(await call('listProfiles')).toMatchObject({ ok: false, error: { code: 'TooManyReveals' } });
    expect(listProfiles).toHaveBeenCalledTimes(REVEAL_BURST + 1);
  });

  it('does not let a call from another frame use up the allowance', async () => {
    const { listProfiles, call } = setup();
    const evil = { url: 'https://evil.example/', parent: null };
    for (let i = 0; i < REVEAL_BURST * 2; i++) expect(await call('listProfiles', evil)).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    for (let i = 0; i < REVEAL_BURST; i++) expect(await call('listProfiles')).toMatchObject({ ok: true });
    expect(listProfiles).toHaveBeenCalledTimes(REVEAL_BURST);
  });
});
