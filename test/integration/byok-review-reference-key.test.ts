import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vault } from '../../src/core/vault/vault';
import { newVault } from '../helpers/vault';

describe('a reference given as the key', () => {
  let vault: Vault;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ vault, cleanup } = await newVault());
  });
  afterEach(() => cleanup());

  it.each([
    ['other', 'keyhold://byok/claude-code'],
    ['other', 'KEYHOLD://profile/crm-bot/prod/TOKEN'],
    ['other', '${ANTHROPIC_API_KEY}'],
    ['other', '$OPENAI_API_KEY_FOR_THE_BOT'],
    ['other', '{{keyhold://byok/claude-code}}'],
    ['anthropic', 'sk-ant-${ANTHROPIC_API_KEY}'],
  ] as const)('%s key %s is refused, nothing stored', (provider, apiKey) => {
    expect(() => vault.byok.set({ kind: 'k', provider, apiKey })).toThrow(
      'The API key is a reference (to a Keyhold item or a variable), not a key: Keyhold stores the key itself. Give the value of the key.',
    );
    expect(vault.byok.list()).toEqual([]);
  });

  it('keys with "$"-free shapes are still taken', () => {
    expect(vault.byok.set({ kind: 'k', provider: 'other', apiKey: 'gsk_abcdefghijklmnopqrstuvwxyz012345' })).toMatchObject({ provider: 'other' });
  });
});
