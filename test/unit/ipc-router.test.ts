import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRouter } from '../../src/core/ipc/router';
import type { RouterLogEntry } from '../../src/core/ipc/router';
import { ErrorPayload, KeyholdError } from '../../src/shared/errors';
import type { Contract, Envelope, Handlers } from '../../src/shared/ipc';
import { testContract, VAULT_ID } from './ipc-test-contract';

type C = typeof testContract;
type MutableHandlers = { -readonly [K in keyof Handlers<C>]: Handlers<C>[K] };

const EnvelopeShape = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }).strict(),
  z.object({ ok: z.literal(false), error: ErrorPayload.strict() }).strict(),
]);

function validHandlers(): MutableHandlers {
  return {
    createVault: vi.fn(() => ({ vaultId: VAULT_ID })),
    unlock: vi.fn(() => ({ unlocked: true as const })),
    lock: vi.fn(() => null),
    upsertProfile: vi.fn(() => ({ id: VAULT_ID, version: 1 })),
    listProfiles: vi.fn(() => [{ id: VAULT_ID, name: 'prod' }]),
    setTheme: vi.fn(({ theme }) => ({ theme })),
  };
}

function setup(handlers: Handlers<C> = validHandlers()) {
  const log = vi.fn<(entry: RouterLogEntry) => void>();
  return { router: createRouter(testContract, handlers, { log }), handlers, log };
}

const names = Object.keys(testContract) as (keyof C)[];

describe('createRouter', () => {
  it('passes the parsed input (defaults applied) to the handler and wraps the parsed output', async () => {
    const { router, handlers } = setup();
    await expect(router.dispatch('listProfiles', { query: 'pr' })).resolves.toEqual({
      ok: true,
      value: [{ id: VAULT_ID, name: 'prod' }],
    });
    expect(handlers.listProfiles).toHaveBeenCalledWith({ query: 'pr', limit: 50 });
    await expect(router.dispatch('lock', undefined)).resolves.toEqual({ ok: true, value: null });
  });

  it('refuses an unknown call, including prototype names, without calling anything', async () => {
    const { router, handlers } = setup();
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
      const reply = await router.dispatch(name, {});
      expect(reply).toEqual({ ok: false, error: { code: 'BadInput', message: 'Keyhold does not know this request.' } });
    }
    for (const name of names) expect(handlers[name]).not.toHaveBeenCalled();
  });

  it('refuses a payload holding a member named "__proto__" at any depth, which the parse would silently leave out', async () => {
    const { router, handlers } = setup();
    for (const payload of [JSON.parse('{"query":"pr","__proto__":{"limit":1}}'), { query: 'pr', deep: [[JSON.parse('{"__proto__":"x"}')]] }]) {
      const reply = await router.dispatch('listProfiles', payload);
      expect(reply).toMatchObject({ ok: false, error: { code: 'BadInput', message: expect.stringMatching(/"__proto__" is reserved/) } });
    }
    expect(handlers.listProfiles).not.toHaveBeenCalled();
  });

  it('turns a bad payload into a BadInput naming the field, without the value, and never calls the handler', async () => {
    const { router, handlers } = setup();
    const secret = 'hunter2-but-longer-than-ten';
    const reply = await router.dispatch('createVault', { path: '', password: secret });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('BadInput');
    expect(reply.error.field).toBe('path');
    expect(JSON.stringify(reply)).not.toContain(secret);
    expect(handlers.createVault).not.toHaveBeenCalled();
  });

  it('maps a thrown KeyholdError to its payload and an unknown error to Internal without its text', async () => {
    const handlers = validHandlers();
    handlers.unlock = () => {
      throw new KeyholdError('WrongPassword', 'That password does not open this vault.');
    };
    handlers.lock = async () => {
      throw new Error('sqlite: value sk-live-abcdef could not be written');
    };
    const { router, log } = setup(handlers);
    await expect(router.dispatch('unlock', { password: 'correct horse battery' })).resolves.toEqual({
      ok: false,
      error: { code: 'WrongPassword', message: 'That password does not open this vault.' },
    });
    const reply = await router.dispatch('lock', undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'Internal' } });
    expect(JSON.stringify(reply)).not.toContain('sk-live');
    expect(JSON.stringify(log.mock.calls)).not.toContain('sk-live');
    expect(log).toHaveBeenCalledWith({ kind: 'unexpected-error', call: 'lock', error: 'Error' });
  });

  it('turns an output that breaks the contract into Internal and logs issue codes only', async () => {
    const handlers = validHandlers();
    const leaked = { id: VAULT_ID, version: 1, token: 'tok-secret-value' };
    handlers.upsertProfile = () => leaked as unknown as { id: string; version: number };
    handlers.listProfiles = () => [{ id: 'not-a-uuid', name: 'OPENAI_API_KEY=sk-123' }];
    const { router, log } = setup(handlers);
    const input = { agentId: 'a', name: 'n', values: { K: 'v' } };
    expect(await router.dispatch('upsertProfile', input)).toMatchObject({ ok: false, error: { code: 'Internal' } });
    expect(await router.dispatch('listProfiles', {})).toMatchObject({ ok: false, error: { code: 'Internal' } });
    const logged = JSON.stringify(log.mock.calls);
    expect(logged).not.toContain('tok-secret');
    expect(logged).not.toContain('sk-123');
    expect(log).toHaveBeenCalledWith({ kind: 'output-mismatch', call: 'upsertProfile', issues: ['unrecognized_keys'] });
  });

  it('refuses to build a router with a missing handler or an unusable call name', () => {
    const { setTheme: _dropped, ...partial } = validHandlers();
    expect(() => createRouter(testContract, partial as Handlers<C>)).toThrow(/setTheme/);
    const bad: Contract = { on: testContract.lock };
    expect(() => createRouter(bad, { on: () => null })).toThrow(KeyholdError);
  });

  it('fuzz: thousands of random payloads per call give only typed envelopes, and bad ones never reach the handler', async () => {
    const handlers = validHandlers();
    const { router } = setup(handlers);
    const nearValid = fc.record(
      {
        path: fc.oneof(fc.string(), fc.constant('/tmp/v.keyhold')),
        password: fc.oneof(fc.string(), fc.constant('correct horse battery')),
        quick: fc.oneof(fc.boolean(), fc.anything()),
        agentId: fc.string(),
        name: fc.string(),
        values: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())),
        query: fc.oneof(fc.string(), fc.integer()),
        limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
        theme: fc.oneof(fc.constantFrom('system', 'light', 'dark', 'neon'), fc.anything()),
        id: fc.oneof(fc.uuid(), fc.string()),
      },
      { requiredKeys: [] },
    );
    const payload = fc.oneof(fc.anything({ withObjectString: true, withNullPrototype: true }), nearValid);

    for (const name of names) {
      const spy = handlers[name] as ReturnType<typeof vi.fn>;
      await fc.assert(
        fc.asyncProperty(payload, async (raw) => {
          spy.mockClear();
          const reply: Envelope<unknown> = await router.dispatch(name, raw);
          expect(EnvelopeShape.safeParse(reply).success).toBe(true);
          const accepted = testContract[name].input.safeParse(raw).success;
          expect(spy).toHaveBeenCalledTimes(accepted ? 1 : 0);
          expect(reply.ok).toBe(accepted);
          if (!reply.ok) expect(reply.error.code).toBe('BadInput');
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('fuzz: whatever a handler throws or returns, the reply is an envelope and nothing escapes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.boolean(), async (thing, throws) => {
        const handlers = validHandlers();
        handlers.setTheme = () => {
          if (throws) throw thing;
          return thing as { theme: 'dark' };
        };
        const { router } = setup(handlers);
        const reply = await router.dispatch('setTheme', { theme: 'dark' });
        expect(EnvelopeShape.safeParse(reply).success).toBe(true);
        if (throws) expect(reply).toMatchObject({ ok: false, error: { code: 'Internal' } });
        else expect(reply.ok).toBe(testContract.setTheme.output.safeParse(thing).success);
      }),
      { numRuns: 2000 },
    );
  });
});
