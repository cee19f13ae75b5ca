import { parseDocument } from '@decimalturn/toml-patch';

/*
 * Taking keys out of a TOML file without taking the person's comments with them. toml-patch, given
 * the data without a key, drops the comments around it too (`# from 1password` above it, `# rotate`
 * after it, a table's comments with the table). Here each key's own text goes, from its syntax tree's
 * location, and a table only when nothing is left in it, comments included; the rest stays as it is.
 */

interface Position {
  line: number;
  column: number;
}
interface TomlNode {
  type: string;
  loc: { start: Position; end: Position };
  key?: { item?: { value: string[] }; value?: string[] };
  items?: TomlNode[];
}

const keyOf = (node: TomlNode): string[] => node.key?.item?.value ?? node.key?.value ?? [];
const joined = (path: readonly string[]) => path.join('\u0000');
const BLANK = /^[ \t\r]*$/;

/**
 * `text` without the keys at `paths` (full key paths) written as `NAME = value` lines, in a table or
 * with a dotted key; and the paths it removed. A key inside an inline table (`env = { … }`, where
 * TOML allows no comment) is left for the caller.
 */
export function removeTomlKeys(text: string, paths: readonly (readonly string[])[]): { text: string; removed: string[][] } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const offset = (p: Position) => starts[p.line - 1]! + p.column;
  const lineStart = (at: number) => text.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = (at: number) => {
    const newline = text.indexOf('\n', at);
    return newline === -1 ? text.length : newline;
  };
  const wanted = new Set(paths.map(joined));
  const removed: string[][] = [];
  const edits: [number, number][] = [];

  // A key's text, and the line it stood on when nothing else is on it; a comment after it stays.
  const removeKey = (node: TomlNode) => {
    const from = offset(node.loc.start);
    let to = offset(node.loc.end);
    const end = lineEnd(to);
    if (BLANK.test(text.slice(lineStart(from), from)) && BLANK.test(text.slice(to, end))) {
      edits.push([lineStart(from), Math.min(end + 1, text.length)]);
      return;
    }
    while (text[to] === ' ' || text[to] === '\t') to++;
    edits.push([from, to]);
  };

  const cst = parseDocument(text).cst as unknown as TomlNode[];
  for (const block of cst) {
    const table = block.type === 'Table' ? keyOf(block) : [];
    const items = block.type === 'Table' ? (block.items ?? []) : block.type === 'KeyValue' ? [block] : [];
    const gone = items.filter((item) => item.type === 'KeyValue' && wanted.has(joined([...table, ...keyOf(item)])));
    for (const item of gone) removed.push([...table, ...keyOf(item)]);
    if (block.type === 'Table' && gone.length > 0 && gone.length === items.length) {
      // Nothing left in it, not even a comment: the table goes, header and all.
      edits.push([lineStart(offset(block.loc.start)), Math.min(lineEnd(offset(block.loc.end)) + 1, text.length)]);
    } else {
      for (const item of gone) removeKey(item);
    }
  }
  let out = text;
  for (const [from, to] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, from) + out.slice(to);
  return { text: out, removed };
}
