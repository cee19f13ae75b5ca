import { startApp } from './app';

// TODO(lead): replace the empty contract, events and handlers with src/shared/contract.ts and
// the core handlers: startApp({ contract, events, createBackend: (services) => ({ handlers, lock }) }).
startApp({
  contract: {},
  events: {},
  createBackend: () => ({ handlers: {}, lock: () => undefined }),
});
