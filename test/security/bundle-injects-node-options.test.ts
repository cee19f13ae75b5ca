import { describe, expect, it } from 'vitest';
import { buildChildEnv, runWithSecrets } from '../../src/core/devflow';
import { importFile } from '../../src/core/share/exchange';
import { expectKeyholdError } from '../fixtures/share/samples';
import { hostileBundle, useReceiver } from './hostile-bundle';

// Attack: a teammate's bundle gives a profile NODE_OPTIONS (or LD_PRELOAD, BASH_ENV…). Importing it
// and running your agent with `keyhold run` would load their code into your process.

const bob = useReceiver();

const EVIL = { API_KEY: 'sk-live-0123456789', NODE_OPTIONS: '--require=/tmp/evil.js' };

describe('a bundle that sets NODE_OPTIONS', () => {
  it('is refused on import, naming the key, and nothing is written', async () => {
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'prod', authData: EVIL, saveSession: false }]);
    const before = bob.vault.audit.list({ limit: 1000 }).length;
    const error = await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'DangerousKey', /"NODE_OPTIONS" in "agent\/prod"/);
    expect(error.field).toBe('allowEnv');
    expect(error.message).not.toContain('evil.js');
    expect(bob.vault.profiles.list()).toEqual([]);
    expect(bob.vault.audit.list({ limit: 1000 })).toHaveLength(before);
  });

  it('shows the key in the preview, and imports only when the key is allowed by name (audited)', async () => {
    const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: 'prod', authData: EVIL, saveSession: false }]);
    const { preview } = await importFile(bob.vault, path, { dryRun: true });
    expect(preview.profiles[0]).toMatchObject({ keys: ['API_KEY', 'NODE_OPTIONS'], dangerousKeys: ['NODE_OPTIONS'] });
    expect(preview.warnings.join(' ')).toContain('NODE_OPTIONS');

    await importFile(bob.vault, path, { trustSigner: true, allowEnv: ['NODE_OPTIONS'] });
    expect(bob.vault.profiles.resolve('agent/prod').allowEnv).toEqual(['NODE_OPTIONS']);
    expect(bob.vault.audit.list({ limit: 1000 }).some((e) => e.event === 'env_allowed' && e.detail.keys === 'NODE_OPTIONS')).toBe(true);
  });

  it('is refused again by run at injection time unless allowed for that run', async () => {
    const sources = [{ label: 'profile agent/prod', values: EVIL }];
    const error = await expectKeyholdError(() => buildChildEnv(sources, 'linux'), 'DangerousKey', /Profile agent\/prod .*"NODE_OPTIONS" \(Node\.js\)/);
    expect(error.message).not.toContain('evil.js');
    await expectKeyholdError(() => runWithSecrets({ command: process.execPath, args: ['-e', ''], env: EVIL, mask: false }), 'DangerousKey', /NODE_OPTIONS/);
    expect(buildChildEnv(sources, 'linux', ['NODE_OPTIONS'])).toEqual(EVIL);
  });

  it('covers the loader, shells, Python, Ruby, Perl, Java and git, whatever the case', async () => {
    for (const key of [
      'LD_PRELOAD',
      'DYLD_INSERT_LIBRARIES',
      'BASH_ENV',
      'PATH',
      'Path',
      'PYTHONSTARTUP',
      'RUBYOPT',
      'PERL5OPT',
      'JAVA_TOOL_OPTIONS',
      'GIT_SSH_COMMAND',
      'GIT_CONFIG_COUNT',
      'npm_config_script_shell',
    ]) {
      const path = await hostileBundle(bob.vault, bob.dir, [{ agentId: 'agent', name: key, authData: { [key]: 'x' }, saveSession: false }]);
      await expectKeyholdError(() => importFile(bob.vault, path, { trustSigner: true }), 'DangerousKey', new RegExp(`"${key}"`));
    }
    expect(bob.vault.profiles.list()).toEqual([]);
  });
});
