import type { RemoteKind } from '../shared/domain';

/** What to type to set a connection: said where one is missing (an error, a sync that waits for it). */
export const SET_REMOTE: Record<RemoteKind, string> = {
  kura: 'keyhold remote set kura --url URL --api-key-stdin',
  backside: 'keyhold remote set backside --url URL --token-stdin',
};
