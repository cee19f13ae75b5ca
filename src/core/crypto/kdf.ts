import { z } from 'zod';

export const KdfParams = z.object({
  alg: z.literal('argon2id'),
  memoryKiB: z.number().int().min(8).max(4 * 1024 * 1024),
  iterations: z.number().int().min(1).max(64),
  parallelism: z.number().int().min(1).max(16),
});
export type KdfParams = z.infer<typeof KdfParams>;

// @node-rs/argon2 exports Algorithm as an ambient const enum, which isolated modules cannot read.
const ARGON2ID = 2;

export const DEFAULT_KDF: KdfParams = { alg: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 4 };

/** Stronger and weaker presets people can pick in settings; the default is the middle one. */
export const KDF_PRESETS = {
  standard: DEFAULT_KDF,
  strong: { alg: 'argon2id', memoryKiB: 256 * 1024, iterations: 4, parallelism: 4 },
} as const satisfies Record<string, KdfParams>;

export async function deriveKek(password: string, salt: Buffer, params: KdfParams): Promise<Buffer> {
  // Loaded on first use: a command unlocked by a session never derives a key, and skips loading the addon.
  const { hashRaw } = await import('@node-rs/argon2');
  return hashRaw(Buffer.from(password.normalize('NFC'), 'utf8'), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
    outputLen: 32,
    salt,
  });
}
