import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { KeyholdError } from '../../src/shared/errors';
import { callNames, channelFor, createApi, createClient, EVENTS_CHANNEL, unwrap } from '../../src/shared/ipc';
import type { Envelope, KeyholdApi, KeyholdClient, Transport } from '../../src/shared/ipc';
import { testContract, testEvents, VAULT_ID } from './ipc-test-contract';

type Api = KeyholdApi<typeof testContract, typeof testEvents>;

function fakeTransport(reply: (name: string, input: unknown) => unknown = () => ({ ok: true, value: null })) {
  const listeners = new Set<(message: unknown) => void>();
  const transport: Transport = {
    invoke: vi.fn(async (name: string, input: unknown) => reply(name, input)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { transport, push: (message: unknown) => listeners.forEach((l) => l(message)), listeners };
}

describe('contract kit', () => {
  it('derives one channel per call, distinct from the events channel', () => {
    const channels = callNames(testContract).map(channelFor);
    expect(channels).toContain('keyhold:createVault');
    expect(new Set(channels).size).toBe(channels.length);
    expect(channels).not.toContain(EVENTS_CHANNEL);
  });

  it('rejects call names that cannot be bridge properties', () => {
    for (const name of ['on', 'then', 'Create', 'vault.create', 'a-b', '__proto__', '']) {
      expect(() => callNames({ [name]: testContract.lock }), name).toThrow(KeyholdError);
    }
  });

  it('builds exactly one function per call plus on, each invoking its own name', async () => {
    const { transport } = fakeTransport();
    const api: Api = createApi(testContract, testEvents, transport);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(testContract), 'on'].sort());
    await api.setTheme({ theme: 'dark' });
    await api.lock();
    expect(transport.invoke).toHaveBeenNthCalledWith(1, 'setTheme', { theme: 'dark' });
    expect(transport.invoke).toHaveBeenNthCalledWith(2, 'lock', undefined);
  });

  it('delivers only the subscribed event, payload only, until unsubscribed', () => {
    const { transport, push, listeners } = fakeTransport();
    const api = createApi(testContract, testEvents, transport);
    const seen: unknown[] = [];
    const off = api.on('locked', (payload) => seen.push(payload));
    push({ name: 'syncProgress', payload: { done: 1, total: 2 } });
    push({ name: 'locked', payload: { reason: 'idle' } });
    push('garbage');
    off();
    push({ name: 'locked', payload: { reason: 'manual' } });
    expect(seen).toEqual([{ reason: 'idle' }]);
    expect(listeners.size).toBe(0);
    expect(() => (api.on as (e: string, l: () => void) => void)('nope', () => undefined)).toThrow(KeyholdError);
  });
});

describe('unwrap and createClient', () => {
  it('returns values and throws typed KeyholdErrors with code and field', async () => {
    const { transport } = fakeTransport((name) =>
      name === 'createVault'
        ? { ok: true, value: { vaultId: VAULT_ID } }
        : { ok: false, error: { code: 'WrongPassword', message: 'Wrong password.', field: 'password' } },
    );
    const client: KeyholdClient<typeof testContract, typeof testEvents> = createClient(createApi(testContract, testEvents, transport));
    await expect(client.createVault({ path: '/v', password: 'long enough pw' })).resolves.toEqual({ vaultId: VAULT_ID });
    const error = await client.unlock({ password: 'long enough pw' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyholdError);
    expect(error).toMatchObject({ code: 'WrongPassword', message: 'Wrong password.', field: 'password' });
    expect(Object.keys(client).sort()).toEqual([...Object.keys(testContract), 'on'].sort());
  });

  it('treats a malformed reply as Internal, never as success', () => {
    for (const bad of [null, 'x', {}, { ok: false }, { ok: false, error: { code: 'Nope', message: 1 } }, { ok: 'yes' }]) {
      expect(() => unwrap(bad as Envelope<unknown>)).toThrow(expect.objectContaining({ code: 'Internal' }));
    }
  });

  it('types calls from the contract', () => {
    expectTypeOf<Api['createVault']>().parameter(0).toEqualTypeOf<{ path: string; password: string }>();
    expectTypeOf<Api['listProfiles']>().parameter(0).toEqualTypeOf<{ query?: string | undefined; limit?: number | undefined }>();
    expectTypeOf<ReturnType<Api['createVault']>>().toEqualTypeOf<Promise<Envelope<{ vaultId: string }>>>();
    expectTypeOf<Parameters<Api['lock']>>().toEqualTypeOf<[input?: undefined]>();
    expectTypeOf<KeyholdClient<typeof testContract, typeof testEvents>['setTheme']>().returns.resolves.toEqualTypeOf<{ theme: 'system' | 'light' | 'dark' }>();
  });
});
