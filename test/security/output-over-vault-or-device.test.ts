import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// Accident (or a hostile script's suggestion): `-o` with --force replaced whatever the name held.
// `export-env -o ~/.config/Keyhold/vault/vault.sqlite --force` wrote a .env over the vault, which
// then opened as "not a Keyhold vault"; as root, `-o /dev/stdout --force` replaced the device node
// with a file of secrets. Neither is replaced now, --force or not.

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-output-');
  await v.ok(['profile', 'add', '--agent', 'crm', '--name', 'prod', '--set', 'PASSWORD=output-secret-0123', '--draft']);
});
afterAll(() => v.cleanup());

describe('-o with --force', () => {
  it("does not write over the vault's own files", async () => {
    const db = join(v.env.KEYHOLD_VAULT, 'vault.sqlite');
    const before = readFileSync(db);
    for (const args of [
      ['profile', 'export-env', 'crm/prod', '-o', db, '--force'],
      ['inject', '-i', '-', '-o', db, '--force'],
    ]) {
      const r = await v.run(args, 'P=keyhold://profile/crm/prod/PASSWORD\n');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain("is a Keyhold vault's file; Keyhold never writes over one");
    }
    expect(readFileSync(db).subarray(0, 16).toString()).toBe(before.subarray(0, 16).toString());
    await v.ok(['profile', 'list']);
  });

  it('does not replace a device, pipe or socket with a file of secrets', async () => {
    const fifo = join(v.dir, 'a-pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await v.run(['profile', 'export-env', 'crm/prod', '-o', fifo, '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a file (a device, a pipe or a socket)');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});
