import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backupOf, planWrap, restoreWrapped, writeWrapped } from '../../src/core/agents';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { memoryWrapRecords as records } from '../helpers/wrap-records';

/** The vault's records of wraps, in memory: these cases are about the files. */
const wraps = records();

/**
 * Runs once a temporary file's bytes are flushed, before it takes its final name (the slowest step
 * between a config's last check and its replacement), with the temporary file's path; while set.
 */
let whileFlushed: ((temp: string) => void) | null = null;
vi.mock('node:fs/promises', async (importOriginal) =>
  (await import('../helpers/flush-hook')).withFlushHook(await importOriginal(), (temp) => whileFlushed?.(temp)),
);
/** Has another program write `text` to `file` while Keyhold's new text for it (not its backup) is flushed. */
const theyWrite = (file: string, text: string) => {
  whileFlushed = (temp) => {
    if (basename(temp).startsWith(`.${basename(file)}.`) && !temp.includes('keyhold-backup')) writeFileSync(file, text);
  };
};

// The agent tools write their own configs while they run (Claude Code keeps its state in
// ~/.claude.json), and a wrap may wait at the password prompt between reading the file and writing
// it. Writing the plan made from the old text would drop what the tool wrote meanwhile.

const token = lookalike.github();
const config = JSON.stringify({ mcpServers: { gh: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: token } } } }, null, 2);
const options = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

let t: ReturnType<typeof tempDir>;
afterEach(() => {
  whileFlushed = null;
  t.cleanup();
});

/** A config kept in a dotfiles repository (`repo`) and linked into place: `file` is the link, `real` the file it leads to. */
function linkedConfig(): { repo: string; real: string; file: string } {
  t = tempDir('keyhold-wrap-link-');
  const repo = join(t.dir, 'dotfiles');
  mkdirSync(repo);
  const real = join(repo, 'mcp.json');
  writeFileSync(real, config);
  const file = join(t.dir, 'mcp.json');
  symlinkSync(real, file);
  return { repo, real, file };
}

describe('writing a wrapped config', () => {
  it('leaves a config another program changed since it was read as that program wrote it, and writes no backup', async () => {
    t = tempDir('keyhold-wrap-race-');
    const file = join(t.dir, '.claude.json');
    writeFileSync(file, config);
    const plan = planWrap(config, 'json', options);
    const theirs = config.replace('"mcpServers"', '"numStartups": 42,\n  "mcpServers"');
    writeFileSync(file, theirs);

    const error = await writeWrapped(file, config, plan, wraps).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'Conflict', field: 'configChanged' });
    expect(String((error as Error).message)).toMatch(/changed while Keyhold was wrapping it .*left it as it is now/);
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    expect(existsSync(backupOf(file))).toBe(false);
  });

  it('a config deleted meanwhile is not created again', async () => {
    t = tempDir('keyhold-wrap-race-');
    const file = join(t.dir, 'mcp.json');
    await expect(writeWrapped(file, config, planWrap(config, 'json', options), wraps)).rejects.toMatchObject({ code: 'Conflict' });
    expect(existsSync(file)).toBe(false);
  });

  it('an unchanged config is wrapped, with its backup', async () => {
    t = tempDir('keyhold-wrap-race-');
    const file = join(t.dir, 'mcp.json');
    writeFileSync(file, config);
    await writeWrapped(file, config, planWrap(config, 'json', options), wraps);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    expect(readFileSync(backupOf(file), 'utf8')).toBe(config);
  });

  it('a config that is a link (dotfiles kept in a repository) is changed in the file it links to, and stays a link', async () => {
    const { real, file } = linkedConfig();

    const plan = planWrap(config, 'json', options);
    await writeWrapped(file, config, plan, wraps);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    // The secret left the linked file too: replacing the link left it there before.
    expect(readFileSync(real, 'utf8')).toBe(plan.text);
    expect(readFileSync(real, 'utf8')).not.toContain(token);
    // The backup, which holds the secret, stays beside the name given, out of the repository.
    expect(readFileSync(backupOf(file), 'utf8')).toBe(config);
    expect(existsSync(backupOf(real))).toBe(false);

    await restoreWrapped(file, wraps);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(config);
  });

  it('a config another program writes just before it is replaced is left as that program wrote it, with no backup, no record and no temporary file', async () => {
    t = tempDir('keyhold-wrap-race-');
    const file = join(t.dir, '.claude.json');
    writeFileSync(file, config);
    const theirs = config.replace('"mcpServers"', '"numStartups": 43,\n  "mcpServers"');
    const mine = records();
    theyWrite(file, theirs);

    const error = await writeWrapped(file, config, planWrap(config, 'json', options), mine).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'Conflict', field: 'configChanged' });
    expect(String((error as Error).message)).toMatch(/changed while Keyhold was wrapping it .*left it as it is now/);
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    expect(readdirSync(t.dir)).toEqual(['.claude.json']);
    expect(mine.get(file)).toBeNull();
  });

  it('with --force, such a late change puts back the earlier backup and the earlier record', async () => {
    t = tempDir('keyhold-wrap-race-');
    const file = join(t.dir, 'mcp.json');
    writeFileSync(file, config);
    const earlier = { path: file, target: file, backupSha256: 'a'.repeat(64), wrappedSha256: 'b'.repeat(64) };
    const mine = records();
    mine.record(earlier);
    writeFileSync(backupOf(file), 'the earlier backup');
    theyWrite(file, `${config}\n`);

    await expect(writeWrapped(file, config, planWrap(config, 'json', options), mine, { force: true })).rejects.toMatchObject({ field: 'configChanged' });
    expect(readFileSync(file, 'utf8')).toBe(`${config}\n`);
    expect(readFileSync(backupOf(file), 'utf8')).toBe('the earlier backup');
    expect(mine.get(file)).toEqual(earlier);
    expect(readdirSync(t.dir).sort()).toEqual(['mcp.json', 'mcp.json.keyhold-backup']);
  });

  it('a linked config written just before it is replaced stays a link, to the file as the other program wrote it', async () => {
    const { repo, real, file } = linkedConfig();
    const theirs = config.replace('"mcpServers"', '"theme": "dark",\n  "mcpServers"');
    const mine = records();
    theyWrite(real, theirs);

    await expect(writeWrapped(file, config, planWrap(config, 'json', options), mine)).rejects.toMatchObject({ field: 'configChanged' });
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(theirs);
    expect(existsSync(backupOf(file))).toBe(false);
    expect(readdirSync(repo)).toEqual(['mcp.json']);
    expect(mine.get(file)).toBeNull();
  });
});

describe('putting a wrapped config back', () => {
  it('leaves a config another program writes just before it is replaced as that program wrote it, and keeps the backup and the record', async () => {
    t = tempDir('keyhold-unwrap-race-');
    const file = join(t.dir, 'mcp.json');
    writeFileSync(file, config);
    const mine = records();
    const plan = planWrap(config, 'json', options);
    await writeWrapped(file, config, plan, mine);
    const theirs = plan.text.replace('"mcpServers"', '"numStartups": 44,\n  "mcpServers"');
    theyWrite(file, theirs);

    for (const force of [false, true]) {
      const error = await restoreWrapped(file, mine, { force }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'Conflict', field: 'configChanged' });
      expect(String((error as Error).message)).toMatch(/changed while Keyhold was putting its backup back .*left it as it is now and kept the backup/);
      expect(readFileSync(file, 'utf8')).toBe(theirs);
      expect(readFileSync(backupOf(file), 'utf8')).toBe(config);
      expect(mine.get(file)).not.toBeNull();
      expect(readdirSync(t.dir).sort()).toEqual(['mcp.json', 'mcp.json.keyhold-backup']);
      // The next try reads what the other program wrote, and, like any change since the wrap, keeps it unless forced.
      writeFileSync(file, plan.text);
    }
    whileFlushed = null;
    await restoreWrapped(file, mine);
    expect(readFileSync(file, 'utf8')).toBe(config);
    expect(mine.get(file)).toBeNull();
  });
});
