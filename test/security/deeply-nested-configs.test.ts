import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectJson, detectToml, parseProjectFile } from '../../src/core/agents';
import { apiHarness, MASTER } from '../integration/api-harness';
import { CLI, keyholdProcess } from '../helpers/cli';
import { hangGuarded } from '../helpers/hang-guard';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { cliVault } from './cli-env';

// Accident and attack: a JSON or TOML config nested deeper than any tool writes one (a hostile or
// broken file, a keyhold.toml in a clone). The parsers and the walks over what they return recurse
// once per level, so 100,000 levels overflowed the call stack ("Something went wrong inside
// Keyhold", and one such file stopped the scan of every other). Worse, toml-patch builds a dotted
// key's values at the square of its length: a 200 KB `a.a.…a = 1` ran the process out of heap, a
// fatal error that killed the CLI (exit 134 after 40 s; `keyhold run` in a folder with such a
// keyhold.toml too); 2,000 nested lists of strings kept a scan busy 13 s, 8,000 in JSON took
// 575 MB; and a one-line JSON file 100 levels deep broke `mcp wrap`. A text is now measured before
// any parser reads it, and past 100 levels (as YAML) is read as free text or refused.

const DEEP = 100_000;
const nest = (open: string, inner: string, close: string, n: number) => `${open.repeat(n)}${inner}${close.repeat(n)}`;
const deepJson = (token: string) => `{"mcpServers": ${nest('[', '', ']', DEEP)}, "note": "${token}"}\n`;
const deepToml = `[mcp_servers.a]\ncommand = "npx"\nargs = ${nest('[', '', ']', DEEP)}\n`;
/** `a.a.a…a = "TOKEN"`: a dotted key DEEP segments long (200 KB). */
const dottedToml = (token: string) => `${'a.'.repeat(DEEP)}GITHUB_TOKEN = "${token}"\n`;
const TOO_DEEP = 'nests its values more than 100 levels deep, past what Keyhold reads as a config. Nothing was changed.';

/** A server with a secret, then a member nested `levels` deep on the same line. */
const oneLine = (token: string, levels: number) =>
  `{"mcpServers":{"gh":{"command":"npx","env":{"GITHUB_TOKEN":"${token}"}}},"x":${nest('[', '1', ']', levels - 1)}}`;

/** Every shape of nesting, in each format, `levels` deep: a token at the bottom, or (for fewer levels) one at every level. */
function shapes(levels: number, token: string): { name: string; format: 'json' | 'toml'; text: string }[] {
  const json = [
    ['arrays', nest('[', `"${token}"`, ']', levels)],
    ['objects', nest('{"GITHUB_TOKEN":', `"${token}"`, '}', levels)],
    ['objects in lists', nest('[{"headers":', `"${token}"`, '}]', levels)],
  ];
  const toml = [
    ['inline arrays', `x = ${nest('[', `"${token}"`, ']', levels)}\n`],
    ['inline tables', `x = ${nest('{GITHUB_TOKEN = ', `"${token}"`, '}', levels)}\n`],
    ['a dotted key', `${'a.'.repeat(levels)}GITHUB_TOKEN = "${token}"\n`],
    ['a header', `[${'a.'.repeat(levels)}b]\nGITHUB_TOKEN = "${token}"\n`],
  ];
  if (levels <= 10_000) {
    json.push(['a token at every level', nest(`["${token}",`, '1', ']', levels)]);
    toml.push(['a token at every level', `x = ${nest(`["${token}",`, '1', ']', levels)}\n`]);
  }
  return [
    ...json.map(([name, text]) => ({ name: `JSON ${name}`, format: 'json' as const, text: text! })),
    ...toml.map(([name, text]) => ({ name: `TOML ${name}`, format: 'toml' as const, text: text! })),
  ];
}

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-deep-');
});
afterAll(() => v.cleanup());

describe('configs nested past what a config has', () => {
  it('each shape, 1,000 to 1,000,000 levels deep, read twice in one process, is free text', () => {
    const token = lookalike.github();
    for (const levels of [1000, 10_000, 100_000, 1_000_000]) {
      for (const { name, format, text } of shapes(levels, token)) {
        for (let time = 0; time < 2; time++) {
          const found = hangGuarded(() => (format === 'json' ? detectJson(text) : detectToml(text)));
          expect(found.length, `${name}, ${levels}`).toBeGreaterThan(0);
          expect(
            found.every((f) => f.source === 'text' && f.path.length === 0 && f.value === token),
            `${name}, ${levels}`,
          ).toBe(true);
        }
      }
    }
  });

  it('scan reads such files as free text and goes on to the others', async () => {
    const [inDeep, inDotted, inEnv] = [lookalike.github(), lookalike.github(), lookalike.github()];
    writeFileSync(join(v.dir, 'deep.json'), deepJson(inDeep));
    writeFileSync(join(v.dir, 'deep.toml'), deepToml);
    writeFileSync(join(v.dir, 'dotted.toml'), dottedToml(inDotted));
    writeFileSync(join(v.dir, '.env'), `GITHUB_TOKEN=${inEnv}\n`);
    const files = ['deep.json', 'deep.toml', 'dotted.toml', '.env'].map((f) => join(v.dir, f));
    const r = await v.run(['scan', '--no-well-known', '--json', ...files]);
    expect(r.code, r.stderr).toBe(1); // credentials found
    const findings = r.json<{ findings: { file: string; rule: string }[] }>().findings;
    expect(findings.map((f) => f.file.split('/').pop()).sort()).toEqual(['.env', 'deep.json', 'dotted.toml']);
    expect(r.stdout).not.toContain(inDeep);
  });

  it('the keyhold binary scans a folder of them, one after another, and lives', () => {
    const dir = join(v.dir, 'hostile');
    mkdirSync(dir);
    const token = lookalike.github();
    // A file found in a folder is read up to 1 MiB: the deepest shapes that fit (a token at every one
    // of 10,000 levels is left out, as its 20,000 findings outgrow the pipe), and the dotted key that killed the process.
    const files = [...shapes(1000, token), ...shapes(10_000, token).filter((s) => !s.name.endsWith('every level'))];
    for (const [i, { format, text }] of files.entries()) writeFileSync(join(dir, `${i}.${format}`), text);
    writeFileSync(join(dir, 'dotted.toml'), dottedToml(token));
    const r = keyholdProcess(['scan', '--no-well-known', '--json', dir], { env: v.env });
    expect([r.code, r.stderr]).toEqual([1, '']); // credentials found; a process killed by the heap exits 134
    const findings = r.json<{ findings: { file: string; where: string }[] }>().findings;
    expect(new Set(findings.map((f) => f.where))).toEqual(new Set(['']));
    expect(new Set(findings.map((f) => f.file)).size).toBe(readdirSync(dir).length);
  });

  it('mcp wrap refuses it in one line and changes nothing, one file after another', async () => {
    for (const [name, text] of [
      // jsonc-parser's formatter broke laying out a line 100 levels deep ("Something went wrong").
      ['one-line.json', oneLine(lookalike.github(), 100)],
      ['again.json', oneLine(lookalike.github(), 5000)],
      ['dotted.toml', `[mcp_servers.gh]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "${lookalike.github()}" }\n${dottedToml('x')}`],
      ['mcp.json', deepJson(lookalike.github())],
      ['config.toml', deepToml],
    ] as const) {
      const file = join(v.dir, name);
      writeFileSync(file, text);
      const r = await v.run(['mcp', 'wrap', file]);
      expect([r.code, r.stderr], name).toEqual([2, `keyhold: The file ${TOO_DEEP}\n`]);
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
    // One level less is a config.
    const file = join(v.dir, 'ninety-nine.json');
    writeFileSync(file, oneLine(lookalike.github(), 99));
    expect((await v.run(['mcp', 'wrap', file, '--dry-run'])).code).toBe(0);
  });

  it('a keyhold.toml is refused with its name, and `keyhold run` beside it says so and lives', () => {
    for (const text of [`GH.${'a.'.repeat(DEEP)}b = "keyhold://byok/x"\n`, `GH = ${nest('[', '', ']', DEEP)}\n`]) {
      expect(() => hangGuarded(() => parseProjectFile(text))).toThrow(`keyhold.toml ${TOO_DEEP}`);
    }
    const dir = join(v.dir, 'clone');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keyhold.toml'), `GH.${'a.'.repeat(DEEP)}b = "keyhold://byok/x"\n`);
    const r = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', ''], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...v.env },
      timeout: 60_000,
    });
    expect([r.status, r.stderr.toString()]).toEqual([2, `keyhold: ${join(dir, 'keyhold.toml')} ${TOO_DEEP}\n`]);
  });

  it("the window's scan and wrap preview read such files in the tools' own places as free text, and refuse them", async () => {
    const home = tempDir('keyhold-sec-deep-home-');
    const [inCursor, inCodex] = [lookalike.github(), lookalike.github()];
    const cursor = join(home.dir, '.cursor', 'mcp.json');
    const codex = join(home.dir, '.codex', 'config.toml');
    mkdirSync(join(home.dir, '.cursor'));
    mkdirSync(join(home.dir, '.codex'));
    writeFileSync(cursor, oneLine(inCursor, 5000));
    writeFileSync(codex, `[mcp_servers.gh]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "${inCodex}" }\n${dottedToml('x')}`);
    const h = apiHarness({ scanEnv: { HOME: home.dir } });
    try {
      await h.ok('vaultCreate', { password: MASTER });
      for (let time = 0; time < 2; time++) {
        const found = await h.ok('agentScan');
        expect(found.findings.map((f) => [f.file, f.where, f.rule]).sort()).toEqual([
          [codex, '', 'github-pat'],
          [cursor, '', 'github-pat'],
        ]);
        for (const file of [cursor, codex]) {
          expect(await h.call('mcpWrapPreview', { file })).toMatchObject({ ok: false, error: { code: 'BadInput', message: `The file ${TOO_DEEP}` } });
        }
      }
    } finally {
      await h.cleanup();
      home.cleanup();
    }
  });
});
