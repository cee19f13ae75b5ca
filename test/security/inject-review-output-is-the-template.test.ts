import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVault } from './cli-env';

// A tired user: `keyhold inject -i config.yml -o config.yml --force` (the same name twice, or
// `-o ./config.yml`, or through a linked folder) replaced the template, usually committed, with a
// file of secrets: the references were gone and the next `git commit -a` published the values.
// The output may not be the template itself; a link named as the output is still replaced as a
// link (the template it points to is untouched), so it is not refused.

const SECRET = 'same-file-secret-0123';
const TEXT = 'T=keyhold://profile/gh/dev/GITHUB_TOKEN\n';

let v: Awaited<ReturnType<typeof cliVault>>;
beforeAll(async () => {
  v = await cliVault('keyhold-sec-same-file-');
  await v.ok(['profile', 'add', '--agent', 'gh', '--name', 'dev', '--set', `GITHUB_TOKEN=${SECRET}`]);
});
afterAll(() => v.cleanup());

describe('inject -o naming the template itself', () => {
  it('is refused (exit 2), with or without --force, by any spelling of it, and the template keeps its references', async () => {
    const dir = join(v.dir, 'project');
    mkdirSync(dir);
    const template = join(dir, 'config.yml');
    writeFileSync(template, TEXT);
    await v.ok(['trust', '--yes', template]);
    symlinkSync(dir, join(v.dir, 'linked'));
    linkSync(template, join(dir, 'hard-link.yml'));
    const spellings = [
      template,
      join(dir, '.', 'config.yml'),
      join(dir, '..', 'project', 'config.yml'),
      join(v.dir, 'linked', 'config.yml'),
      join(dir, 'hard-link.yml'),
    ];
    for (const out of spellings) {
      for (const force of [[], ['--force']]) {
        const r = await v.run(['inject', '-i', template, '-o', out, ...force]);
        expect(r.code, `${out} ${force.join('')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(`${out} is the template itself`);
        expect(r.stderr).not.toContain(SECRET);
      }
    }
    expect(readFileSync(template, 'utf8')).toBe(TEXT);
  });

  it('through a link to it, with --force, replaces the link and leaves the template as it was', async () => {
    const dir = join(v.dir, 'linked-out');
    mkdirSync(dir);
    const template = join(dir, 'config.yml.tpl');
    writeFileSync(template, TEXT);
    await v.ok(['trust', '--yes', template]);
    const link = join(dir, 'config.yml');
    symlinkSync(template, link);
    await v.ok(['inject', '-i', template, '-o', link, '--force']);
    expect(readFileSync(link, 'utf8')).toBe(`T=${SECRET}\n`);
    expect(readFileSync(template, 'utf8')).toBe(TEXT);
  });
});
