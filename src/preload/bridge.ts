import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { channelFor, createApi, EVENTS_CHANNEL } from '../shared/ipc';
import type { Contract, EventsDef, KeyholdApi } from '../shared/ipc';

/**
 * Exposes `window.keyhold`: one function per contract call and `on`. The page never sees
 * ipcRenderer, an IpcRendererEvent (whose `sender` is ipcRenderer) or any channel name.
 */
export function exposeKeyhold<C extends Contract, E extends EventsDef>(contract: C, events: E): KeyholdApi<C, E> {
  const api = createApi(contract, events, {
    invoke: (name, input) => ipcRenderer.invoke(channelFor(name), input),
    subscribe(listener) {
      const relay = (_event: IpcRendererEvent, message: unknown): void => listener(message);
      ipcRenderer.on(EVENTS_CHANNEL, relay);
      return () => {
        ipcRenderer.removeListener(EVENTS_CHANNEL, relay);
      };
    },
  });
  contextBridge.exposeInMainWorld('keyhold', api);
  return api;
}
