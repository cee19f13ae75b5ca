import { z } from 'zod';
import { defineCall, type Handlers } from '../../src/shared/ipc';

// A small contract shaped like the real one (vault, profiles, settings), for the generic IPC code.
const password = z.string().min(10).max(1024);
const keyName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
  .max(128);

export const testContract = {
  createVault: defineCall({
    input: z.object({ path: z.string().min(1).max(4096), password }).strict(),
    output: z.object({ vaultId: z.uuid() }).strict(),
  }),
  unlock: defineCall({
    input: z.object({ password, quick: z.boolean().default(false) }).strict(),
    output: z.object({ unlocked: z.literal(true) }),
  }),
  lock: defineCall({ input: z.undefined(), output: z.null() }),
  upsertProfile: defineCall({
    input: z
      .object({
        id: z.uuid().optional(),
        agentId: z.string().min(1).max(200),
        name: z.string().min(1).max(200),
        values: z.record(keyName, z.string().max(65536)).refine((v) => Object.keys(v).length <= 50),
      })
      .strict(),
    output: z.object({ id: z.uuid(), version: z.number().int().positive() }).strict(),
  }),
  listProfiles: defineCall({
    input: z.object({ query: z.string().max(200).optional(), limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.array(z.object({ id: z.uuid(), name: z.string() }).strict()),
  }),
  setTheme: defineCall({
    input: z.object({ theme: z.enum(['system', 'light', 'dark']) }).strict(),
    output: z.object({ theme: z.enum(['system', 'light', 'dark']) }),
  }),
};

export const testEvents = {
  locked: z.object({ reason: z.enum(['idle', 'suspend', 'lock-screen', 'manual']) }),
  syncProgress: z.object({ done: z.number().int(), total: z.number().int() }),
};

export const VAULT_ID = '6f1c1d5e-2b7a-4c1e-9d0f-3a2b1c4d5e6f';

/** Handlers that answer every call of the test contract with a fixed, valid value. */
export const stubHandlers = (): Handlers<typeof testContract> => ({
  createVault: () => ({ vaultId: VAULT_ID }),
  unlock: () => ({ unlocked: true as const }),
  lock: () => null,
  upsertProfile: () => ({ id: VAULT_ID, version: 1 }),
  listProfiles: () => [],
  setTheme: ({ theme }) => ({ theme }),
});
