import { existsSync, linkSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupOf, planWrap, writeWrapped } from '../../src/core/agents';
import { KeyholdError } from '../../src/shared/errors';
import { memoryWrapRecords as records } from '../helpers/wrap-records';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';

// A config with a second name (a hard link: dotfiles put in place with `ln`) was wrapped by
// renaming the new text over this name: the other name kept the file with the secret, while the
// wrap said it had moved to the vault.

const token = lookalike.github();
const config = JSON.stringify({ mcpServers: { gh: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: token } } } }, null, 2);
const options = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

let t: ReturnType<typeof tempDir>;
afterEach(() => t.cleanup());

describe('a config that is a hard link', () => {
  it('is refused, changing nothing, saying why and what to do', async () => {
    t = tempDir('keyhold-wrap-hardlink-');
    const other = join(t.dir, 'dotfiles-mcp.json');
    writeFileSync(other, config);
    const file = join(t.dir, 'mcp.json');
    linkSync(other, file);
    const wraps = records();
    const refused = await writeWrapped(file, config, planWrap(config, 'json', options), wraps).then(
      () => null,
      (e: unknown) => e,
    );
    // The secret is not left behind under the other name while the wrap reports it moved.
    expect(readFileSync(other, 'utf8')).toBe(config);
    expect(refused).toBeInstanceOf(KeyholdError);
    const message = (refused as KeyholdError).message;
    expect(message).toContain('hard link');
    expect(message).toContain('Nothing was changed');
    expect(message).not.toContain(token);
    expect(readFileSync(file, 'utf8')).toBe(config);
    expect(existsSync(backupOf(file))).toBe(false);
    expect(wraps.kept.size).toBe(0);
  });
});
