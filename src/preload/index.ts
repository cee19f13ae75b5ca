import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('keyhold', {});
