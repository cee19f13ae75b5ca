import { applyEdits, createScanner, findNodeAtLocation, parseTree, type Edit, type Node as JsonNode } from 'jsonc-parser';

/*
 * Taking members out of a JSONC object without taking the person's comments with them.
 * jsonc-parser's `modify(…, undefined)` removes everything from the end of the member before to the
 * end of the one removed, so the comment written above a key (`// from github settings`) went with
 * it. Here only the member and one comma go, and the line it stood on when nothing else is on it.
 */

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read: its values.
const COMMA = 5;
const LINE_COMMENT = 12;
const BLOCK_COMMENT = 13;
const LINE_BREAK = 14;
const TRIVIA = 15;
const EOF = 17;

/** The offset of the comma right after `from` (only blanks and comments between), or -1. */
function commaAfter(text: string, from: number): number {
  const scanner = createScanner(text.slice(from), false);
  for (;;) {
    const kind = scanner.scan();
    if (kind === COMMA) return from + scanner.getTokenOffset();
    if (kind !== TRIVIA && kind !== LINE_BREAK && kind !== LINE_COMMENT && kind !== BLOCK_COMMENT) return -1;
  }
}

/** Whether an object's text holds a comment (which removing the whole object would lose). */
export function holdsComment(text: string, node: JsonNode): boolean {
  const scanner = createScanner(text.slice(node.offset, node.offset + node.length), false);
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    if (kind === LINE_COMMENT || kind === BLOCK_COMMENT) return true;
  }
  return false;
}

const BLANK = /^[ \t\r]*$/;

/** Widens [start, end) to its whole line(s) when only blanks stand beside it there. */
function wholeLines(text: string, start: number, end: number): [number, number] {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', end);
  const lineEnd = newline === -1 ? text.length : newline + 1;
  if (!BLANK.test(text.slice(lineStart, start)) || !BLANK.test(text.slice(end, newline === -1 ? text.length : newline))) return [start, end];
  return [lineStart, lineEnd];
}

/**
 * Removes the member at `path` (an object's key), with the comma that separated it; when it was the
 * last member, the comma before it, so no trailing comma is left for a strict JSON reader (Claude
 * Desktop's). Comments before and after it stay. A member that is not there changes nothing.
 */
export function removeMember(text: string, path: readonly string[]): string {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const value = root && findNodeAtLocation(root, [...path]);
  const member = value?.parent;
  const object = member?.parent;
  if (!member || member.type !== 'property' || !object?.children) return text;
  const index = object.children.indexOf(member);
  const edits: Edit[] = [];
  let end = member.offset + member.length;
  const after = commaAfter(text, end);
  if (after !== -1) end = after + 1;
  else if (index > 0) {
    const previous = object.children[index - 1]!;
    const comma = commaAfter(text, previous.offset + previous.length);
    if (comma !== -1) edits.push({ offset: comma, length: 1, content: '' });
  }
  let [from, to] = wholeLines(text, member.offset, end);
  if (from === member.offset) {
    // Beside other text on its line (`{ "A": "x", "T": "v" }`): the blanks that set it apart go too.
    if (after !== -1) while (to < text.length && (text[to] === ' ' || text[to] === '\t')) to++;
    else while (from > 0 && (text[from - 1] === ' ' || text[from - 1] === '\t')) from--;
  }
  edits.push({ offset: from, length: to - from, content: '' });
  return applyEdits(text, edits);
}
