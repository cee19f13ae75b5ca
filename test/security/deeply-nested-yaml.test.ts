import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectYaml } from '../../src/core/agents';
import { lookalike } from '../helpers/lookalike';
import { cliVault } from './cli-env';

// Accident and attack: a YAML file nested thousands of levels deep. The yaml package's composer
// recurses once per level and catches its own stack overflow, but the second such file in one
// process aborted it ("FATAL ERROR: RegExpCompiler Allocation failed"): V8 compiled one of the
// composer's regular expressions at the stack's limit. One hostile .yaml in a scanned folder, or
// a scan of the window's, would take down the CLI or the app. Such files are never composed, and
// `mcp wrap` refuses them.

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-deep-yaml-');
});
afterAll(() => v.cleanup());

describe('YAML nested past what a config has', () => {
  it('one file after another is read as free text, and the process goes on', () => {
    for (const levels of [1000, 2000, 3000, 4000, 5000, 6000, 8000, 10_000]) expect(detectYaml(deep(levels))).toEqual([]);
  });

  it('scan reads such files as free text and goes on to the others', async () => {
    const [inDeep, inEnv] = [lookalike.github(), lookalike.github()];
    writeFileSync(join(v.dir, 'a.yaml'), `token: ${inDeep}\nnested: ${deep(5000)}\n`);
    writeFileSync(join(v.dir, 'b.yml'), `- ${deep(20_000)}\n`);
    writeFileSync(join(v.dir, '.env'), `GITHUB_TOKEN=${inEnv}\n`);
    const r = await v.run(['scan', '--no-well-known', '--json', v.dir]);
    expect(r.code, r.stderr).toBe(1); // credentials found
    const findings = r.json<{ findings: { file: string; where: string }[] }>().findings;
    expect(findings.map((f) => [f.file.split('/').pop(), f.where]).sort()).toEqual([
      ['.env', 'GITHUB_TOKEN'],
      ['a.yaml', ''],
    ]);
    expect(r.stdout).not.toContain(inDeep);
  });

  it('mcp wrap refuses such a file in one line and changes nothing', async () => {
    const text = `mcpServers:\n  - name: gh\n    command: npx\n    env:\n      GITHUB_TOKEN: ${lookalike.github()}\nnested: ${deep(5000)}\n`;
    for (const name of ['config.yaml', 'again.yml']) {
      const file = join(v.dir, name);
      writeFileSync(file, text);
      const r = await v.run(['mcp', 'wrap', file]);
      expect([r.code, r.stderr]).toEqual([
        2,
        'keyhold: The file nests its values more than 100 levels deep, past what Keyhold reads as a config. Nothing was changed.\n',
      ]);
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
  });
});
