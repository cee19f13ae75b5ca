import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, visit, type CST, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { MAX_CONFIG_DEPTH } from '../devflow/nesting';
import { ENTRY_LABELS, SERVER_NAME } from './listed';

/*
 * Reading YAML configs (Continue's ~/.continue/config.yaml and .continue/mcpServers/*.yaml, and any
 * .yaml found in a tree) with the `yaml` package, as hostile input. Keys must be unique; a key that
 * is not a scalar names nothing; aliases (`*name`) are followed only so far, so a billion laughs
 * stops early; and a document nested too deeply is never composed at all: the composer goes one
 * call deeper per level, and a stack overflow there can take the whole process down (V8 compiling
 * one of its regular expressions at the stack's limit aborts), not merely throw a RangeError.
 */

/**
 * Aliases followed in one file. The `yaml` package's own limit (maxAliasCount) guards its toJS();
 * the values are read from the syntax tree here, with their lines, so the walk keeps its own.
 */
export const MAX_ALIAS_USES = 100;
/** Nodes visited through aliases in one file, whatever the number of aliases. */
export const MAX_ALIASED_NODES = 10_000;

const STR_TAG = 'tag:yaml.org,2002:str';

const OPTIONS = {
  uniqueKeys: true,
  strict: true,
  prettyErrors: false,
  // Several `<<` keys in one map are merges, not duplicate keys.
  merge: true,
  version: '1.2',
} as const;

/** Why a file is not read as YAML: no value and no text of the file in it. */
export type YamlProblem = { kind: 'syntax'; line: number; code: string } | { kind: 'nesting' } | { kind: 'aliases' };

export class YamlRefused extends Error {
  constructor(readonly problem: YamlProblem) {
    super(problem.kind);
  }
}

export interface YamlFile {
  docs: Document.Parsed[];
  /** 1-based line of a character offset. */
  lineOf: (offset: number) => number;
}

/** The deepest nesting of a syntax tree, walked without recursion. */
function deeperThan(tokens: readonly CST.Token[], limit: number): boolean {
  const pending: [CST.Token | null | undefined, number][] = tokens.map((t) => [t, 0]);
  while (pending.length > 0) {
    const [token, depth] = pending.pop()!;
    if (!token) continue;
    if (depth > limit) return true;
    if (token.type === 'document') pending.push([token.value, depth + 1]);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) pending.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return false;
}

/**
 * Every document of a YAML stream, or a YamlRefused: the first syntax error (its line and the
 * parser's code, never its message, which may quote the file), or nesting past MAX_CONFIG_DEPTH.
 */
export function readYaml(text: string): YamlFile {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  if (deeperThan(tokens, MAX_CONFIG_DEPTH)) throw new YamlRefused({ kind: 'nesting' });
  const docs = Array.from(new Composer(OPTIONS).compose(tokens));
  const lineOf = (offset: number) => Math.max(1, lines.linePos(offset).line);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new YamlRefused({ kind: 'syntax', line: lineOf(error.pos[0]), code: error.code });
  }
  return { docs, lineOf };
}

/** A scalar that holds a string: plain, quoted or a block, untagged or tagged `!!str`. */
export function stringScalar(node: unknown): node is Scalar<string> {
  return isScalar(node) && typeof node.value === 'string' && (node.tag === undefined || node.tag === STR_TAG);
}

/** A `<<` merge key (a plain `<<`, or the symbol yaml makes of it where merges are on). */
export const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && ((key.value === '<<' && key.type === 'PLAIN') || (typeof key.value === 'symbol' && key.value.description === '<<'));

/** Each alias of a document, to the node it stands for: the last anchor of its name before it. */
export function aliasTargets(doc: Document.Parsed): Map<YamlNode, YamlNode> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<YamlNode, YamlNode>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

export interface YamlLeaf {
  /** The JSON-like path of the value: keys, and list indices as digits (`mcpServers`, `0`, `env`, `TOKEN`). */
  path: string[];
  /**
   * The same path with each list item that is a map named by its `name` field (a string), null for
   * one with none: Continue lists its MCP servers (`- name: github`) where other tools key them by
   * name. What `serverOf` reads (listed.ts).
   */
  named: (string | null)[];
  /** The string members among ENTRY_LABELS (`name`, `title`, `model`) of each list item above the value that is a map, outermost first. */
  entries: readonly Readonly<Record<string, string>>[];
  node: Scalar<string>;
}

/** The text a map key names its value by, as JavaScript would make a property of it; undefined for a collection. */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' || typeof value === 'symbol' || typeof value === 'function' ? undefined : String(value);
}

/**
 * Calls `onLeaf` with every string scalar of every document, by its path. Aliases are followed
 * (and `<<` merges read in place) within MAX_ALIAS_USES and MAX_ALIASED_NODES; past them, or past
 * MAX_CONFIG_DEPTH levels through aliases, a YamlRefused. A pair whose key is a collection names
 * nothing and is left out; a scalar with a tag (`!secret name`, `!!binary`) is not a literal string.
 */
export function walkYaml(file: YamlFile, onLeaf: (leaf: YamlLeaf) => void): void {
  let uses = 0;
  let aliased = 0;
  for (const doc of file.docs) {
    const targets = aliasTargets(doc);
    const resolve = (node: unknown): unknown => {
      if (!isAlias(node)) return node;
      if (++uses > MAX_ALIAS_USES) throw new YamlRefused({ kind: 'aliases' });
      return targets.get(node);
    };
    // A list item's string members among ENTRY_LABELS (SERVER_NAME among them), null for an item that is no map.
    const membersOf = (item: unknown): Record<string, string> | null => {
      const target = isAlias(item) ? targets.get(item) : item;
      if (!isMap(target)) return null;
      const members: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const { key, value } of target.items) {
        if (isScalar(key) && typeof key.value === 'string' && ENTRY_LABELS.includes(key.value) && stringScalar(value)) members[key.value] = value.value;
      }
      return members;
    };
    type Entries = YamlLeaf['entries'];
    const walk = (start: unknown, path: string[], named: (string | null)[], entries: Entries, throughAlias: boolean, depth: number): void => {
      if (depth > MAX_CONFIG_DEPTH) throw new YamlRefused({ kind: 'nesting' });
      const node = resolve(start);
      const viaAlias = throughAlias || node !== start;
      if (viaAlias && ++aliased > MAX_ALIASED_NODES) throw new YamlRefused({ kind: 'aliases' });
      if (stringScalar(node)) onLeaf({ path, named, entries, node });
      else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          const members = membersOf(item);
          walk(item, [...path, String(i)], [...named, members?.[SERVER_NAME] ?? null], members ? [...entries, members] : entries, viaAlias, depth + 1);
        });
      } else if (isMap(node)) {
        for (const pair of node.items) {
          if (isMergeKey(pair.key)) {
            // `<<: *base` or `<<: [*a, *b]`: their members read as this map's own.
            const merged = resolve(pair.value);
            for (const source of isSeq(merged) ? merged.items : [merged]) walk(source, path, named, entries, true, depth + 1);
            continue;
          }
          const key = keyText(resolve(pair.key));
          if (key !== undefined) walk(pair.value, [...path, key], [...named, key], entries, viaAlias, depth + 1);
        }
      }
    };
    walk(doc.contents, [], [], [], false, 0);
  }
}
