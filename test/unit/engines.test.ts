import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// semver comes with npm's own tooling in the tree; only this test uses it.
const semver = require('semver') as {
  minVersion: (range: string) => { version: string } | null;
  satisfies: (version: string, range: string) => boolean;
};
const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('which Node runs what', () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }> };
  const oldest = semver.minVersion(pkg.engines.node)?.version ?? '';
  const needsMore = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined && !semver.satisfies(oldest, p.engines.node))
    .map(([path, p]) => ({ name: path.replace(/^.*node_modules\//, ''), dev: p.dev === true, range: (p.engines as { node: string }).node }));

  it('every runtime dependency runs on the oldest Node package.json allows', () => {
    expect(oldest).toMatch(/^\d+\.\d+\.\d+$/);
    expect(needsMore.filter((p) => !p.dev)).toEqual([]);
  });

  it('the README states that Node, and names each development tool that needs a newer one', () => {
    const readme = read('README.md');
    const [major, minor] = oldest.split('.');
    expect(readme).toContain(`Node ${major}.${minor} or newer`);
    for (const tool of needsMore) {
      expect(readme, tool.name).toContain(`\`${tool.name}\``);
      const wanted = semver.minVersion(tool.range)?.version.split('.').slice(0, 2).join('.');
      expect(readme, tool.name).toContain(`Node ${wanted}`);
    }
  });
});
