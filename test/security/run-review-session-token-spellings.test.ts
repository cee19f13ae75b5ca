import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSession, openSession } from '../../src/core/vault/sessions';
import { Vault } from '../../src/core/vault/vault';
import { KeyholdError } from '../../src/shared/errors';
import { newVault } from '../helpers/vault';

// Attack: a token is `<id>.<43 base64url characters>`, 258 bits for a 256-bit secret. Decoding drops
// the last character's lowest 2 bits, so a token with those bits flipped decoded to the same secret
// and opened the vault: an altered KEYHOLD_SESSION was accepted as the one Keyhold handed out.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function refusal(vault: Vault, token: string): string {
  try {
    openSession(vault, token);
  } catch (e) {
    expect(e).toBeInstanceOf(KeyholdError);
    expect((e as KeyholdError).code).toBe('SessionInvalid');
    return (e as KeyholdError).message;
  }
  return 'accepted';
}

describe('a KEYHOLD_SESSION value that is not the token Keyhold printed', () => {
  let v: Awaited<ReturnType<typeof newVault>>;
  let other: Awaited<ReturnType<typeof newVault>>;
  beforeEach(async () => {
    v = await newVault();
    other = await newVault();
  });
  afterEach(() => {
    v.cleanup();
    other.cleanup();
  });

  it('is refused when only the unused low bits of its last character were flipped', () => {
    const { token } = createSession(v.vault, 5);
    v.vault.close();
    const last = ALPHABET.indexOf(token.at(-1) as string);
    const vault = Vault.open(v.dir);
    try {
      for (const flip of [1, 2, 3]) {
        const altered = token.slice(0, -1) + ALPHABET[last ^ flip];
        const message = refusal(vault, altered);
        expect(message, altered).toMatch(/does not match its session: it was altered/);
        expect(message).not.toContain(token.split('.')[1]);
      }
      // The token itself still opens the vault.
      expect(openSession(vault, token).snapshot).toBeNull();
      expect(vault.unlocked).toBe(true);
    } finally {
      vault.close();
    }
  });

  it('is refused when truncated, or when it is a session of another vault', () => {
    const { token } = createSession(v.vault, 5);
    const foreign = createSession(other.vault, 5).token;
    v.vault.close();
    const vault = Vault.open(v.dir);
    try {
      expect(refusal(vault, token.slice(0, -1))).toMatch(/is not a Keyhold session token/);
      expect(refusal(vault, token.split('.')[0] as string)).toMatch(/is not a Keyhold session token/);
      expect(refusal(vault, foreign)).toMatch(/is not a session of this vault/);
      expect(vault.unlocked).toBe(false);
    } finally {
      vault.close();
    }
  });
});
