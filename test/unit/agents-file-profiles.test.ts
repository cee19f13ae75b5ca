import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileProfileName, importFindings, importTarget, scan, type ImportTarget } from '../../src/core/agents';
import type { Vault } from '../../src/core/vault/vault';
import { useCleanups } from '../helpers/cleanup';
import { randomChars } from '../helpers/lookalike';
import { newVault, tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// Every file imports into a profile of its own. Before, every shell file went to shell/local and
// every file of a folder to FOLDER/local; a profile takes values from one file (valuesNotFrom), so
// with keys in both ~/.zshrc and ~/.bashrc the second file's were conflicts at every import.

const cleanups = useCleanups();
const TAG = /^[0-9a-f]{8}$/;

function home(): { dir: string; env: NodeJS.ProcessEnv; write: (path: string, text: string) => string } {
  const t = tempDir('keyhold-file-profiles-');
  cleanups.push(t.cleanup);
  const write = (path: string, text: string) => writeWithFolders(join(t.dir, path), text);
  mkdirSync(join(t.dir, 'home'));
  return { dir: t.dir, env: { HOME: join(t.dir, 'home'), XDG_CONFIG_HOME: join(t.dir, 'home', '.config') }, write };
}

async function vault(): Promise<Vault> {
  const v = await newVault();
  cleanups.push(v.cleanup);
  return v.vault;
}

const secret = (name: string) => `${name}=${randomChars(40)}\n`;
const label = (t: ImportTarget) => (t.type === 'profile' ? `${t.agentId}/${t.name}` : `byok ${t.kind}`);
const targets = (found: ReturnType<typeof scan>) => Object.fromEntries(found.findings.map((f) => [f.file, label(importTarget(f))]));
const keysOf = (v: Vault, ref: string) => Object.keys(v.profiles.load(v.profiles.resolve(ref).id).secrets.authData);

describe('the profile of a shell file', () => {
  it('is named after the file: shell/zshrc, shell/bashrc, shell/profile, shell/cshrc, shell/config.fish', () => {
    const h = home();
    const files = {
      zshrc: h.write('home/.zshrc', `export ${secret('ZSH_TOKEN')}`),
      bashrc: h.write('home/.bashrc', `export ${secret('BASH_TOKEN')}`),
      profile: h.write('home/.profile', `export ${secret('PROFILE_TOKEN')}`),
      cshrc: h.write('home/.cshrc', `setenv CSH_TOKEN ${randomChars(40)}\n`),
      fish: h.write('home/.config/fish/config.fish', `set -gx FISH_TOKEN ${randomChars(40)}\n`),
    };
    expect(targets(scan({ paths: [], wellKnown: true, env: h.env, platform: 'linux' }))).toEqual({
      [files.zshrc]: 'shell/zshrc',
      [files.bashrc]: 'shell/bashrc',
      [files.profile]: 'shell/profile',
      [files.cshrc]: 'shell/cshrc',
      [files.fish]: 'shell/config.fish',
    });
  });

  it('is the same whichever way the scan came to the file: a well-known place, a walk of the home folder, the file named', () => {
    const h = home();
    const zshrc = h.write('home/.zshrc', `export ${secret('ZSH_TOKEN')}`);
    for (const options of [
      { paths: [], wellKnown: true },
      { paths: [h.env.HOME!], wellKnown: false },
      { paths: [zshrc], wellKnown: false },
    ]) {
      expect(targets(scan({ ...options, env: h.env, platform: 'linux' }))).toEqual({ [zshrc]: 'shell/zshrc' });
    }
  });

  it('of another file of the same name (a dotfiles repository, two scripts folders) is its own, tagged by its folder, and stable', () => {
    const h = home();
    const own = h.write('home/.bashrc', `export ${secret('A_TOKEN')}`);
    const dotfiles = h.write('home/dotfiles/.bashrc', `export ${secret('B_TOKEN')}`);
    const one = h.write('code/shop/scripts/env.sh', `export ${secret('C_TOKEN')}`);
    const two = h.write('code/blog/scripts/env.sh', `export ${secret('D_TOKEN')}`);
    const run = () => targets(scan({ paths: [dotfiles, join(h.dir, 'code')], wellKnown: true, env: h.env, platform: 'linux' }));
    const first = run();
    expect(first[own]).toBe('shell/bashrc');
    expect(first[dotfiles]).toMatch(/^shell\/bashrc-[0-9a-f]{8}$/);
    expect(first[one]).toMatch(/^shell\/env\.sh-[0-9a-f]{8}$/);
    expect(first[two]).toMatch(/^shell\/env\.sh-[0-9a-f]{8}$/);
    expect(new Set(Object.values(first)).size).toBe(4);
    expect(run()).toEqual(first);
    // Scanned alone, each file still names the same profile.
    expect(targets(scan({ paths: [one], wellKnown: false, env: h.env, platform: 'linux' }))[one]).toBe(first[one]);
  });
});

describe('scan --import of shell files', () => {
  it('imports keys from .zshrc and .bashrc into their own profiles, and a second import finds them held, not in conflict', async () => {
    const v = await vault();
    const h = home();
    const zsh = randomChars(40);
    h.write('home/.zshrc', `export ZSH_ONLY_TOKEN=${zsh}\nexport SHARED_API_TOKEN=${randomChars(40)}\n`);
    const bashrc = h.write('home/.bashrc', `export BASH_ONLY_TOKEN=${randomChars(40)}\nexport SHARED_API_TOKEN=${randomChars(40)}\n`);
    const run = () => importFindings(v, scan({ paths: [], wellKnown: true, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(run().map((o) => [label(o.target), o.result])).toEqual([
      ['shell/bashrc', 'imported'],
      ['shell/bashrc', 'imported'],
      ['shell/zshrc', 'imported'],
      ['shell/zshrc', 'imported'],
    ]);
    expect(keysOf(v, 'shell/zshrc')).toEqual(['ZSH_ONLY_TOKEN', 'SHARED_API_TOKEN']);
    expect(keysOf(v, 'shell/bashrc')).toEqual(['BASH_ONLY_TOKEN', 'SHARED_API_TOKEN']);
    expect(run().map((o) => o.result)).toEqual(['held', 'held', 'held', 'held']);

    // A key added to one file later goes to that file's profile.
    appendFileSync(bashrc, `export LATER_TOKEN=${randomChars(40)}\n`);
    const later = run().filter((o) => o.finding.name === 'LATER_TOKEN');
    expect(later.map((o) => [label(o.target), o.result])).toEqual([['shell/bashrc', 'imported']]);
    expect(v.profiles.load(v.profiles.resolve('shell/zshrc').id).secrets.authData.ZSH_ONLY_TOKEN).toBe(zsh);
  });

  it('leaves shell/local from an earlier import as it is, imports into the per-file profiles, and says so once', async () => {
    const v = await vault();
    const h = home();
    const earlier = randomChars(40);
    // What an earlier Keyhold made of ~/.zshrc.
    v.profiles.create({ agentId: 'shell', name: 'local', authData: { OLD_TOKEN: earlier }, draft: true }, 'import', '/home/me/.zshrc:1 (OLD_TOKEN)');
    h.write('home/.zshrc', `export OLD_TOKEN=${earlier}\nexport NEW_TOKEN=${randomChars(40)}\n`);
    h.write('home/.bashrc', `export BASH_TOKEN=${randomChars(40)}\n`);
    const run = () => importFindings(v, scan({ paths: [], wellKnown: true, env: h.env, platform: 'linux' }).findings);

    const first = run();
    expect(first.outcomes.map((o) => [o.finding.name, label(o.target), o.result])).toEqual([
      ['BASH_TOKEN', 'shell/bashrc', 'imported'],
      ['OLD_TOKEN', 'shell/zshrc', 'held'],
      ['NEW_TOKEN', 'shell/zshrc', 'imported'],
    ]);
    expect(first.earlier).toEqual([{ profile: 'shell/local', now: ['shell/bashrc', 'shell/zshrc'] }]);
    expect(v.profiles.load(v.profiles.resolve('shell/local').id).secrets.authData).toEqual({ OLD_TOKEN: earlier });
    expect(keysOf(v, 'shell/zshrc')).toEqual(['NEW_TOKEN']);

    // Once: the per-file profiles are there now.
    expect(run().earlier).toEqual([]);
  });
});

describe('the profile of a file outside the shell files', () => {
  it('.env and .env.local of one project go to two profiles of that folder, and both import', async () => {
    const v = await vault();
    const h = home();
    const env = h.write('code/crm-bot/.env', secret('SLACK_SIGNING_SECRET'));
    const local = h.write('code/crm-bot/.env.local', secret('DEPLOY_SECRET'));
    const found = scan({ paths: [join(h.dir, 'code')], wellKnown: false, env: h.env, platform: 'linux' });
    const names = targets(found);
    const tag = names[env]!.split('-').at(-1)!;
    expect(tag).toMatch(TAG);
    expect(names).toEqual({ [env]: `crm-bot/env-${tag}`, [local]: `crm-bot/env.local-${tag}` });
    const first = importFindings(v, found.findings).outcomes;
    expect(first.map((o) => o.result)).toEqual(['imported', 'imported']);
    expect(
      importFindings(v, scan({ paths: [join(h.dir, 'code')], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes.map((o) => o.result),
    ).toEqual(['held', 'held']);
  });

  it('two projects with a folder of one name (shop/api, blog/api) each get their own profile', async () => {
    const v = await vault();
    const h = home();
    const shop = h.write('code/shop/api/.env', secret('STRIPE_SECRET'));
    const blog = h.write('code/blog/api/.env', secret('GHOST_SECRET'));
    const found = scan({ paths: [join(h.dir, 'code')], wellKnown: false, env: h.env, platform: 'linux' });
    const names = targets(found);
    expect(names[shop]).toMatch(/^api\/env-[0-9a-f]{8}$/);
    expect(names[blog]).toMatch(/^api\/env-[0-9a-f]{8}$/);
    expect(names[shop]).not.toBe(names[blog]);
    expect(importFindings(v, found.findings).outcomes.map((o) => o.result)).toEqual(['imported', 'imported']);
  });

  it('is one for every way to one folder: its real path, a symbolic link to it (of another name) or to a folder above it', async () => {
    const v = await vault();
    const h = home();
    const env = h.write('code/crm-bot/.env', secret('SLACK_SIGNING_SECRET'));
    symlinkSync(join(h.dir, 'code', 'crm-bot'), join(h.dir, 'bot'));
    symlinkSync(join(h.dir, 'code'), join(h.dir, 'work'));
    const ways = [env, join(h.dir, 'bot', '.env'), join(h.dir, 'work', 'crm-bot', '.env'), join(h.dir, 'work', '..', 'code', 'crm-bot', '.env')];
    const names = ways.map((file) => targets(scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' })));
    const tag = names[0]![env]!.split('-').at(-1)!;
    expect(tag).toMatch(TAG);
    expect(names.map((n) => Object.values(n))).toEqual(ways.map(() => [`crm-bot/env-${tag}`]));
    // One profile: imported through the link first, the real path finds it held, not another profile.
    const run = (file: string) => importFindings(v, scan({ paths: [file], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    expect(run(join(h.dir, 'work', 'crm-bot', '.env')).map((o) => [label(o.target), o.result])).toEqual([[`crm-bot/env-${tag}`, 'imported']]);
    expect(run(env).map((o) => [label(o.target), o.result])).toEqual([[`crm-bot/env-${tag}`, 'held']]);
    expect(v.profiles.list().map((p) => `${p.agentId}/${p.name}`)).toEqual([`crm-bot/env-${tag}`]);
    // A folder that cannot be resolved (gone since the scan) is tagged by its path as given, as before.
    const gone = join(h.dir, 'gone', 'api', '.env');
    expect(fileProfileName(gone, false)).toBe(`env-${createHash('sha256').update(dirname(gone)).digest('hex').slice(0, 8)}`);
  });

  it("a well-known config's own finding outside an MCP server is named after the file alone", () => {
    const h = home();
    const file = h.write('home/.codex/config.toml', `[tools]\napi_token = "${randomChars(40)}"\n`);
    expect(targets(scan({ paths: [], wellKnown: true, env: h.env, platform: 'linux' }))).toEqual({ [file]: '.codex/config.toml' });
  });

  it('a file name that cannot name a profile is refused on its own; a long one is shortened to a valid name', async () => {
    const v = await vault();
    const h = home();
    h.write(`code/app/x\u202Eenv.env`, secret('HIDDEN_TOKEN'));
    const long = h.write(`code/app/${'a'.repeat(230)}.env`, secret('LONG_TOKEN'));
    const outcomes = importFindings(v, scan({ paths: [join(h.dir, 'code')], wellKnown: false, env: h.env, platform: 'linux' }).findings).outcomes;
    const byName = Object.fromEntries(outcomes.map((o) => [o.finding.name, o]));
    expect(byName.HIDDEN_TOKEN).toMatchObject({ result: 'refused', reason: expect.stringContaining('U+202E') });
    expect(byName.LONG_TOKEN!.result).toBe('imported');
    const name = (byName.LONG_TOKEN!.target as { name: string }).name;
    expect(name).toHaveLength(200);
    expect(name).toMatch(/^a+-[0-9a-f]{8}$/);
    expect(targets(scan({ paths: [long], wellKnown: false, env: h.env, platform: 'linux' }))[long]).toBe(`app/${name}`);
  });
});
