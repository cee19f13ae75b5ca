import { visit, type JSONPath } from 'jsonc-parser';
import type { Detected } from './detect';
import { KeyholdError } from '../../shared/errors';
import { isEnvName, quoteName } from '../devflow/env-names';
import { MAX_CONFIG_DEPTH } from '../devflow/nesting';

/*
 * MCP servers kept in a list rather than a map keyed by name: Continue's YAML
 * (`mcpServers: [- name: github …]`), some clients' JSON (`"mcpServers": [{ "name": "github", … }]`),
 * a TOML list of tables. One rule for every reader and for `mcp wrap`: such a server is its entry's
 * `name`, when that is a string, and an entry without one is no server (its index is no name the
 * person gave it, and `0/mcp` would be the profile of every such entry of every file).
 */

/**
 * The keys under which the tools keep their MCP servers (Claude, Cursor, Windsurf, Gemini CLI,
 * Cline, Roo Code, Amazon Q; VS Code; Codex; Zed): where scan names a server and wrap finds one.
 */
export const SERVER_CONTAINERS: ReadonlySet<string> = new Set(['mcpServers', 'servers', 'mcp_servers', 'context_servers']);

/** The member of a list entry that names the server it is. */
export const SERVER_NAME = 'name';

/**
 * The members that say how a person knows a list entry (`entry` of a finding), the first there
 * first: a model's `name` (Continue), `title` (Continue's older config.json), `model`.
 */
export const ENTRY_LABELS: readonly string[] = [SERVER_NAME, 'title', 'model'];

/**
 * A path as a reader gives it to `serverOf`: keys, and each list entry as its `name` (SERVER_NAME),
 * or null for an entry with none.
 */
export type NamedPath = readonly (string | null)[];

/** The MCP server a path names: the step after the last key that holds servers (`mcpServers.github…`), or null. */
export function serverOf(named: NamedPath): string | null {
  for (let i = named.length - 2; i >= 0; i--) {
    const step = named[i];
    if (step !== null && step !== undefined && SERVER_CONTAINERS.has(step)) return named[i + 1] ?? null;
  }
  return null;
}

/** The name a list entry gives its server: its `name` if that is a string, else null. */
export const listedName = (entry: Readonly<Record<string, unknown>>): string | null => {
  const name = Object.hasOwn(entry, SERVER_NAME) ? entry[SERVER_NAME] : undefined;
  return typeof name === 'string' ? name : null;
};

/**
 * A JSON path's list entries are named this deep at most: a path is walked, and keys of its
 * prefixes made, per entry, so a hostile file nested thousands of levels would cost the square of
 * that per value. The config depth limit: detectJson and mcp wrap read no deeper text as JSON, so
 * this only backs them up.
 */
const MAX_NAMED_DEPTH = MAX_CONFIG_DEPTH;

const listsServers = (path: JSONPath, i: number): boolean =>
  i < MAX_NAMED_DEPTH && typeof path[i] === 'number' && i > 0 && SERVER_CONTAINERS.has(String(path[i - 1]));

/**
 * Whether a JSON path runs through a list under a key that holds servers (`["mcpServers", 0, …]`):
 * its server is named by a member of its entry, which may come after it in the file.
 */
export function inServerList(path: JSONPath): boolean {
  for (let i = 1; i < Math.min(path.length, MAX_NAMED_DEPTH); i++) if (listsServers(path, i)) return true;
  return false;
}

/** The entries of lists of servers a JSON path runs through: `["mcpServers", 0]` of `["mcpServers", 0, "env", "T"]`. */
const serverListEntries = (path: JSONPath): JSONPath[] =>
  path.slice(0, MAX_NAMED_DEPTH).flatMap((_, i) => (listsServers(path, i) ? [path.slice(0, i + 1)] : []));

/** The list entries a JSON path runs through (MAX_NAMED_DEPTH deep at most), outermost first: `["models", 1]` of `["models", 1, "apiKey"]`. */
const listEntries = (path: JSONPath): JSONPath[] =>
  path.slice(0, Math.min(path.length - 1, MAX_NAMED_DEPTH)).flatMap((step, i) => (typeof step === 'number' ? [path.slice(0, i + 1)] : []));

/** The nearest of the list entries a JSON path runs through that `labelOf` names, from their members (`jsonEntryMembers`). */
function nearestLabel(
  path: JSONPath,
  members: ReadonlyMap<string, Readonly<Record<string, string>>>,
  labelOf: (members: Readonly<Record<string, string>> | undefined) => string | null,
): string | null {
  const entries = listEntries(path);
  for (let i = entries.length - 1; i >= 0; i--) {
    const label = labelOf(members.get(pathKey(entries[i]!)));
    if (label !== null) return label;
  }
  return null;
}

/**
 * Whether a label may be wanted for a value in a list entry: another value of the file is set
 * under the same name (or found by the same rule, when it has no name a key can have), which
 * import.ts would store under the same key. Only then does a label tell them apart; a large file
 * with none is not read again for labels.
 */
function mayNeedLabels(found: readonly { name: string | null; rule: string; value: string; path: JSONPath }[]): boolean {
  const first = new Map<string, { value: string; listed: boolean }>();
  for (const f of found) {
    const key = f.name !== null && isEnvName(f.name) ? f.name : `\u0000${f.rule}`;
    const listed = listEntries(f.path).length > 0;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, { value: f.value, listed });
    else if (seen.value !== f.value && (seen.listed || listed)) return true;
  }
  return false;
}

/** A key for a JSON path: a list index and a key of the same digits are two paths. */
const pathKey = (path: JSONPath): string => JSON.stringify(path);

/** A JSON path as `serverOf` reads it: each entry of a list of servers named by its `name` among `members` (`jsonEntryMembers`). */
const namedJsonPath = (path: JSONPath, members: ReadonlyMap<string, Readonly<Record<string, string>>>): NamedPath =>
  path.map((step, i) => (typeof step !== 'number' ? step : i < MAX_NAMED_DEPTH ? (members.get(pathKey(path.slice(0, i + 1)))?.[SERVER_NAME] ?? null) : null));

/**
 * The string members named `members` of the objects at `entries` in a JSON text, by `pathKey`. One
 * visit of the text: every object and list not on the way to an entry is passed over without a call.
 */
function jsonEntryMembers(text: string, entries: readonly JSONPath[], members: readonly string[]): Map<string, Record<string, string>> {
  const unique = [...new Map(entries.map((entry) => [pathKey(entry), entry])).values()];
  const wanted = new Map(unique.map((entry) => [pathKey(entry), Object.create(null) as Record<string, string>]));
  const onTheWay = new Set(unique.flatMap((entry) => entry.map((_, n) => pathKey(entry.slice(0, n)))));
  const enter = (_offset: number, _length: number, _line: number, _character: number, pathSupplier: () => JSONPath) => {
    const key = pathKey(pathSupplier());
    return wanted.has(key) || onTheWay.has(key);
  };
  visit(
    text,
    {
      onObjectBegin: enter,
      onArrayBegin: enter,
      // A begin that returns false passes over what it begins; only an end callback resumes the calls after it.
      onObjectEnd: () => {},
      onArrayEnd: () => {},
      onLiteralValue: (value: unknown, _offset, _length, _line, _character, pathSupplier) => {
        if (typeof value !== 'string') return;
        const path = pathSupplier();
        const member = path.at(-1);
        const entry = typeof member === 'string' && members.includes(member) ? wanted.get(pathKey(path.slice(0, -1))) : undefined;
        // The last of a member written twice, as JSON.parse and jsonc-parser's parse keep it.
        if (entry) entry[member as string] = value;
      },
    },
    { allowTrailingComma: true, disallowComments: false },
  );
  return wanted;
}

/** A JSON finding with its path as the parser gives it: a list's index is a number there. */
export interface Located {
  d: Detected;
  raw: JSONPath;
}

/** What a JSON reader set aside in a list of servers (`path`), to judge once `server` is known, and where it was (`at`). */
export interface SetAside {
  path: JSONPath;
  at: number;
  judge: (server: string | null) => Located[];
}

/**
 * A JSON text's findings with their list entries named: what was set aside judged with its server,
 * back where it was found, and each finding's `entry` (`labelOf` of the nearest list entry that has
 * a label). The names are read by a second visit, of the way to those entries alone, and only when
 * one is wanted: a value in a list of servers, or two values of one name, one of them in a list.
 */
export function namedEntries(
  text: string,
  found: readonly Located[],
  setAside: readonly SetAside[],
  labelOf: (members: Readonly<Record<string, string>> | undefined) => string | null,
): Detected[] {
  if (setAside.length === 0 && !mayNeedLabels(found.map(({ d, raw }) => ({ ...d, path: raw })))) return found.map((f) => f.d);
  const paths = [...setAside.map((s) => s.path), ...found.map((f) => f.raw)];
  const members = jsonEntryMembers(text, [...setAside.flatMap((s) => serverListEntries(s.path)), ...paths.flatMap(listEntries)], ENTRY_LABELS);
  const inOrder: Located[] = [];
  let next = 0;
  for (const { path, at, judge } of setAside) {
    inOrder.push(...found.slice(next, at), ...judge(serverOf(namedJsonPath(path, members))));
    next = at;
  }
  return [...inOrder, ...found.slice(next)].map(({ d, raw }) => {
    const entry = nearestLabel(raw, members, labelOf);
    return entry === null ? d : { ...d, entry };
  });
}

export interface ListedServer {
  server: string;
  path: string[];
  entry: Record<string, unknown>;
}

/**
 * The servers listed under `path` (`mcpServers`): each entry with a name and a `command`, at
 * `[...path, index]`. Two of one name are refused: their profiles, and `--server`, would be one.
 */
export function listedServers(list: readonly unknown[], path: readonly string[]): ListedServer[] {
  const found: ListedServer[] = [];
  list.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return;
    const record = entry as Record<string, unknown>;
    const server = listedName(record);
    if (server === null || typeof record.command !== 'string') return;
    if (found.some((f) => f.server === server)) {
      throw new KeyholdError(
        'BadInput',
        `Two MCP servers in this file are named ${quoteName(server)}, so their profiles would be one. Nothing was changed: rename one of them.`,
      );
    }
    found.push({ server, path: [...path, String(i)], entry: record });
  });
  return found;
}
