import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vault } from '../../src/core/vault/vault';
import { keyhold } from '../helpers/cli';
import { PASSWORD } from '../helpers/vault';
import { cliVault } from './cli-env';
import { raw } from './tamper';

// A tired user after a leak: the trash holds the old claude-code key, a new one was set since (the
// README says a trashed name is free meanwhile), and now the master password must change and the
// vault key rotate. The rotation gave the trashed row its real blind-index tag back, which the new
// key already held: "Something went wrong inside Keyhold" (UNIQUE constraint), nothing rotated.
// In the other order, a name trashed before a rotation stayed taken after it.

const NEW_PASSWORD = 'a different long password 2';
let v: Awaited<ReturnType<typeof cliVault>>;
const key = (c: string) => `sk-ant-api03-${c.repeat(90)}AA`;

beforeAll(async () => {
  v = await cliVault('keyhold-sec-passwd-trash-');
});
afterAll(() => v.cleanup());

describe('passwd with items in the trash', () => {
  it('rotates with a trashed key and a trashed profile whose names are in use again, and keeps all four', async () => {
    await v.ok(['byok', 'set', '--kind', 'claude-code', '--key-stdin', '--draft'], key('a'));
    await v.ok(['byok', 'rm', 'claude-code']);
    await v.ok(['byok', 'set', '--kind', 'claude-code', '--key-stdin', '--draft'], key('d'));
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'K=old', '--draft']);
    await v.ok(['profile', 'rm', 'crm/prod']);
    await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'K=new', '--draft']);

    const r = await keyhold(['passwd'], { env: { ...v.env, KEYHOLD_NEW_PASSWORD: NEW_PASSWORD } });
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);

  it('after it, the new password opens everything, and the trashed names are still free', async () => {
    const env = { ...v.env, KEYHOLD_PASSWORD: NEW_PASSWORD };
    expect((await keyhold(['byok', 'show', 'claude-code', '--reveal', '--json'], { env })).json<{ apiKey: string }>().apiKey).toBe(key('d'));
    const trash = (await keyhold(['trash', 'list', '--json'], { env })).json<{ ref: string }[]>();
    expect(trash.map((t) => t.ref).sort()).toEqual(['claude-code', 'crm/prod']);
    // A name trashed and taken again before the rotation can be trashed and taken again after it.
    expect((await keyhold(['profile', 'rm', 'crm/prod'], { env })).code).toBe(0);
    expect((await keyhold(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'K=third', '--draft'], { env })).code).toBe(0);
  });

  it('mends a vault an earlier rotation left with a trashed row holding its real tag', async () => {
    const env = { ...v.env, KEYHOLD_PASSWORD: NEW_PASSWORD };
    await keyhold(['profile', 'add', '--agent', 'old', '--name', 'gone', '--set', 'K=x', '--draft'], { env });
    await keyhold(['profile', 'rm', 'old/gone'], { env });
    // As the old rotation left it: the trashed row carries the tag of its agent and name.
    const vault = Vault.open(join(v.dir, 'vault'));
    await vault.unlock(NEW_PASSWORD);
    const tag = vault.cells().lookup('profiles', 'old', 'gone');
    vault.close();
    const db = raw(join(v.dir, 'vault'));
    db.prepare(
      'UPDATE profiles SET lookup = ? WHERE trashed_at IS NOT NULL AND id IN (SELECT id FROM profiles WHERE trashed_at IS NOT NULL ORDER BY trashed_at DESC LIMIT 1)',
    ).run(tag);
    db.close();
    expect((await keyhold(['profile', 'add', '--agent', 'old', '--name', 'gone', '--set', 'K=y', '--draft'], { env })).code).toBe(6);
    const rotated = await keyhold(['passwd'], { env: { ...env, KEYHOLD_NEW_PASSWORD: PASSWORD } });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(
      (await keyhold(['profile', 'add', '--agent', 'old', '--name', 'gone', '--set', 'K=y', '--draft'], { env: { ...env, KEYHOLD_PASSWORD: PASSWORD } })).code,
    ).toBe(0);
  }, 30_000);
});
