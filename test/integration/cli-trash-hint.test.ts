import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';
import { useCleanups } from '../helpers/cleanup';
import { keyhold } from '../helpers/cli';
import { cliHome } from '../helpers/cli-home';

// A person deletes a profile, then asks for it by the name it had (`show`, `run`, `edit`): the
// answer was "No profile", as if it had never been, while it sat in the trash for 30 days.

const cleanups = useCleanups();

async function withTrashed(): Promise<{ env: Record<string, string>; id: string }> {
  const h = await cliHome('keyhold-trash-hint-');
  cleanups.push(h.cleanup);
  const added = await keyhold(['profile', 'add', '--agent', 'crm-bot', '--name', 'prod', '--set', 'PASSWORD=hunter2-hunter2', '--json'], { env: h.env });
  expect(added.code).toBe(0);
  const id = (JSON.parse(added.stdout) as { id: string }).id;
  expect((await keyhold(['profile', 'rm', 'crm-bot/prod'], { env: h.env })).code).toBe(0);
  return { env: h.env, id };
}

describe('a profile in the trash, asked for by its name or id', () => {
  it('is named as in the trash, with its id and when, and how to bring it back; nothing changes', async () => {
    const { env, id } = await withTrashed();
    for (const ref of ['crm-bot/prod', id, id.slice(0, 8)]) {
      for (const args of [
        ['profile', 'show', ref],
        ['profile', 'edit', ref, '--set', 'X=1'],
        ['run', '--profile', ref, '--', 'true'],
      ]) {
        const r = await keyhold(args, { env });
        expect(r.code, args.join(' ')).toBe(EXIT.notFound);
        expect(r.stderr).toMatch(
          new RegExp(
            `^keyhold: The profile "crm-bot/prod" \\(${id}\\) is in the trash, deleted \\d{4}-\\d\\d-\\d\\dT[^ ]+Z: restore it from the trash to use it\\. ` +
              'See "keyhold trash list"; "keyhold trash restore ID" brings it back\\.\\n$',
          ),
        );
      }
    }
    const trash = await keyhold(['trash', 'list', '--json'], { env });
    expect((JSON.parse(trash.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    // The hint's command does what it says.
    expect((await keyhold(['trash', 'restore', id], { env })).code).toBe(0);
    expect((await keyhold(['profile', 'show', 'crm-bot/prod'], { env })).code).toBe(0);
  });

  it('is not named once a new profile has its name, nor for a name the trash does not hold', async () => {
    const { env } = await withTrashed();
    expect((await keyhold(['profile', 'add', '--agent', 'crm-bot', '--name', 'prod', '--set', 'PASSWORD=another-one-1'], { env })).code).toBe(0);
    const live = await keyhold(['profile', 'show', 'crm-bot/prod', '--reveal', '--json'], { env });
    expect(live.code).toBe(0);
    expect((JSON.parse(live.stdout) as { authData: Record<string, string> }).authData).toEqual({ PASSWORD: 'another-one-1' });
    const other = await keyhold(['profile', 'show', 'crm-bot/staging'], { env });
    expect(other.code).toBe(EXIT.notFound);
    expect(other.stderr).toMatch(/^keyhold: No profile "crm-bot\/staging"\./);
  });
});
