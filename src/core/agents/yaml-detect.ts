import type { Scalar } from 'yaml';
import { detected, detectText, serverOf, type Detected } from './detect';
import { boundedByStack } from './nesting';
import { readYaml, walkYaml, YamlRefused } from './yaml';

/*
 * YAML configs read as JSON ones are (detectJson): every string value judged by its key with the
 * same rules, an MCP server's `env` values marked as such, headers, URLs with a password. Continue
 * lists its servers (`mcpServers: [- name: github …]`): such a server is its entry's `name`.
 */

/** What a list item with no `name` stands for when its server is looked up: no server is named so. */
const UNNAMED = '\u0000';

interface Found {
  detected: Detected;
  node: Scalar<string>;
  /** The last line of the value (a block scalar spans several). */
  endLine: number;
}

/**
 * A YAML config (`.yaml`, `.yml`; every document of a stream). A file that is not YAML, nested too
 * deeply or with aliases past the limits, is read as free text, as all YAML was before. Key formats
 * elsewhere in the file (a comment, a tagged value) are found as in free text too.
 */
export function detectYaml(text: string): Detected[] {
  return boundedByStack(
    () => yamlValues(text),
    () => detectText(text),
  );
}

function yamlValues(text: string): Detected[] {
  const found: Found[] = [];
  try {
    const file = readYaml(text);
    walkYaml(file, ({ path, named, node }) => {
      if (node.value.length < 8) return;
      const server = serverOf(named.map((n) => n ?? UNNAMED));
      const [start, end] = node.range ?? [0, 0];
      const d = detected(path, node.value, file.lineOf(start), server === UNNAMED ? null : server);
      if (d) found.push({ detected: d, node, endLine: file.lineOf(Math.max(start, end - 1)) });
    });
  } catch (e) {
    if (e instanceof YamlRefused) return detectText(text);
    throw e;
  }
  const kept = onePerValue(found);
  const loose = detectText(text).filter((t) => !kept.some((k) => k.detected.line <= t.line && t.line <= k.endLine && k.detected.value.includes(t.value)));
  return [...kept.map((k) => k.detected), ...loose].sort((a, b) => a.line - b.line);
}

/**
 * One finding per value in the file, though aliases reach it by several paths: those that name an
 * MCP server (a shared `env: *common` is each server's), else the first, where its anchor is.
 */
function onePerValue(found: readonly Found[]): Found[] {
  const byNode = new Map<Scalar<string>, Found[]>();
  for (const f of found) byNode.set(f.node, [...(byNode.get(f.node) ?? []), f]);
  return found.filter((f) => {
    const same = byNode.get(f.node)!;
    return same.some((s) => s.detected.server !== null) ? f.detected.server !== null : same[0] === f;
  });
}
