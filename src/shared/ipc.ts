import type { z } from 'zod';
import { ErrorPayload, KeyholdError } from './errors';

// The kit every user of the IPC contract shares (DESIGN.md, "One contract, four users"): the
// contract itself lives in contract.ts and is only data; this file turns it into channels, the
// bridge object's type, the handler types and the renderer's throwing client.

export interface CallDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
}

export function defineCall<I extends z.ZodType, O extends z.ZodType>(def: { input: I; output: O }): CallDef<I, O> {
  return { input: def.input, output: def.output };
}

export type Contract = Readonly<Record<string, CallDef>>;

/** Event name → payload schema; main pushes these to the window, the renderer listens. */
export type EventsDef = Readonly<Record<string, z.ZodType>>;

/** What a caller passes (before parsing, so defaults may be omitted). */
export type CallInput<D extends CallDef> = z.input<D['input']>;
/** What a handler receives (after parsing). */
export type HandlerInput<D extends CallDef> = z.output<D['input']>;
/** What a handler may return (parsed by the output schema before it leaves main). */
export type HandlerOutput<D extends CallDef> = z.input<D['output']>;
/** What the caller finally receives. */
export type CallOutput<D extends CallDef> = z.output<D['output']>;
export type EventPayload<S extends z.ZodType> = z.output<S>;

export type Handler<D extends CallDef> = (input: HandlerInput<D>) => HandlerOutput<D> | Promise<HandlerOutput<D>>;
export type Handlers<C extends Contract> = { readonly [K in keyof C]: Handler<C[K]> };

// Errors cannot cross contextBridge as class instances (only their message survives), so every
// reply is a plain value that says which of the two it is.
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

export const ok = <T>(value: T): Envelope<T> => ({ ok: true, value });
export const fail = (error: ErrorPayload): Envelope<never> => ({ ok: false, error });

export const CALL_CHANNEL_PREFIX = 'keyhold:';
// No colon, so no call name can ever produce the same channel.
export const EVENTS_CHANNEL = 'keyhold-events';

// Names become property names of window.keyhold and parts of channel names: plain identifiers,
// never `on` (kept for events), `then` (it would make the bridge look like a promise) or a name
// every object inherits.
const CALL_NAME = /^[a-z][A-Za-z0-9]*$/;
const RESERVED_NAMES = new Set(['on', 'then', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']);

export const channelFor = (name: string): string => `${CALL_CHANNEL_PREFIX}${name}`;

/** The call names of a contract, checked once so a bad name fails at startup, not at the first call. */
export function callNames(contract: Contract): string[] {
  const names = Object.keys(contract);
  for (const name of names) {
    if (!CALL_NAME.test(name) || RESERVED_NAMES.has(name)) {
      throw new KeyholdError('Internal', `The IPC contract has an unusable call name "${name}".`);
    }
  }
  return names;
}

export const hasCall = (contract: Contract, name: string): boolean => Object.hasOwn(contract, name);

/** The one message shape sent over EVENTS_CHANNEL. */
export interface EventMessage {
  name: string;
  payload: unknown;
}

export type Unsubscribe = () => void;

type CallFn<D extends CallDef, R> = undefined extends CallInput<D> ? (input?: CallInput<D>) => Promise<R> : (input: CallInput<D>) => Promise<R>;

export interface EventSource<E extends EventsDef> {
  on<K extends keyof E & string>(event: K, listener: (payload: EventPayload<E[K]>) => void): Unsubscribe;
}

/** The shape of `window.keyhold`: one function per call, replying with envelopes, plus `on`. */
export type KeyholdApi<C extends Contract, E extends EventsDef> = {
  readonly [K in keyof C]: CallFn<C[K], Envelope<CallOutput<C[K]>>>;
} & EventSource<E>;

/** The renderer's view of the API: results are plain values, failures are thrown KeyholdErrors. */
export type KeyholdClient<C extends Contract, E extends EventsDef> = {
  readonly [K in keyof C]: CallFn<C[K], CallOutput<C[K]>>;
} & EventSource<E>;

export interface Transport {
  invoke(name: string, input: unknown): Promise<unknown>;
  subscribe(listener: (message: unknown) => void): Unsubscribe;
}

function isEventMessage(message: unknown): message is EventMessage {
  return typeof message === 'object' && message !== null && typeof (message as { name?: unknown }).name === 'string';
}

/**
 * Builds the bridge object from the contract over any transport: the preload uses ipcRenderer,
 * the browser end-to-end tests use a Playwright binding to the same router.
 */
export function createApi<C extends Contract, E extends EventsDef>(contract: C, events: E, transport: Transport): KeyholdApi<C, E> {
  const api: Record<string, unknown> = {};
  for (const name of callNames(contract)) {
    api[name] = (input?: unknown) => transport.invoke(name, input);
  }
  api.on = (event: string, listener: (payload: unknown) => void): Unsubscribe => {
    if (typeof event !== 'string' || !Object.hasOwn(events, event)) {
      throw new KeyholdError('BadInput', `Keyhold has no event called "${String(event)}".`);
    }
    if (typeof listener !== 'function') throw new KeyholdError('BadInput', 'An event listener must be a function.');
    return transport.subscribe((message) => {
      if (isEventMessage(message) && message.name === event) listener(message.payload);
    });
  };
  return api as KeyholdApi<C, E>;
}

const MALFORMED_REPLY = 'Keyhold received a reply it did not understand. Nothing was changed.';

/** Returns the value of an ok envelope, throws the KeyholdError an error envelope describes. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (typeof envelope !== 'object' || envelope === null) throw new KeyholdError('Internal', MALFORMED_REPLY);
  if (envelope.ok === true) return envelope.value;
  const parsed = ErrorPayload.safeParse((envelope as { error?: unknown }).error);
  if (envelope.ok !== false || !parsed.success) throw new KeyholdError('Internal', MALFORMED_REPLY);
  const { code, message, field } = parsed.data;
  throw new KeyholdError(code, message, field === undefined ? undefined : { field });
}

export function createClient<C extends Contract, E extends EventsDef>(api: KeyholdApi<C, E>): KeyholdClient<C, E> {
  const client: Record<string, unknown> = {};
  for (const name of Object.keys(api)) {
    if (name === 'on') continue;
    const call = (api as unknown as Record<string, (input?: unknown) => Promise<Envelope<unknown>>>)[name];
    if (typeof call !== 'function') continue;
    client[name] = async (input?: unknown) => unwrap(await call(input));
  }
  client.on = (event: string, listener: (payload: unknown) => void) =>
    (api.on as (event: string, listener: (payload: unknown) => void) => Unsubscribe)(event, listener);
  return client as KeyholdClient<C, E>;
}
