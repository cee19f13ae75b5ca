import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbPath } from '../../src/core/vault/db';
import { permissionProblem } from '../../src/core/vault/permissions';
import { cliVault } from './cli-env';

// Attack: a vault copied with `cp -r`, restored from a backup or kept in a shared folder ends up
// readable by other users of the machine (who can then try passwords against it offline, at their
// own pace) or in a folder they can write to (so they can swap it for an older copy). Keyhold
// creates it 0600 in a 0700 folder, but never said when that stopped being true.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-perms-');
  await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'API_KEY=sk-0123456789']);
});
afterAll(() => v.cleanup());

describe('a vault other users can open or replace', () => {
  it('is named in a warning on standard error; the output and the exit code stay the command’s', async () => {
    const file = dbPath(v.env.KEYHOLD_VAULT);
    const quiet = await v.ok(['profile', 'list', '--json']);
    expect(quiet.stderr).toBe('');

    chmodSync(file, 0o644);
    const readable = await v.ok(['profile', 'list', '--json']);
    expect(readable.stdout).toBe(quiet.stdout);
    expect(readable.stderr).toBe(
      `keyhold: warning: Other users of this computer can open ${file} (mode 644), so they could try passwords against the vault offline. Fix it with "chmod go-rwx" on it.\n`,
    );
    chmodSync(file, 0o600);

    chmodSync(v.env.KEYHOLD_VAULT, 0o777);
    try {
      expect((await v.ok(['profile', 'list', '--json'])).stderr).toContain(`can write to ${v.env.KEYHOLD_VAULT} (mode 777)`);
    } finally {
      chmodSync(v.env.KEYHOLD_VAULT, 0o700);
    }
    // A folder others may read but not write (the desktop's data folder is often 0755) is fine.
    chmodSync(v.env.KEYHOLD_VAULT, 0o755);
    try {
      expect((await v.ok(['profile', 'list', '--json'])).stderr).toBe('');
    } finally {
      chmodSync(v.env.KEYHOLD_VAULT, 0o700);
    }
  });

  it('fails doctor (exit 8), which names the file and its mode, and passes once fixed', async () => {
    const file = dbPath(v.env.KEYHOLD_VAULT);
    expect((await v.ok(['doctor'])).stdout).toMatch(/^Files: +ok$/m);
    chmodSync(file, 0o640);
    try {
      const r = await v.run(['doctor', '--json']);
      expect(r.code).toBe(8);
      expect(r.json<{ ok: boolean; files: { ok: boolean; problem: string } }>()).toMatchObject({
        ok: false,
        files: { ok: false, problem: expect.stringContaining(`${file} (mode 640)`) },
      });
    } finally {
      chmodSync(file, 0o600);
    }
    expect((await v.ok(['doctor', '--json'])).json()).toMatchObject({ ok: true, files: { ok: true, problem: null } });
  });

  it('is not judged by modes on Windows, where access lists keep a profile folder private', () => {
    chmodSync(dbPath(v.env.KEYHOLD_VAULT), 0o644);
    try {
      expect(permissionProblem(v.env.KEYHOLD_VAULT, 'linux')).not.toBeNull();
      expect(permissionProblem(v.env.KEYHOLD_VAULT, 'win32')).toBeNull();
    } finally {
      chmodSync(dbPath(v.env.KEYHOLD_VAULT), 0o600);
    }
  });
});
