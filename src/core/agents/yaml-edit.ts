import { isAlias, isMap, isSeq, parseDocument, Scalar, stringify, visit, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { KeyholdError } from '../../shared/errors';
import { quoteName } from '../devflow/env-names';
import { isMergeKey, keyText, stringScalar } from './yaml';
import { nodeAt, readYamlConfig } from './yaml-config';

/*
 * Wrapping the servers of a YAML MCP config in place. The `yaml` package's syntax tree says where
 * each node is; the file's own text is then changed only there: the command's scalar replaced,
 * the new arguments inserted before the server's own (a line each in a block list, in its quoting
 * style), the moved `env` pairs cut out with the lines they stood on. Every other byte stays, every
 * comment included: re-serialising the document (Document.toString) would re-indent and re-quote it.
 */

export interface YamlServerEdit {
  server: string;
  /** The path of the server's entry (`mcpServers`, `0`). */
  path: readonly string[];
  command: string;
  /** The whole new args: keyhold's, then the server's own (with docker's `-e NAME=value` now `-e NAME`). */
  args: readonly string[];
  /** The `env` names whose values leave the file. */
  moved: readonly string[];
}

type Edit = [from: number, to: number, text: string];

const CORE_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);
const BLANK = /^[ \t\r]*$/;

const range = (node: YamlNode): [number, number, number] => node.range as [number, number, number];
const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number) => {
  const newline = text.indexOf('\n', at);
  return newline === -1 ? text.length : newline;
};
const pairOf = (map: YAMLMap, key: string): Pair | undefined => map.items.find((p) => keyText(p.key) === key) as Pair | undefined;

const refuse = (server: string, why: string) => new KeyholdError('BadInput', `Server ${quoteName(server)} ${why} Nothing was changed.`);

/**
 * `value` as a YAML scalar in `style` (the quoting of its neighbours) where that reads back as
 * `value` on one line in its context, else double-quoted (JSON's escapes are YAML's).
 */
function scalarText(value: string, style: Scalar.Type | undefined, context: 'flow' | 'block'): string {
  const node = new Scalar(value);
  node.type = style === Scalar.QUOTE_SINGLE || style === Scalar.QUOTE_DOUBLE ? style : Scalar.PLAIN;
  const written = stringify(node, { lineWidth: 0 }).replace(/\r?\n$/, '');
  if (written.includes('\n')) return JSON.stringify(value);
  const check = parseDocument(context === 'flow' ? `[${written}]` : `- ${written}`);
  const read = check.errors.length === 0 && check.warnings.length === 0 ? check.toJS() : undefined;
  return Array.isArray(read) && read.length === 1 && read[0] === value ? written : JSON.stringify(value);
}

/** An entry that shares its nodes (an anchor, an alias, a `<<` merge) cannot change alone. */
function assertOwnNodes(entry: YAMLMap, server: string): void {
  let shared = false;
  visit(entry, {
    Pair: (_key, pair) => (isMergeKey(pair.key) ? ((shared = true), visit.BREAK) : undefined),
    Node: (_key, node) => (isAlias(node) || node.anchor ? ((shared = true), visit.BREAK) : undefined),
  });
  if (shared) {
    throw refuse(server, 'uses YAML anchors, aliases or merge keys (&, *, <<), which other parts of the file may share: its values cannot move alone.');
  }
}

function assertNoTag(node: YamlNode | undefined, server: string): void {
  if (node?.tag !== undefined && !CORE_TAGS.has(node.tag))
    throw refuse(server, 'has a YAML tag (!…) on its command, args or env, which Keyhold cannot keep the meaning of.');
}

/** The offset of the comma after `from` in a flow collection (only blanks and comments between), or -1. */
function commaAfter(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') return i;
    if (c === '#') i = lineEnd(text, i);
    else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') return -1;
  }
  return -1;
}

/** Widens [from, to) to its whole line(s) when only blanks stand beside it there. */
function wholeLines(text: string, from: number, to: number): [number, number] {
  const start = lineStart(text, from);
  const end = lineEnd(text, to);
  if (!BLANK.test(text.slice(start, from)) || !BLANK.test(text.slice(to, end))) return [from, to];
  return [start, Math.min(end + 1, text.length)];
}

/**
 * Cuts a pair out of a block map: its line(s) when it stands alone on them; a comment after it on
 * its line stays there, at its place.
 */
function removeBlockPair(text: string, pair: Pair): Edit {
  const from = range(pair.key as YamlNode)[0];
  const to = range(pair.value as YamlNode)[1];
  const start = lineStart(text, from);
  const alone = BLANK.test(text.slice(start, from));
  if (alone && text[to - 1] === '\n') return [start, to, '']; // a block scalar ends with its line
  const end = lineEnd(text, to);
  if (alone && BLANK.test(text.slice(to, end))) return [start, Math.min(end + 1, text.length), ''];
  let after = to;
  while (text[after] === ' ' || text[after] === '\t') after++;
  return [from, after, ''];
}

/** Cuts a pair out of a flow map with one comma: the one after it, or (the last) the one before it. */
function removeFlowPair(text: string, map: YAMLMap, pair: Pair): Edit[] {
  const from = range(pair.key as YamlNode)[0];
  const to = range(pair.value as YamlNode)[1];
  const comma = commaAfter(text, to);
  if (comma !== -1) {
    let end = comma + 1;
    while (text[end] === ' ' || text[end] === '\t') end++;
    const [a, b] = wholeLines(text, from, end);
    return [[a, b, '']];
  }
  const index = map.items.indexOf(pair);
  const previous = index > 0 ? (map.items[index - 1] as Pair) : undefined;
  const before = previous ? commaAfter(text, range((previous.value ?? previous.key) as YamlNode)[1]) : -1;
  let start = from;
  while (start > before + 1 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  const [a, b] = wholeLines(text, start, to);
  return before === -1
    ? [[a, b, '']]
    : [
        [before, before + 1, ''],
        [a, b, ''],
      ];
}

/** Whether a map's text holds a comment (which removing it whole would lose), its scalars aside. */
function holdsComment(text: string, from: number, map: YAMLMap): boolean {
  const to = range(map)[2];
  const chars = text.slice(from, to).split('');
  visit(map, {
    Scalar: (_key, node) => {
      const [a, b] = range(node);
      for (let i = Math.max(a, from); i < Math.min(b, to); i++) chars[i - from] = ' ';
    },
  });
  return chars.includes('#');
}

interface Command {
  key: YamlNode;
  value: Scalar<string>;
}

function commandEdits(entry: YAMLMap, s: YamlServerEdit): { edits: Edit[]; command: Command } {
  const pair = pairOf(entry, 'command');
  if (!pair || !stringScalar(pair.value)) throw refuse(s.server, 'has no command written as a string.');
  assertNoTag(pair.value, s.server);
  const [from, to] = range(pair.value);
  return {
    edits: [[from, to, scalarText(s.command, pair.value.type, entry.flow ? 'flow' : 'block')]],
    command: { key: pair.key as YamlNode, value: pair.value },
  };
}

function argsEdits(text: string, entry: YAMLMap, s: YamlServerEdit, command: Command, eol: string): Edit[] {
  const pair = pairOf(entry, 'args');
  if (!pair) {
    // None yet: a list after `command`, in the command's quoting.
    const style = command.value.type;
    const valueEnd = range(command.value)[1];
    if (entry.flow) return [[valueEnd, valueEnd, `, args: [${s.args.map((a) => scalarText(a, style, 'flow')).join(', ')}]`]];
    const keyStart = range(command.key as YamlNode)[0];
    const indent = ' '.repeat(keyStart - lineStart(text, keyStart));
    const items = s.args.map((a) => `${indent}  - ${scalarText(a, style, 'block')}${eol}`).join('');
    if (text[valueEnd - 1] === '\n') return [[valueEnd, valueEnd, `${indent}args:${eol}${items}`]];
    const end = lineEnd(text, valueEnd);
    // On the last line, with no line end after it: none after the new lines either.
    if (end === text.length) return [[end, end, `${eol}${indent}args:${eol}${items}`.slice(0, -eol.length)]];
    return [[end + 1, end + 1, `${indent}args:${eol}${items}`]];
  }
  const seq = pair.value;
  if (!isSeq(seq)) throw refuse(s.server, 'has an empty `args:` (nothing after it): write `args: []` or remove the line.');
  assertNoTag(seq as YamlNode, s.server);
  const items = seq.items as Scalar<string>[];
  const prefix = s.args.slice(0, s.args.length - items.length);
  const own = s.args.slice(prefix.length);
  const flow = Boolean(seq.flow || entry.flow);
  const style = items[0]?.type;
  const edits: Edit[] = [];
  // docker's `-e NAME=value` becomes `-e NAME`, in that item's own quoting.
  items.forEach((item, i) => {
    if (own[i] !== item.value) edits.push([range(item)[0], range(item)[1], scalarText(own[i]!, item.type, flow ? 'flow' : 'block')]);
  });
  if (flow) {
    const written = prefix.map((a) => scalarText(a, style, 'flow')).join(', ');
    const at = items.length > 0 ? range(items[0]!)[0] : range(seq)[0] + 1;
    edits.push([at, at, items.length > 0 ? `${written}, ` : written]);
  } else {
    const dash = range(seq)[0];
    const start = lineStart(text, dash);
    const indent = ' '.repeat(dash - start);
    edits.push([start, start, prefix.map((a) => `${indent}- ${scalarText(a, style, 'block')}${eol}`).join('')]);
  }
  return edits;
}

function envEdits(text: string, entry: YAMLMap, s: YamlServerEdit): Edit[] {
  const pair = pairOf(entry, 'env');
  const env = pair?.value;
  if (!pair || !isMap(env)) return []; // the secrets were docker options only
  assertNoTag(env as YamlNode, s.server);
  const moved = env.items.filter((p) => s.moved.includes(keyText(p.key) ?? '') && stringScalar(p.value)) as Pair[];
  if (moved.length === 0) return [];
  const afterKey = range(pair.key as YamlNode)[1];
  const commented = holdsComment(text, afterKey, env);
  // The env block goes when nothing is left in it, not even a comment: a person's note stays.
  if (moved.length === env.items.length && !commented) return entry.flow ? removeFlowPair(text, entry, pair) : [removeBlockPair(text, pair)];
  const edits = moved.flatMap((p) => (env.flow ? removeFlowPair(text, env, p) : [removeBlockPair(text, p)]));
  // Kept for its comments, a block env left with no pair is an empty map, not null.
  if (moved.length === env.items.length && !env.flow) {
    const colon = text.indexOf(':', afterKey);
    edits.push([colon + 1, colon + 1, ' {}']);
  }
  return edits;
}

/** `text` with each server in `servers` wrapped; the caller has planned what moves. */
export function rewriteYaml(text: string, servers: readonly YamlServerEdit[]): string {
  const doc = readYamlConfig(text).docs[0];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  for (const s of servers) {
    const entry = nodeAt(doc?.contents, s.path);
    if (entry === null) throw refuse(s.server, 'is reached through a YAML alias (*name), shared with other parts of the file: its values cannot move alone.');
    if (!isMap(entry)) throw refuse(s.server, 'is not a map of settings.');
    assertNoTag(entry, s.server);
    assertOwnNodes(entry, s.server);
    const { edits: commandEdit, command } = commandEdits(entry, s);
    edits.push(...commandEdit, ...argsEdits(text, entry, s, command, eol), ...envEdits(text, entry, s));
  }
  // From the end, so each offset still points into the original text; at one offset a cut goes
  // before an insertion, so the insertion stays.
  edits.sort((a, b) => b[0] - a[0] || b[1] - b[0] - (a[1] - a[0]));
  let out = text;
  let limit = text.length;
  for (const [from, to, inserted] of edits) {
    if (to > limit) throw new Error('overlapping YAML edits');
    out = out.slice(0, from) + inserted + out.slice(to);
    limit = from;
  }
  // A file with no line end after its last line keeps none (a new last line, or one cut, would add it).
  return !text.endsWith('\n') && out.endsWith('\n') ? out.slice(0, out.endsWith('\r\n') ? -2 : -1) : out;
}
