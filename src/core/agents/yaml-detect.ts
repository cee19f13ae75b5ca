import type { Scalar } from 'yaml';
import { detected, detectedListEntry, detectText, entryLabel, type Detected } from './detect';
import { serverOf } from './listed';
import { isHeaderListEntry } from './headers';
import { boundedByStack } from '../devflow/nesting';
import { readYaml, walkYaml, YamlRefused, type YamlLeaf } from './yaml';

/*
 * YAML configs read as JSON ones are (detectJson): every string value judged by its key with the
 * same rules, an MCP server's `env` values marked as such, headers (a list of name/value pairs
 * judged whole, as in JSON), URLs with a password. Continue
 * lists its servers (`mcpServers: [- name: github …]`): such a server is its entry's `name` (listed.ts).
 */

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

interface ListEntry {
  path: string[];
  server: string | null;
  entry: string | null;
  members: Record<string, Scalar<string>>;
}

/** The label of the nearest list item that has one (entryLabel), or null. */
const nearestLabel = (entries: YamlLeaf['entries']): string | null => {
  for (let i = entries.length - 1; i >= 0; i--) {
    const label = entryLabel(entries[i]);
    if (label !== null) return label;
  }
  return null;
};
const labelled = (d: Detected, entry: string | null): Detected => (entry === null ? d : { ...d, entry });

function yamlValues(text: string): Detected[] {
  const found: Found[] = [];
  try {
    const file = readYaml(text);
    const lines = (node: Scalar<string>) => {
      const [start, end] = node.range ?? [0, 0];
      return { line: file.lineOf(start), endLine: file.lineOf(Math.max(start, end - 1)) };
    };
    // The entries of lists of headers (`- name: Authorization` / `value: Bearer …`), by path: judged whole once read.
    const entries = new Map<string, ListEntry>();
    walkYaml(file, ({ path, named, entries: listItems, node }) => {
      const server = serverOf(named);
      const label = nearestLabel(listItems);
      const entryPath = path.slice(0, -1);
      if (isHeaderListEntry(entryPath)) {
        const key = entryPath.join('\u0000');
        const entry = entries.get(key) ?? { path: entryPath, server, entry: label, members: Object.create(null) as Record<string, Scalar<string>> };
        entry.members[path.at(-1)!] = node;
        entries.set(key, entry);
        return;
      }
      if (node.value.length < 8) return;
      const d = detected(path, node.value, lines(node).line, server);
      if (d) found.push({ detected: labelled(d, label), node, endLine: lines(node).endLine });
    });
    for (const { path, server, entry, members } of entries.values()) {
      const values = Object.fromEntries(Object.entries(members).map(([member, node]) => [member, node.value]));
      for (const d of detectedListEntry(path, values, (member) => lines(members[member]!).line, server)) {
        const node = members[d.path.at(-1)!]!;
        found.push({ detected: labelled(d, entry), node, endLine: lines(node).endLine });
      }
    }
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
