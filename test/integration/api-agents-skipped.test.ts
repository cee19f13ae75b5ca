import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../../src/core/agents/walk';
import { useCleanups } from '../helpers/cleanup';
import { lookalike, randomChars } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { apiHarness, MASTER } from './api-harness';

// "Found on this computer" gets what the scan could not read through agentScan's result (the
// contract parses it on the way out), and the import's word about a shell/local left as it is.

const cleanups = useCleanups();
let h: ReturnType<typeof apiHarness> | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

function home(): string {
  const t = tempDir('keyhold-api-skipped-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('"Found on this computer" through the router', () => {
  it('lists each well-known file it could not read with its reason, and no value', async () => {
    const dir = home();
    const keys = [lookalike.github(), lookalike.anthropic()];
    const fd = openSync(join(dir, '.claude.json'), 'w');
    ftruncateSync(fd, MAX_CONFIG_BYTES + 1);
    closeSync(fd);
    writeFileSync(join(dir, '.zshrc'), Buffer.concat([Buffer.from(`export GITHUB_TOKEN=${keys[0]}\n`), Buffer.from([0])]));
    writeFileSync(join(dir, '.bashrc'), Buffer.from(`# Caf\xe9\nexport ANTHROPIC_API_KEY=${keys[1]}\n`, 'latin1'));
    mkdirSync(join(dir, '.cursor'));
    expect(spawnSync('mkfifo', [join(dir, '.cursor', 'mcp.json')]).status).toBe(0);
    symlinkSync(join(dir, 'dotfiles', 'profile'), join(dir, '.profile'));
    h = apiHarness({ scanEnv: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') } });
    await h.ok('vaultCreate', { password: MASTER });
    const found = await h.ok('agentScan');
    expect(found.findings).toEqual([]);
    expect(found.skipped).toEqual([
      { path: join(dir, '.bashrc'), reason: 'not-utf8', message: 'not UTF-8 text: save it as UTF-8 to have it read' },
      { path: join(dir, '.claude.json'), reason: 'too-large', message: '256.1 MiB: larger than the 256 MiB scan reads' },
      { path: join(dir, '.cursor', 'mcp.json'), reason: 'not-a-file', message: 'a named pipe, not a file' },
      { path: join(dir, '.profile'), reason: 'unreadable', message: 'a symbolic link to a file that does not exist' },
      { path: join(dir, '.zshrc'), reason: 'binary', message: 'binary (it holds a NUL byte)' },
    ]);
    for (const key of keys) expect(JSON.stringify(found)).not.toContain(key);
  });

  it('imports each shell file into its own profile, and says once that shell/local from an earlier import is left as it is', async () => {
    const dir = home();
    const old = randomChars(40);
    writeFileSync(join(dir, '.zshrc'), `export OLD_API_TOKEN=${old}\nexport NEW_API_TOKEN=${randomChars(40)}\n`);
    h = apiHarness({ scanEnv: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') } });
    await h.ok('vaultCreate', { password: MASTER });
    await h.ok('profileCreate', { agentId: 'shell', name: 'local', authData: { OLD_API_TOKEN: old }, draft: true });
    expect(await h.ok('agentImport')).toEqual({ imported: 1, held: 1, conflicts: 0, refused: 0, earlier: [{ profile: 'shell/local', now: ['shell/zshrc'] }] });
    expect(await h.ok('agentImport')).toEqual({ imported: 0, held: 2, conflicts: 0, refused: 0, earlier: [] });
    expect((await h.ok('profilesList', {})).map((p) => `${p.agentId}/${p.name}`).sort()).toEqual(['shell/local', 'shell/zshrc']);
  });
});
