import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyholdApi } from '../../src/shared/ipc';
import { testContract, testEvents } from './ipc-test-contract';

vi.mock('electron', () => import('./main-electron-fake'));

const { contextBridge, fake, ipcRenderer } = await import('./main-electron-fake');
const { exposeKeyhold } = await import('../../src/preload/bridge');

type Api = KeyholdApi<typeof testContract, typeof testEvents>;

beforeEach(() => fake.reset());

describe('preload bridge', () => {
  it('exposes window.keyhold with exactly the contract calls plus on, and nothing else', () => {
    exposeKeyhold(testContract, testEvents);
    expect([...contextBridge.exposed.keys()]).toEqual(['keyhold']);
    const api = contextBridge.exposed.get('keyhold') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(testContract), 'on'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('invokes keyhold:<name> with the input as the only argument', async () => {
    const api = exposeKeyhold(testContract, testEvents) as Api;
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { theme: 'dark' } });
    await expect(api.setTheme({ theme: 'dark' })).resolves.toEqual({ ok: true, value: { theme: 'dark' } });
    await api.lock();
    expect(ipcRenderer.invoke.mock.calls).toEqual([
      ['keyhold:setTheme', { theme: 'dark' }],
      ['keyhold:lock', undefined],
    ]);
  });

  it('on() hands the listener the payload only, never the IpcRendererEvent, and unsubscribes', () => {
    const api = exposeKeyhold(testContract, testEvents) as Api;
    const listener = vi.fn();
    const off = api.on('locked', listener);
    const ipcEvent = { sender: ipcRenderer, senderFrame: null };
    ipcRenderer.emit('keyhold-events', ipcEvent, { name: 'locked', payload: { reason: 'suspend' } });
    ipcRenderer.emit('keyhold-events', ipcEvent, { name: 'syncProgress', payload: { done: 1, total: 1 } });
    off();
    ipcRenderer.emit('keyhold-events', ipcEvent, { name: 'locked', payload: { reason: 'idle' } });
    expect(listener.mock.calls).toEqual([[{ reason: 'suspend' }]]);
    expect(ipcRenderer.listenerCount('keyhold-events')).toBe(0);
  });
});
