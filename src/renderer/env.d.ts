import type { contract, events } from '../shared/contract';
import type { KeyholdApi } from '../shared/ipc';

declare global {
  interface Window {
    /** The one bridge to the engine (the preload in Electron, a Playwright binding in e2e tests). */
    keyhold: KeyholdApi<typeof contract, typeof events>;
  }
}

export {};
