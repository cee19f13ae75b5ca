import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProjectFile } from '../../src/core/agents/project-file';
import { lookalike } from '../helpers/lookalike';
import { cliVault } from './cli-env';

// Accident and attack: a config nested 100,000 levels deep (no tool writes one; a hostile or broken
// file can). The JSON and TOML parsers, and the walks over what they return, recurse once per level:
// the call stack overflowed, `mcp wrap` and `scan` ended in "Something went wrong inside Keyhold",
// and one such file under a scanned folder stopped the scan of every other file.

const DEPTH = 100_000;
const deepJson = (token: string) => `{"mcpServers": ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}, "note": "${token}"}\n`;
const deepToml = `[mcp_servers.a]\ncommand = "npx"\nargs = ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`;

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-deep-');
});
afterAll(() => v.cleanup());

describe('configs nested past the call stack', () => {
  it('scan reads such a file as free text and goes on to the others', async () => {
    const [inDeep, inEnv] = [lookalike.github(), lookalike.github()];
    writeFileSync(join(v.dir, 'deep.json'), deepJson(inDeep));
    writeFileSync(join(v.dir, 'deep.toml'), deepToml);
    writeFileSync(join(v.dir, '.env'), `GITHUB_TOKEN=${inEnv}\n`);
    const r = await v.run(['scan', '--no-well-known', '--json', join(v.dir, 'deep.json'), join(v.dir, 'deep.toml'), join(v.dir, '.env')]);
    expect(r.code, r.stderr).toBe(1); // credentials found
    const findings = r.json<{ findings: { file: string; rule: string }[] }>().findings;
    expect(findings.map((f) => f.file.split('/').pop()).sort()).toEqual(['.env', 'deep.json']);
    expect(r.stdout).not.toContain(inDeep);
  });

  it('mcp wrap refuses it in one line and changes nothing', async () => {
    for (const [name, text] of [
      ['mcp.json', deepJson(lookalike.github())],
      ['config.toml', deepToml],
    ] as const) {
      const file = join(v.dir, name);
      writeFileSync(file, text);
      const r = await v.run(['mcp', 'wrap', file]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toBe('keyhold: The file nests its values too deeply to be read as a config (thousands of levels). Nothing was changed.\n');
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
  });

  it('a keyhold.toml is refused with its name', () => {
    expect(() => parseProjectFile(`GH = ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`)).toThrow(/^keyhold\.toml nests its values too deeply/);
  });
});
