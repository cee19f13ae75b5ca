import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/core/share/exchange';
import { connect, fastEngine, servers } from '../helpers/sync';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Attack (or accident): a teammate shares profiles without their Kura tokens. Kura knows profiles
// by agent id + name, so the receiver's first sync creates "agent/prod" again, which REPLACES the
// sender's remote profile and invalidates the token their agents run with.

const bob = useReceiver();
let s: Awaited<ReturnType<typeof servers>>;
beforeEach(async () => {
  s = await servers();
  connect(bob.vault, s);
});
afterEach(() => s.close());

describe('a bundle without tokens, imported under the same agent and name', () => {
  it('says it would replace the remote profile, arrives as a draft, and sync leaves the remote alone until "ready"', async () => {
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'prod', authData: { API_KEY: 'sk-0123456789' }, saveSession: false }]);
    const { preview } = await importFile(bob.vault, path, { trustSigner: true });
    expect(preview.profiles[0]).toMatchObject({ replacesRemote: true, state: 'draft' });
    expect(preview.profiles[0]?.note).toMatch(/replace the remote profile/);
    expect(preview.warnings.join(' ')).toMatch(/REPLACE the sender's remote profiles/);
    expect(bob.vault.profiles.resolve('agent/prod').syncState).toBe('draft');

    const engine = fastEngine(bob.vault);
    try {
      await engine.syncAll({ timeoutMs: 5_000 });
      expect(s.kura.profile('agent', 'prod')).toBeUndefined();
      bob.vault.profiles.ready('agent/prod');
      await engine.syncAll({ timeoutMs: 5_000 });
      expect(s.kura.profile('agent', 'prod')).toBeDefined();
    } finally {
      await engine.close();
    }
  });

  it('keep-both under a new name, or a profile with its token, replaces nothing and stays pending', async () => {
    bob.vault.profiles.create({ agentId: 'agent', name: 'prod', authData: { API_KEY: 'mine-0123456789' } });
    const path = await hostileBundle(bob.vault, bob.dir, [
      { agentId: 'agent', name: 'prod', authData: { API_KEY: 'theirs-0123456789' }, saveSession: false },
      { agentId: 'agent', name: 'tokened', authData: { API_KEY: 'x-0123456789' }, saveSession: false, authToken: 'kura-token-abc' },
    ]);
    const { preview } = await importFile(bob.vault, path, { trustSigner: true, onConflict: 'keep-both' });
    expect(preview.profiles.map((c) => [c.importedAs ?? c.name, c.replacesRemote, c.state])).toEqual([
      ['prod (imported)', false, 'pending'],
      ['tokened', false, 'pending'],
    ]);
  });
});
