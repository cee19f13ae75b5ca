import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickProfile } from '../../src/core/vault/items';
import { KeyholdError } from '../../src/shared/errors';
import { keyhold } from '../helpers/cli';
import { cliVault } from './cli-env';

// Attack: agent ids and profile names may both hold "/", so `prod/aws/main` names agent "prod/aws"'s
// profile "main" and agent "prod"'s profile "aws/main" alike. The reference resolved to whichever
// the index met first: a profile that arrives later (from a teammate's bundle, from Kura, from a
// config scan) could take over `keyhold run --profile prod/aws/main`, and the person's deploy ran
// with the other profile's values. Such a reference is now refused, naming both by id.

const MINE = 'mine-0123456789-MINE';
const THEIRS = 'theirs-0123456789-THEIRS';

let v: Awaited<ReturnType<typeof cliVault>>;
let mine: string;
let theirs: string;

const idOf = (stdout: string) => /\(([0-9a-f-]{36})\)/.exec(stdout)?.[1] as string;
const printK = [process.execPath, '-e', 'process.stdout.write(process.env.K ?? "unset")'];

beforeAll(async () => {
  v = await cliVault('keyhold-sec-two-names-');
  mine = idOf((await v.ok(['profile', 'add', '--agent', 'prod/aws', '--name', 'main', '--set', `K=${MINE}`, '--draft'])).stdout);
  theirs = idOf((await v.ok(['profile', 'add', '--agent', 'prod', '--name', 'aws/main', '--set', `K=${THEIRS}`, '--draft'])).stdout);
});
afterAll(() => v.cleanup());

describe('a reference that names two profiles', () => {
  it('is refused by run, naming both by id, and runs nothing', async () => {
    const r = await v.run(['run', '--no-mask', '--profile', 'prod/aws/main', '--', ...printK]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(mine);
    expect(r.stderr).toContain(theirs);
    expect(r.stderr).toContain('agent "prod/aws", name "main"');
    expect(r.stderr).not.toContain(MINE);
    expect(r.stderr).not.toContain(THEIRS);
  });

  it('is refused by show, edit and rm, which change nothing', async () => {
    for (const args of [
      ['profile', 'show', 'prod/aws/main', '--reveal'],
      ['profile', 'edit', 'prod/aws/main', '--set', 'K=changed'],
      ['profile', 'rm', 'prod/aws/main'],
    ]) {
      const r = await v.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/names 2 profiles/);
    }
    const list = JSON.parse((await v.ok(['profile', 'list', '--json'])).stdout) as { id: string; keys: string[] }[];
    expect(list.map((p) => p.id).sort()).toEqual([mine, theirs].sort());
    const shown = await v.ok(['profile', 'show', mine, '--reveal']);
    expect(shown.stdout).toContain(MINE);
  });

  it('a template tells them apart: a keyhold:// reference names agent and profile each on its own', async () => {
    const r = await v.ok(['inject', '-i', '-'], 'A=keyhold://profile/prod%2Faws/main/K\nB=keyhold://profile/prod/aws%2Fmain/K\n');
    expect(r.stdout).toBe(`A=${MINE}\nB=${THEIRS}\n`);
  });

  it('each is still reached by its id', async () => {
    const r = await v.ok(['run', '--no-mask', '--profile', mine, '--', ...printK]);
    expect(r.stdout).toBe(MINE);
  });

  it('is refused by a session holding both, as by the vault', async () => {
    const token = (await v.ok(['unlock', '--raw', '--profile', mine, '--profile', theirs])).stdout.trim();
    const env = { KEYHOLD_VAULT: v.env.KEYHOLD_VAULT, KEYHOLD_SESSION: token, KEYHOLD_INSECURE_TEST_KDF: '1' };
    const r = await keyhold(['run', '--no-mask', '--profile', 'prod/aws/main', '--', ...printK], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(mine);
    const byId = await keyhold(['run', '--no-mask', '--profile', theirs, '--', ...printK], { env });
    expect(byId.stdout).toBe(THEIRS);
  });
});

describe('pickProfile', () => {
  const p = (id: string, agentId: string, name: string) => ({ id, agentId, name });
  const all = [p('abcdef01-0000', 'a', 'b'), p('abcdef02-0000', 'abcdef', 'x'), p('99999999-0000', 'q', 'r')];

  it('takes the id, then AGENT_ID/NAME, then a unique id prefix', () => {
    expect(pickProfile(all, '99999999-0000')?.name).toBe('r');
    expect(pickProfile(all, 'a/b')?.id).toBe('abcdef01-0000');
    expect(pickProfile(all, '999999')?.id).toBe('99999999-0000');
    expect(pickProfile(all, 'nothing')).toBeNull();
  });

  it('refuses a prefix that two ids share', () => {
    expect(() => pickProfile(all, 'abcdef0')).toThrow(KeyholdError);
    expect(() => pickProfile(all, 'abcdef0')).toThrow(/matches 2 profiles; give more of the id/);
  });
});
