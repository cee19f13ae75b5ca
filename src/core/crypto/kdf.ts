import { z } from 'zod';
import { KeyholdError } from '../../shared/errors';

export const KdfParams = z.object({
  alg: z.literal('argon2id'),
  memoryKiB: z
    .number()
    .int()
    .min(8)
    .max(4 * 1024 * 1024),
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

/**
 * The weakest Argon2id parameters Keyhold accepts, from anywhere: new vaults, a password change,
 * and the header of a file being opened (OWASP's minimum for Argon2id: 19 MiB, 2 passes). A
 * header below it is refused before any key is derived from the password.
 */
export const KDF_FLOOR = { memoryKiB: 19 * 1024, iterations: 2 } as const;

/**
 * Tests derive thousands of keys, so the test suites lower the floor with this variable. It is
 * read from the process environment only (never from a vault file), and even then it only lowers
 * the floor to 1 MiB and 1 pass, so a header asking for less is refused in tests too. Whoever
 * sets a process's environment can already run code in it (NODE_OPTIONS), so it opens nothing new.
 */
export const TEST_KDF_ENV = 'KEYHOLD_INSECURE_TEST_KDF';
const TEST_FLOOR = { memoryKiB: 1024, iterations: 1 } as const;

export function kdfFloor(): { memoryKiB: number; iterations: number } {
  return process.env[TEST_KDF_ENV] === '1' ? TEST_FLOOR : KDF_FLOOR;
}

const describeKdf = (p: { memoryKiB: number; iterations: number }) =>
  `${p.memoryKiB % 1024 === 0 ? `${p.memoryKiB / 1024} MiB` : `${p.memoryKiB} KiB`} of memory and ${p.iterations} pass${p.iterations === 1 ? '' : 'es'}`;

/** Refuses parameters below the floor; `where` says whose parameters they are, for the message. */
export function checkKdfFloor(params: KdfParams, where: 'header' | 'input'): void {
  const floor = kdfFloor();
  if (params.memoryKiB >= floor.memoryKiB && params.iterations >= floor.iterations) return;
  const asked = describeKdf(params);
  const min = describeKdf(floor);
  throw where === 'header'
    ? new KeyholdError(
        'WeakKdf',
        `The vault header asks for Argon2id with ${asked}, below Keyhold's floor of ${min}: a vault that cheap to guess is not opened. If you did not choose these settings, the file was altered.`,
      )
    : new KeyholdError('WeakKdf', `Argon2id with ${asked} is below Keyhold's floor of ${min}.`, { field: 'kdf' });
}

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
