import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from '../security/cli-env';

// Narrowing an agent's declared arguments left its profiles holding keys it no longer declares,
// without a word: every later edit of such a profile failed, and Kura refuses it at its next sync.

let v: Awaited<ReturnType<typeof cliVault>>;

beforeAll(async () => {
  v = await cliVault('keyhold-agent-less-');
  await v.ok(['agent', 'set', 'crm', '--args', 'USER,PASS,REGION']);
  await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'USER=a', '--set', 'PASS=b', '--set', 'REGION=c', '--draft']);
  await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'dev', '--set', 'USER=a', '--draft']);
});
afterAll(() => v.cleanup());

describe('agent set with fewer arguments', () => {
  it('names each profile that holds a key no longer declared, on stderr', async () => {
    const r = await v.ok(['agent', 'set', 'crm', '--args', 'USER']);
    expect(r.stdout).toBe('Agent crm declares: USER; token variable: KURA_AUTH_TOKEN\n');
    expect(r.stderr).toContain('keyhold: warning: crm/prod holds PASS, REGION, which crm no longer declares');
    expect(r.stderr).not.toContain('crm/dev');
  });

  it('says nothing when every profile fits', async () => {
    const r = await v.ok(['agent', 'set', 'crm', '--args', 'USER,PASS,REGION']);
    expect(r.stderr).toBe('');
  });
});
