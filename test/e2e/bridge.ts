import { contract, events } from '../../src/shared/contract';
import { createApi } from '../../src/shared/ipc';
import type { Envelope } from '../../src/shared/ipc';

// The page side of the browser end-to-end bridge (DESIGN.md, "One contract, four users"): the
// same createApi the preload uses, over a transport whose invoke is a Playwright binding to the
// router in the test process and whose events are pushed in with page.evaluate.

declare global {
  interface Window {
    __keyholdInvoke(name: string, input: unknown): Promise<Envelope<unknown>>;
    __keyholdPush(message: unknown): void;
  }
}

const listeners = new Set<(message: unknown) => void>();
window.__keyholdPush = (message) => {
  for (const listener of [...listeners]) listener(message);
};
window.keyhold = createApi(contract, events, {
  invoke: (name, input) => window.__keyholdInvoke(name, input),
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
});
