import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents, WebFrameMain } from 'electron';
import { createRouter } from '../../src/core/ipc/router';
import type { Handlers } from '../../src/shared/ipc';
import { testContract, testEvents, VAULT_ID } from './ipc-test-contract';

vi.mock('electron', () => import('./main-electron-fake'));

const { FakeWebContents, fake, ipcMain } = await import('./main-electron-fake');
const { isTrustedFrame, originOf, registerIpcHandlers, UNTRUSTED_SENDER } = await import('../../src/main/ipc');
const { createEmitter } = await import('../../src/main/events');

const handlers = (): Handlers<typeof testContract> => ({
  createVault: vi.fn(() => ({ vaultId: VAULT_ID })),
  unlock: vi.fn(() => ({ unlocked: true as const })),
  lock: vi.fn(() => null),
  upsertProfile: vi.fn(() => ({ id: VAULT_ID, version: 1 })),
  listProfiles: vi.fn(() => []),
  setTheme: vi.fn(({ theme }) => ({ theme })),
});

const top = (url: string) => ({ url, parent: null }) as unknown as WebFrameMain;
const event = (senderFrame: unknown) => ({ senderFrame });

beforeEach(() => fake.reset());

describe('IPC registration', () => {
  function setup(allowedOrigins = ['app://keyhold']) {
    const h = handlers();
    const onCall = vi.fn();
    const dispose = registerIpcHandlers(createRouter(testContract, h), { allowedOrigins, onCall });
    const call = (name: string, frame: unknown, input: unknown) => {
      const handler = ipcMain.handlers.get(`keyhold:${name}`);
      if (!handler) throw new Error(`no handler for ${name}`);
      return handler(event(frame), input);
    };
    return { h, onCall, dispose, call };
  }

  it('registers exactly one handler per contract call and removes them all', () => {
    const { dispose } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      Object.keys(testContract)
        .map((n) => `keyhold:${n}`)
        .sort(),
    );
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it("answers Keyhold's own top-level frame through the router", async () => {
    const { call, h, onCall } = setup();
    await expect(call('setTheme', top('app://keyhold/index.html'), { theme: 'dark' })).resolves.toEqual({
      ok: true,
      value: { theme: 'dark' },
    });
    expect(h.setTheme).toHaveBeenCalledTimes(1);
    expect(onCall).toHaveBeenCalledWith('setTheme');
    await expect(call('setTheme', top('app://keyhold/'), { theme: 'neon' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'BadInput', field: 'theme' },
    });
  });

  it('refuses a missing frame, a sub-frame and any other origin with a typed envelope', async () => {
    const { call, h, onCall } = setup(['app://keyhold', 'http://localhost:5173']);
    const frames = [
      null,
      undefined,
      { url: 'app://keyhold/index.html', parent: top('app://keyhold/index.html') },
      top('https://evil.example/'),
      top('file:///app/out/renderer/index.html'),
      top('app://evil/index.html'),
      top('http://localhost:5174/'),
      top('https://localhost:5173/'),
      top('data:text/html,hi'),
      top('about:blank'),
      top('not a url'),
    ];
    for (const frame of frames) {
      expect(await call('lock', frame, undefined), JSON.stringify(frame)).toEqual(UNTRUSTED_SENDER);
    }
    expect(UNTRUSTED_SENDER).toMatchObject({ ok: false, error: { code: 'BadInput' } });
    expect(h.lock).not.toHaveBeenCalled();
    expect(onCall).not.toHaveBeenCalled();
    expect(await call('lock', top('http://localhost:5173/'), undefined)).toEqual({ ok: true, value: null });
  });

  it('computes origins for custom schemes, which WHATWG URL leaves as "null"', () => {
    expect(originOf('app://keyhold/a/b.html?x#y')).toBe('app://keyhold');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(isTrustedFrame(top('app://keyhold/'), [])).toBe(false);
  });
});

describe('events', () => {
  it('sends parsed payloads on the events channel and drops ones that break the contract', () => {
    const contents = new FakeWebContents();
    const log = vi.fn();
    const emit = createEmitter(testEvents, () => contents as unknown as WebContents, log);
    emit('locked', { reason: 'idle' });
    emit('syncProgress', { done: 1, total: 'many' } as unknown as { done: number; total: number });
    expect(contents.send.mock.calls).toEqual([['keyhold-events', { name: 'locked', payload: { reason: 'idle' } }]]);
    expect(log).toHaveBeenCalledWith({ kind: 'event-mismatch', event: 'syncProgress', issues: ['invalid_type'] });
    contents.destroyed = true;
    emit('locked', { reason: 'manual' });
    expect(contents.send).toHaveBeenCalledTimes(1);
  });
});
