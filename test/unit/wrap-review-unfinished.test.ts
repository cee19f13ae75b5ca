import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupOf, planWrap, restoreWrapped, writeWrapped } from '../../src/core/agents';
import { KeyholdError } from '../../src/shared/errors';
import { memoryWrapRecords as records } from '../helpers/wrap-records';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// A wrap writes the vault's record, then the backup, then the file. Killed between two of those
// steps, it left the file as it was; an unwrap then said "changed since it was wrapped; restoring
// the backup would lose those changes" (the file was the backup itself), or "this file was not
// wrapped by Keyhold" while the vault held a record of its wrap.

const token = lookalike.github();
const config = JSON.stringify({ mcpServers: { gh: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: token } } } }, null, 2);
const options = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let t: ReturnType<typeof tempDir>;
afterEach(() => t.cleanup());

/** The state a wrap killed after its record (and, with `backup`, after its backup) leaves. */
function stopped(backup: boolean) {
  t = tempDir('keyhold-wrap-unfinished-');
  const file = join(t.dir, 'mcp.json');
  writeFileSync(file, config);
  const wraps = records();
  const plan = planWrap(config, 'json', options);
  wraps.record({ path: resolve(file), target: resolve(file), backupSha256: sha256(config), wrappedSha256: sha256(plan.text) });
  if (backup) writeFileSync(backupOf(file), config, { mode: 0o600 });
  return { file, wraps, plan };
}

describe('an unwrap after a wrap that was killed before it wrote the file', () => {
  it('killed after the backup: says the wrap did not finish, removes the backup and the record, leaves the file', async () => {
    const { file, wraps, plan } = stopped(true);
    await expect(restoreWrapped(file, wraps)).resolves.toBe('unfinished');
    expect(readFileSync(file, 'utf8')).toBe(config);
    expect(existsSync(backupOf(file))).toBe(false);
    expect(wraps.kept.size).toBe(0);
    // And the next wrap goes ahead without --force.
    await writeWrapped(file, config, plan, wraps);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
  });

  it('killed after the record, before the backup: the same, without a backup', async () => {
    const { file, wraps } = stopped(false);
    await expect(restoreWrapped(file, wraps)).resolves.toBe('unfinished');
    expect(readFileSync(file, 'utf8')).toBe(config);
    expect(wraps.kept.size).toBe(0);
  });
});

describe('an unwrap whose backup was deleted', () => {
  it('says the backup is gone and where the secrets are, not that the file was never wrapped, and changes nothing', async () => {
    t = tempDir('keyhold-wrap-nobackup-');
    const file = join(t.dir, 'mcp.json');
    writeFileSync(file, config);
    const wraps = records();
    await writeWrapped(file, config, planWrap(config, 'json', options), wraps);
    const wrapped = readFileSync(file, 'utf8');
    rmSync(backupOf(file));
    const refused = await restoreWrapped(file, wraps).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KeyholdError);
    const message = (refused as KeyholdError).message;
    expect(message).not.toContain('not wrapped');
    expect(message).toContain('is gone');
    expect(message).toContain('in the vault');
    expect(readFileSync(file, 'utf8')).toBe(wrapped);
    expect(wraps.kept.size).toBe(1);
  });
});
