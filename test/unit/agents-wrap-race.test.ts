import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupOf, planWrap, restoreWrapped, writeWrapped } from '../../src/core/agents';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import type { WrapRecord, WrapRecords } from '../../src/core/vault/wrapped-configs';

/** The vault's records of wraps, in memory: these cases are about the files. */
function records(): WrapRecords {
  const kept = new Map<string, WrapRecord>();
  return { get: (path) => kept.get(path) ?? null, record: (r) => void kept.set(r.path, r), forget: (path) => void kept.delete(path) };
}
const wraps = records();

// The agent tools write their own configs while they run (Claude Code keeps its state in
// ~/.claude.json), and a wrap may wait at the password prompt between reading the file and writing
// it. Writing the plan made from the old text would drop what the tool wrote meanwhile.

const token = lookalike.github();
const config = JSON.stringify({ mcpServers: { gh: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: token } } } }, null, 2);
const options = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

let t: ReturnType<typeof tempDir>;
afterEach(() => t.cleanup());

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
    t = tempDir('keyhold-wrap-link-');
    const repo = join(t.dir, 'dotfiles');
    mkdirSync(repo);
    const real = join(repo, 'mcp.json');
    writeFileSync(real, config);
    const file = join(t.dir, 'mcp.json');
    symlinkSync(real, file);

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
});
