import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';
import { keyhold } from '../helpers/cli';
import { cliHome } from '../helpers/cli-home';

// `keyhold agent rm AGENT_ID`, reviewed as an attacker and as a tired user.
let h: Awaited<ReturnType<typeof cliHome>>;
const run = (args: string[], input?: string) => keyhold(args, { env: h.env, ...(input === undefined ? {} : { input }) });
async function ok(args: string[], input?: string) {
  const r = await run(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  h = await cliHome('keyhold-cli-review-agent-');
});
afterAll(() => h.cleanup());

describe('agent rm', () => {
  it('of an agent that still has profiles: names them, says what changes for them, loses nothing, and says how to declare it again', async () => {
    await ok(['agent', 'set', 'crm', '--args', 'API_KEY,REGION', '--token-env', 'CRM_TOKEN']);
    await ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set-stdin', 'API_KEY'], 'prod-secret-value');
    await ok(['profile', 'add', '--agent', 'crm', '--name', 'staging', '--set', 'REGION=eu']);
    await ok(['profile', 'add', '--agent', 'other', '--name', 'x', '--set', 'K=v']);

    const removed = await ok(['agent', 'rm', 'crm']);
    // Standard output stays the one line it was; the notes on standard error are new. Before, nothing
    // was said about the two profiles, nor that "keyhold run" now hands them their token as
    // KURA_AUTH_TOKEN instead of CRM_TOKEN, nor what the declaration was (it has no history or trash).
    expect(removed.stdout).toBe('Removed the declaration of crm.\n');
    expect(removed.stderr).toBe(
      'keyhold: note: its 2 profile(s) stay as they are, values and tokens included: crm/prod, crm/staging. ' +
        'They now accept any key (Kura may refuse one it does not declare), and "keyhold run" gives them their Kura token as KURA_AUTH_TOKEN instead of CRM_TOKEN.\n' +
        'keyhold: note: to declare it again: keyhold agent set crm --args API_KEY,REGION --token-env CRM_TOKEN\n',
    );
    expect(removed.stdout + removed.stderr).not.toContain('prod-secret-value');

    // Nothing lost: the profiles and their values are there, and the agent is gone.
    const shown = (await ok(['profile', 'show', 'crm/prod', '--reveal', '--json'])).json<{ authData: Record<string, string> }>();
    expect(shown.authData).toEqual({ API_KEY: 'prod-secret-value' });
    expect((await ok(['profile', 'list', '--json'])).json<{ name: string }[]>().map((p) => p.name)).toEqual(['prod', 'staging', 'x']);
    expect((await ok(['agent', 'list', '--json'])).json<unknown[]>()).toEqual([]);
    // As said: a key crm did not declare is accepted now.
    await ok(['profile', 'edit', 'crm/staging', '--set', 'UNDECLARED=1']);

    // The command it printed puts the declaration back as it was.
    const again = /to declare it again: keyhold (.+)$/m.exec(removed.stderr)?.[1]?.split(' ') ?? [];
    await ok(again);
    expect((await ok(['agent', 'list', '--json'])).json()).toMatchObject([{ agentId: 'crm', args: ['API_KEY', 'REGION'], tokenEnv: 'CRM_TOKEN' }]);
  });

  it('of an agent without profiles, or with a token variable only, says what applies', async () => {
    await ok(['agent', 'set', 'lonely', '--args', 'A']);
    const lonely = await ok(['agent', 'rm', 'lonely']);
    expect(lonely.stdout).toBe('Removed the declaration of lonely.\n');
    expect(lonely.stderr).toBe('keyhold: note: to declare it again: keyhold agent set lonely --args A\n');
    await ok(['agent', 'set', 'tokenonly', '--token-env', 'MY_TOKEN']);
    await ok(['profile', 'add', '--agent', 'tokenonly', '--name', 'p', '--set', 'K=v']);
    const tokenOnly = await ok(['agent', 'rm', 'tokenonly']);
    expect(tokenOnly.stderr).toBe(
      'keyhold: note: its 1 profile(s) stay as they are, values and tokens included: tokenonly/p. ' +
        'They now accept any key (Kura may refuse one it does not declare), and "keyhold run" gives them their Kura token as KURA_AUTH_TOKEN instead of MY_TOKEN.\n' +
        'keyhold: note: to declare it again: keyhold agent set tokenonly --token-env MY_TOKEN\n',
    );
  });

  it('an agent that is not declared, twice, empty or with terminal escapes in its name: exit 5, the name shown escaped, nothing changed', async () => {
    await ok(['agent', 'set', 'keep', '--args', 'A']);
    for (const [id, shown] of [
      ['nobody', 'nobody'],
      ['', ''],
      ['evil\u001b]0;pwned\u0007\u202etxt', 'evil\\x1b]0;pwned\\x07\\u202etxt'],
      ['line\nbreak', 'line\\x0abreak'],
    ]) {
      const r = await run(['agent', 'rm', id!]);
      expect(r.code, JSON.stringify(id)).toBe(EXIT.notFound);
      expect(r.stderr).toBe(`keyhold: No agent "${shown}" is declared.\n`);
      expect(r.stdout).toBe('');
    }
    await ok(['agent', 'rm', 'keep']);
    expect((await run(['agent', 'rm', 'keep'])).code).toBe(EXIT.notFound);
  });

  it('a wrong password or no vault: its own exit code, nothing removed', async () => {
    await ok(['agent', 'set', 'locked', '--args', 'A']);
    const wrong = await keyhold(['agent', 'rm', 'locked'], { env: { ...h.env, KEYHOLD_PASSWORD: 'not the password' } });
    expect(wrong.code).toBe(EXIT.wrongPassword);
    const none = await keyhold(['agent', 'rm', 'locked'], { env: { ...h.env, KEYHOLD_VAULT: `${h.dir}/nowhere` } });
    expect(none.code).toBe(EXIT.vault);
    expect((await ok(['agent', 'list', '--json'])).json<{ agentId: string }[]>().map((a) => a.agentId)).toContain('locked');
  });
});
