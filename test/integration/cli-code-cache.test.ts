import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli';
import { tempDir } from '../helpers/vault';

// The built CLI loads each chunk with the V8 code cache the build wrote beside it
// (src/cli/code-cache.ts). test/global-setup.ts has just built it, as `npm run build` does.
const BUILT = dirname(CLI);
const ENTRIES = new Set(['keyhold.js', 'code-cache-build.js']);
const isLoader = (f: string) => /^code-cache-[^.]*\.js$/.test(f) && !ENTRIES.has(f);
const loaderOf = (dir: string) => join(dir, readdirSync(dir).find(isLoader) ?? 'missing');
/** The chunks that load through the cache loader: all but the entries, the loader and what it needs itself. */
function chunksIn(dir: string): string[] {
  const ownNeeds = new Set([...readFileSync(loaderOf(dir), 'utf8').matchAll(/require\("\.\/([^"]+)"\)/g)].map((m) => m[1]));
  return readdirSync(dir).filter((f) => f.endsWith('.js') && !ENTRIES.has(f) && !isLoader(f) && !ownNeeds.has(f));
}

/** Loads every chunk of the build in `dir` through the cache loader, in a new Node; which ran from their cache. */
function loadAll(dir: string): { cached: string[]; compiled: string[] } {
  const loader = loaderOf(dir);
  const script = `
    const loads = require(${JSON.stringify(loader)}).useCodeCache(${JSON.stringify(dir)});
    for (const chunk of ${JSON.stringify(chunksIn(dir))}) require(${JSON.stringify(dir)} + '/' + chunk);
    process.stdout.write(JSON.stringify(loads));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { cached: string[]; compiled: string[] };
}

/** `keyhold ARGS` from the build in `dir`, with no vault (each command stops at the vault). */
function run(dir: string, args: string[]) {
  const env = { PATH: process.env.PATH ?? '', HOME: '/nonexistent', KEYHOLD_VAULT: '/nonexistent/keyhold-vault' };
  const r = spawnSync(process.execPath, [join(dir, 'keyhold.js'), ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMMANDS = [['--help'], ['profile', '--help'], ['profile', 'list', '--json'], ['profil'], ['--version']];

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('keyhold-code-cache-');
});
afterAll(() => t.cleanup());

describe('the CLI code cache', () => {
  it('is written beside every chunk by the build, and V8 takes each one', () => {
    const chunks = chunksIn(BUILT);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(readdirSync(BUILT)).toContain(`${chunk}.v8cache`);
    const loads = loadAll(BUILT);
    expect(loads.compiled).toEqual([]);
    expect(loads.cached.sort()).toEqual([...chunks].sort());
  });

  it.each([
    [
      'a damaged byte',
      (file: string) => {
        const bytes = readFileSync(file);
        for (let i = bytes.length >> 1; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
        writeFileSync(file, bytes);
      },
    ],
    ['a file cut short', (file: string) => truncateSync(file, readFileSync(file).length >> 1)],
    ['an empty file', (file: string) => truncateSync(file, 0)],
  ])('with %s in every cache file, is not used, and every command runs the same', (_what, damage) => {
    const copy = join(t.dir, `build-${_what.replace(/\W+/g, '-')}`);
    cpSync(BUILT, copy, { recursive: true });
    for (const f of readdirSync(copy)) if (f.endsWith('.v8cache')) damage(join(copy, f));
    // Without the digest check, V8 aborts the whole process on the first damaged cache it reads.
    const loads = loadAll(copy);
    expect(loads.cached).toEqual([]);
    expect(loads.compiled.length).toBe(chunksIn(copy).length);
    for (const args of COMMANDS) expect(run(copy, args)).toEqual(run(BUILT, args));
  });

  it('is not used for a chunk whose source changed, even by a change of the same length', () => {
    const copy = join(t.dir, 'build-edited');
    cpSync(BUILT, copy, { recursive: true });
    // V8 checks only the length of the source; the cache's digest covers the source itself.
    const main = chunksIn(copy).find((f) => f.startsWith('main-')) ?? 'missing';
    const source = readFileSync(join(copy, main), 'utf8');
    const edited = source.replace('(run with --help for usage)', '(run with --help for USAGE)');
    expect(edited.length).toBe(source.length);
    expect(edited).not.toBe(source);
    writeFileSync(join(copy, main), edited);
    expect(loadAll(copy).compiled).toEqual([main]);
    const typo = run(copy, ['profil']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('(run with --help for USAGE)');
  });
});
