import { visit, type JSONPath } from 'jsonc-parser';
import { KeyholdError } from '../../shared/errors';
import { quoteName } from '../devflow/env-names';

/*
 * MCP servers kept in a list rather than a map keyed by name: Continue's YAML
 * (`mcpServers: [- name: github …]`), some clients' JSON (`"mcpServers": [{ "name": "github", … }]`),
 * a TOML list of tables. One rule for every reader and for `mcp wrap`: such a server is its entry's
 * `name`, when that is a string, and an entry without one is no server (its index is no name the
 * person gave it, and `0/mcp` would be the profile of every such entry of every file).
 */

/** The keys under which the tools keep their MCP servers (Claude, Cursor, Windsurf; VS Code; Codex; Zed). */
const SERVER_CONTAINERS = new Set(['mcpServers', 'servers', 'mcp_servers', 'context_servers']);

/** The member of a list entry that names the server it is. */
export const SERVER_NAME = 'name';

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

const listsServers = (path: JSONPath, i: number): boolean => typeof path[i] === 'number' && i > 0 && SERVER_CONTAINERS.has(String(path[i - 1]));

/**
 * Whether a JSON path runs through a list under a key that holds servers (`["mcpServers", 0, …]`):
 * its server is named by a member of its entry, which may come after it in the file.
 */
export function inServerList(path: JSONPath): boolean {
  for (let i = 1; i < path.length; i++) if (listsServers(path, i)) return true;
  return false;
}

/** The entries of lists of servers a JSON path runs through: `["mcpServers", 0]` of `["mcpServers", 0, "env", "T"]`. */
export const serverListEntries = (path: JSONPath): JSONPath[] => path.flatMap((_, i) => (listsServers(path, i) ? [path.slice(0, i + 1)] : []));

/** A key for a JSON path: a list index and a key of the same digits are two paths. */
export const pathKey = (path: JSONPath): string => JSON.stringify(path);

/** A JSON path as `serverOf` reads it: each entry of a list of servers named by its `name` among `members` (`jsonEntryMembers`). */
export const namedJsonPath = (path: JSONPath, members: ReadonlyMap<string, Readonly<Record<string, string>>>): NamedPath =>
  path.map((step, i) => (typeof step === 'number' ? (members.get(pathKey(path.slice(0, i + 1)))?.[SERVER_NAME] ?? null) : step));

/**
 * The string members named `members` of the objects at `entries` in a JSON text, by `pathKey`. One
 * visit of the text: every object and list not on the way to an entry is passed over without a call.
 */
export function jsonEntryMembers(text: string, entries: readonly JSONPath[], members: readonly string[]): Map<string, Record<string, string>> {
  const wanted = new Map(entries.map((entry) => [pathKey(entry), Object.create(null) as Record<string, string>]));
  const onTheWay = new Set(entries.flatMap((entry) => entry.map((_, n) => pathKey(entry.slice(0, n)))));
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
