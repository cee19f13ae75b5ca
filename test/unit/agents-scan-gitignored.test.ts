import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/core/agents';
import { useCleanups } from '../helpers/cleanup';
import { lookalike } from '../helpers/lookalike';
import { tempDir } from '../helpers/vault';
import { writeWithFolders } from '../helpers/write-with-folders';

// `.env` is in most projects' .gitignore, precisely because it holds keys: a walk that honoured the
// .gitignore for files found none of them ("(none)", exit 0 on a project full of keys). A
// .gitignore now prunes folders only (build output, caches); a file that can hold keys is read.

const cleanups = useCleanups();

describe('a project whose .gitignore names its .env files', () => {
  it('has its gitignored .env files read, while its gitignored folders are still passed over', () => {
    const t = tempDir('keyhold-gitignored-');
    cleanups.push(t.cleanup);
    const write = (path: string, text: string) => writeWithFolders(join(t.dir, path), text);
    const [root, local, nested, built] = [lookalike.github(), lookalike.anthropic(), lookalike.github(), lookalike.github()];
    write('app/.gitignore', '.env\n.env.*\n!.env.example\nbuild/\n');
    write('app/.env', `GITHUB_TOKEN=${root}\n`);
    write('app/.env.local', `ANTHROPIC_API_KEY=${local}\n`);
    write('app/.env.example', 'GITHUB_TOKEN=your-token-here\n');
    write('app/services/api/.env', `GITHUB_TOKEN=${nested}\n`);
    write('app/build/config/.env', `GITHUB_TOKEN=${built}\n`);
    const result = scan({ paths: [join(t.dir, 'app')], wellKnown: false, env: { HOME: t.dir }, platform: 'linux' });
    expect(result.findings.map((f) => [f.file.slice(t.dir.length), f.value]).sort()).toEqual(
      [
        ['/app/.env', root],
        ['/app/.env.local', local],
        ['/app/services/api/.env', nested],
      ].sort(),
    );
    expect(result.skipped).toEqual([]);
  });
});
