import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of the table under a heading: first cell → second cell. */
function table(heading: string): Map<string, string> {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const rows = new Map<string, string>();
  for (const line of README.slice(start).split('\n').slice(2)) {
    if (line.startsWith('#')) break;
    const cells = /^\| ([^|]+) \| (.+) \|$/.exec(line);
    if (cells && !/^-+$/.test(cells[1]?.trim() ?? '') && cells[1]?.trim() !== 'code') rows.set(cells[1]!.trim(), cells[2]!.trim());
  }
  return rows;
}

describe('README', () => {
  it('lists exactly the exit codes of src/cli/exit-codes.ts', () => {
    const documented = [...table('### Exit codes').keys()].map(Number).sort((a, b) => a - b);
    expect(documented).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it('links nothing outside the repository, and every relative link exists', () => {
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(link, link).not.toMatch(/^[a-z]+:|^\/|(^|\/)\.\.\//i);
      expect(existsSync(join(ROOT, link.replace(/#.*$/, ''))), link).toBe(true);
    }
    expect(README).not.toMatch(/https?:\/\/(?!(localhost|127\.0\.0\.1|kura\.example|backside\.example)\b)[a-z0-9]/i);
    expect(README).not.toContain('../');
  });
});
