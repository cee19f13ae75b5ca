import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectFile, parseProjectFile } from '../../src/core/agents';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

const t = tempDir('keyhold-project-');
afterAll(() => t.cleanup());

describe('keyhold.toml', () => {
  it('maps variable names to references, at the top level or in [env]', () => {
    const refs = { GITHUB_TOKEN: 'keyhold://profile/agent-github/dev/GITHUB_TOKEN', ANTHROPIC_API_KEY: 'keyhold://byok/research' };
    const top = Object.entries(refs)
      .map(([k, v]) => `${k} = "${v}"`)
      .join('\n');
    expect(parseProjectFile(`# safe to commit\n${top}\n`)).toEqual(refs);
    expect(parseProjectFile(`[env]\n${top}\n`)).toEqual(refs);
  });

  it('refuses a value, without repeating it, and a bad name or reference', () => {
    const key = lookalike.github();
    try {
      parseProjectFile(`GITHUB_TOKEN = "${key}"\n`);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/references only/);
      expect((e as Error).message).not.toContain(key);
    }
    expect(() => parseProjectFile('"1BAD" = "keyhold://byok/x"\n')).toThrow(/not a valid environment variable name/);
    expect(() => parseProjectFile('X = "keyhold://nope/x"\n')).toThrow(/Malformed reference/);
    expect(() => parseProjectFile('X = [')).toThrow(/not valid TOML/);
    // Variables both above and in [env]: the ones above used to be left out silently.
    expect(() => parseProjectFile('A = "keyhold://byok/x"\n[env]\nB = "keyhold://byok/y"\n')).toThrow('keyhold.toml lists "A" above its [env] table');
  });

  it('is found in the folder or any folder above it', () => {
    const deep = join(t.dir, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    expect(findProjectFile(deep)).toBeNull();
    writeFileSync(join(t.dir, 'a', 'keyhold.toml'), '');
    expect(findProjectFile(deep)).toBe(join(t.dir, 'a', 'keyhold.toml'));
  });
});
