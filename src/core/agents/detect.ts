import { visit as visitJson, type JSONPath, type JSONVisitor } from 'jsonc-parser';
import { parse as parseToml, parseDocument as parseTomlDocument } from '@decimalturn/toml-patch';
import { headerCredential, headerPairName, isBearerCredential, isHeaderContainer, isHeaderListEntry } from './headers';
import { detectYaml } from './yaml-detect';
import { boundedByStack, jsonTooDeep, tomlTooDeep } from '../devflow/nesting';
import { ENTRY_LABELS, inServerList, listedName, namedEntries, serverOf, type Located, type NamedPath, type SetAside } from './listed';
import { shellAssignments } from './shell';
import { parseDotenv } from '../devflow/dotenv';
import { isEnvName } from '../devflow/env-names';
import { findUrlPasswords, REFERENCE_SCHEMES } from '../devflow/url-password';
import { BEARER_TOKEN_RULE, GENERIC_RULE, KEY_RULES, SECRET_NAME, shannonEntropy, URL_PASSWORD_RULE, type KeyProvider } from './rules';

/*
 * Detectors: pure functions from a file's text to the credentials in it. No file system here; the
 * finder decides which detector reads which file.
 */

/** How the file is read: which detector applies. */
export type FileFormat = 'json' | 'toml' | 'yaml' | 'dotenv' | 'shell' | 'text';

/** Where in its file a value sits: a variable set by an MCP server's `env`, a .env line… */
export type FindingSource = 'mcp-env' | 'config' | 'dotenv' | 'shell' | 'text';

export interface Detected {
  /** 1-based line of the value. */
  line: number;
  /** The JSON/TOML path of the value (`["mcpServers","github","env","GITHUB_TOKEN"]`), or `[NAME]` for a variable. */
  path: string[];
  /** The variable or key name the value is set under, if any; of an HTTP header, the variable it is imported under (`LINEAR_TOKEN`). */
  name: string | null;
  /** The MCP server whose `env` holds the value, if any. */
  server: string | null;
  rule: string;
  label: string;
  provider: KeyProvider | null;
  source: FindingSource;
  /** The secret itself: never printed. */
  value: string;
  /**
   * How a person knows the nearest list entry the value lies in (`entryLabel`: `Claude Sonnet` of
   * `models[1].apiKey`), when it says; what import.ts tells two values of one name apart by.
   */
  entry?: string;
}

/** The first of a list entry's `name`, `title` and `model` (ENTRY_LABELS) that is text and no credential, or null. */
export function entryLabel(members: Readonly<Record<string, unknown>> | undefined): string | null {
  for (const member of ENTRY_LABELS) {
    const label = members && Object.hasOwn(members, member) ? members[member] : undefined;
    // A label becomes part of a key's name, which is shown: never one that looks like a secret.
    if (typeof label === 'string' && label.trim() !== '' && classifyValue(null, label) === null) return label;
  }
  return null;
}

interface Classified {
  rule: string;
  label: string;
  provider: KeyProvider | null;
}

const COMPILED = KEY_RULES.map((rule) => ({ rule, re: new RegExp(rule.pattern) }));
const ANY_RULE = new RegExp(KEY_RULES.map((r) => `(?:${r.pattern})`).join('|'), 'g');
// A key pattern must not start or end inside a longer token, as in gitleaks' boundaries.
const TOKEN_CHAR = /[A-Za-z0-9_-]/;

// Values that point at a secret rather than hold one.
const INDIRECT = new RegExp(`^(?:${REFERENCE_SCHEMES.join('|')}):\\/\\/|\\$\\{?[A-Za-z_]|^<.*>$|\\{\\{`);
const URL_PASSWORD: Classified = { rule: URL_PASSWORD_RULE.id, label: URL_PASSWORD_RULE.label, provider: URL_PASSWORD_RULE.provider };
const BEARER_TOKEN: Classified = { rule: BEARER_TOKEN_RULE.id, label: BEARER_TOKEN_RULE.label, provider: BEARER_TOKEN_RULE.provider };

/** The first known key format in `text` (the whole value, or a key inside an option: `--api-key=sk-…`). */
function firstKey(text: string): { kind: Classified; key: string } | null {
  for (const { rule, re } of COMPILED) {
    const m = re.exec(text);
    if (m && shannonEntropy(m[0]) >= rule.minEntropy) return { kind: { rule: rule.id, label: rule.label, provider: rule.provider }, key: m[0] };
  }
  return null;
}

const ruleFor = (text: string): Classified | null => firstKey(text)?.kind ?? null;

/**
 * What a value set under `name` is: a known key format anywhere in it, else a URL with a password,
 * else `Bearer TOKEN` under any name (headers.ts's one rule of bearer credentials), else (for a
 * secret-sounding name) a long, random-looking single token. References and placeholders are not
 * secrets; a URL's password is judged on its own (`postgres://u:PW@h/${DB}`).
 */
export function classifyValue(name: string | null, value: string): Classified | null {
  if (value.length < 8) return null;
  const indirect = INDIRECT.test(value);
  const known = indirect ? null : ruleFor(value);
  if (known) return known;
  if (findUrlPasswords(value, 'value').length > 0) return URL_PASSWORD;
  if (!indirect && isBearerCredential(value)) return BEARER_TOKEN;
  if (indirect || name === null || !SECRET_NAME.test(name)) return null;
  if (value.length < GENERIC_RULE.minLength || /\s/.test(value)) return null;
  if (shannonEntropy(value) < GENERIC_RULE.minEntropy) return null;
  return { rule: GENERIC_RULE.id, label: GENERIC_RULE.label, provider: GENERIC_RULE.provider };
}

/** A UTF-8 byte order mark, as Notepad and some Windows editors start a file with. */
export const BOM = '\uFEFF';
export const withoutBom = (text: string): string => (text.startsWith(BOM) ? text.slice(BOM.length) : text);

class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line of a character offset. */
  at(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/**
 * Known key formats and URLs with a password anywhere in free text (no names, no generic rule: too
 * noisy without context). A URL whose password is a known key is reported as that key.
 */
export function detectText(text: string): Detected[] {
  const found: (Detected & { start: number })[] = [];
  let lines: Lines | undefined;
  const add = (start: number, kind: Classified, value: string) => {
    lines ??= new Lines(text);
    found.push({ start, line: lines.at(start), path: [], name: null, server: null, ...kind, source: 'text', value });
  };
  for (const m of text.matchAll(ANY_RULE)) {
    const start = m.index;
    const end = start + m[0].length;
    if ((start > 0 && TOKEN_CHAR.test(text[start - 1]!)) || (end < text.length && TOKEN_CHAR.test(text[end]!))) continue;
    const kind = ruleFor(m[0]);
    if (kind) add(start, kind, m[0]);
  }
  const keys = found.map((k) => [k.start, k.start + k.value.length] as const);
  for (const url of findUrlPasswords(text, 'text')) {
    if (!keys.some(([start, end]) => start < url.end && end > url.start)) add(url.start, URL_PASSWORD, text.slice(url.start, url.end));
  }
  return found.sort((a, b) => a.start - b.start).map(({ start: _start, ...d }) => d);
}

// The line each variable is last assigned on: dotenv keeps the last assignment too.
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/;

export function assignmentLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const m = ASSIGNMENT.exec(line);
    if (m) lines.set(m[1]!, i + 1);
  });
  return lines;
}

/** Adds free-text matches that no assignment on the same line already reports. */
function withTextMatches(found: Detected[], text: string): Detected[] {
  for (const t of detectText(text)) {
    if (!found.some((f) => f.line === t.line && f.value.includes(t.value))) found.push(t);
  }
  return found.sort((a, b) => a.line - b.line);
}

/** A .env file, read the way `dotenv` reads it. */
export function detectDotenv(text: string, source: FindingSource = 'dotenv'): Detected[] {
  const values = parseDotenv(text);
  const lines = assignmentLines(text);
  const found: Detected[] = [];
  for (const [name, value] of Object.entries(values)) {
    const kind = classifyValue(name, value);
    if (kind) found.push({ line: lines.get(name) ?? 1, path: [name], name, server: null, ...kind, source, value });
  }
  return withTextMatches(found, text);
}

/**
 * A shell start-up file: the variables it sets (`export NAME=value`, `NAME=value`, csh's `setenv`,
 * fish's `set -x`), each statement read whole, plus key formats anywhere else.
 */
export function detectShell(text: string): Detected[] {
  const { dotenv, lines } = shellAssignments(text);
  // Values built by the shell ($(…), "$HOME/…") are not literal secrets; classifyValue drops them.
  return detectDotenv(dotenv, 'shell')
    .concat(detectText(text).filter((t) => !lines.has(t.line)))
    .sort((a, b) => a.line - b.line);
}

// An argument that sets a variable: docker's `-e NAME=value`, `env NAME=value cmd`.
const ARG_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

/**
 * One of an MCP server's `args`: `NAME=value` is the variable NAME (as `mcp wrap` moves docker's
 * `-e NAME=value`), a key inside an option is the key alone, a URL with a password the whole URL,
 * a credential header (`Authorization: Bearer …` after mcp-remote's `--header` or curl's `-H`, or
 * `--header=…`) its credential, as in the server's `headers` (headers.ts, `argHeaderCredential`).
 */
function detectedArg(path: string[], arg: string, line: number, server: string): Detected | null {
  const header = detectedHeader(path, arg, line, server);
  if (header !== undefined) return header;
  const m = ARG_ASSIGNMENT.exec(arg);
  const assigned = m ? classifyValue(m[1]!, m[2]!) : null;
  if (m && assigned) return { line, path, name: m[1]!, server, ...assigned, source: 'mcp-env', value: m[2]! };
  const kind = classifyValue(null, arg);
  if (!kind) return null;
  const value = kind.rule === URL_PASSWORD.rule ? arg : (firstKey(arg)?.key ?? arg);
  return { line, path, name: null, server, ...kind, source: 'config', value };
}

/**
 * A remote server's credential header (or Codex's `bearer_token`, or a header among a stdio server's
 * `args`): a finding whatever its format,
 * of a known key's kind when it is one. A provider's key goes to its BYOK key only when it is the
 * whole value (`x-api-key`), never with a scheme in front (`token sk-…`).
 */
function detectedHeader(path: string[], value: string, line: number, server: string | null, pairName?: string): Detected | null | undefined {
  const header = headerCredential(path, value, server, pairName);
  if (!header) return header;
  const known = firstKey(header.value);
  const kind: Classified = known
    ? { ...known.kind, provider: known.key === header.value ? known.kind.provider : null }
    : { rule: header.rule, label: header.label, provider: null };
  return { line, path, name: header.name, server, ...kind, source: 'config', value: header.value };
}

/** What a config value at `path` is; `server` is the MCP server it belongs to (`serverOf`), or null. */
export function detected(path: string[], value: string, line: number, server: string | null): Detected | null {
  const name = path[path.length - 1] ?? null;
  const inEnv = path.length >= 2 && path[path.length - 2] === 'env';
  if (server !== null && path.length >= 2 && path[path.length - 2] === 'args') return detectedArg(path, value, line, server);
  const header = detectedHeader(path, value, line, server);
  if (header !== undefined) return header;
  const kind = classifyValue(name, value);
  if (!kind) return null;
  return { line, path, name, server, ...kind, source: inEnv && server !== null ? 'mcp-env' : 'config', value };
}

/**
 * An entry of a list of headers (`"headers": [{ "name": "Authorization", "value": "Bearer …" }]`,
 * or `"key"`), by its string members and their lines: a pair's value is judged as the header it
 * names, whose name is no secret; the other members, and those of an entry that is no pair, as any value.
 * `server` is the MCP server it belongs to (`serverOf`), or null.
 */
export function detectedListEntry(
  path: string[],
  members: Readonly<Record<string, string>>,
  lineOf: (member: string) => number,
  server: string | null,
): Detected[] {
  const header = headerPairName(members);
  const found: (Detected | null | undefined)[] = [];
  for (const [member, value] of Object.entries(members)) {
    if (header === undefined || (member !== 'value' && member !== 'name' && member !== 'key'))
      found.push(detected([...path, member], value, lineOf(member), server));
  }
  if (header !== undefined) {
    const valuePath = [...path, 'value'];
    const d = detectedHeader(valuePath, members.value!, lineOf('value'), server, header);
    found.push(d === undefined ? detected(valuePath, members.value!, lineOf('value'), server) : d);
  }
  return found.filter((d): d is Detected => !!d);
}

/**
 * A JSON (or JSONC) config: every string value, judged by its key; MCP `env` blocks are marked as
 * such. A file that is not JSON, or is nested past MAX_CONFIG_DEPTH, is read as free text.
 */
export function detectJson(text: string): Detected[] {
  return boundedByStack(
    () => (jsonTooDeep(text) ? detectText(text) : jsonValues(text)),
    () => detectText(text),
  );
}

function jsonValues(text: string): Detected[] {
  // A visitor rather than a syntax tree: Claude Code's ~/.claude.json holds every project's history
  // and grows to tens of MiB, where a tree of every value costs many times the file in memory.
  const body = withoutBom(text);
  const found: Located[] = [];
  // What is in a list of servers (`"mcpServers": [{ "name": "github", … }]`), judged once the names
  // of the entries are read (a name may follow the values), and put back where it was found (`at`).
  const listed: SetAside[] = [];
  const judge = (path: JSONPath, judgeAt: (server: string | null) => Located[]) => {
    if (inServerList(path)) listed.push({ path, at: found.length, judge: judgeAt });
    else found.push(...judgeAt(serverOf(path.map(String))));
  };
  let broken = false;
  // The objects being read, each an entry of a list of headers or null: an entry is judged whole at
  // its end, as its value's header may be named after it.
  const open: ({ raw: JSONPath; path: string[]; members: Record<string, string>; lines: Record<string, number> } | null)[] = [];
  // What holds each value being read: an object, an array, or an array under a headers key, whose
  // objects are such entries. Known without asking each object for its path.
  const holders: ('object' | 'array' | 'headers')[] = [];
  let member = '';
  const entries: JSONVisitor = {
    onObjectProperty: (property) => void (member = property),
    onArrayBegin: () => void holders.push(holders.at(-1) === 'object' && isHeaderContainer(member) ? 'headers' : 'array'),
    onArrayEnd: () => void holders.pop(),
    onObjectBegin: (_offset, _length, _startLine, _startCharacter, pathSupplier) => {
      const raw = holders.at(-1) === 'headers' ? pathSupplier() : null;
      const path = raw?.map(String) ?? null;
      holders.push('object');
      open.push(
        raw !== null && path !== null && isHeaderListEntry(path)
          ? { raw, path, members: Object.create(null) as Record<string, string>, lines: Object.create(null) as Record<string, number> }
          : null,
      );
    },
    onObjectEnd: () => {
      holders.pop();
      const entry = open.pop();
      if (!entry) return;
      judge(entry.raw, (server) =>
        detectedListEntry(entry.path, entry.members, (member) => entry.lines[member]!, server).map((d) => ({ d, raw: [...entry.raw, d.path.at(-1)!] })),
      );
    },
  };
  // Following every object and array costs a fifth of the time of a large file (~/.claude.json), and
  // lists of headers are rare: only a text that may hold one (a key ending in `headers"`, or an
  // escape that may spell one) is followed so.
  const mayListHeaders = text.includes('headers"') || text.includes('\\u');
  visitJson(
    // The parser refuses the byte order mark Windows editors put first; lines do not move without it.
    body,
    {
      ...(mayListHeaders ? entries : {}),
      onLiteralValue: (value: unknown, _offset, _length, startLine, _startCharacter, pathSupplier) => {
        if (typeof value !== 'string') return;
        const entry = open.at(-1);
        const path = entry ? pathSupplier() : null;
        if (entry && path?.length === entry.path.length + 1) {
          entry.members[String(path.at(-1))] = value;
          entry.lines[String(path.at(-1))] = startLine + 1;
          return;
        }
        if (value.length < 8) return;
        const raw = path ?? pathSupplier();
        const line = startLine + 1;
        if (inServerList(raw)) {
          listed.push({
            path: raw,
            at: found.length,
            judge: (server) => [detected(raw.map(String), value, line, server)].flatMap((d) => (d ? [{ d, raw }] : [])),
          });
          return;
        }
        const keys = raw.map(String);
        const d = detected(keys, value, line, serverOf(keys));
        if (d) found.push({ d, raw });
      },
      onError: () => void (broken = true),
    },
    { allowTrailingComma: true, disallowComments: false },
  );
  return broken ? detectText(text) : namedEntries(body, found, listed, entryLabel);
}

type TomlNode = { type: string; loc: { start: { line: number } }; key?: { item: { value: string[] } }; items?: TomlNode[]; item?: TomlNode; value?: unknown };

/** The line of each key path in a TOML document, from its syntax tree; of a list's tables (`[[…]]`, `[{ … }, …]`) by index too. */
function tomlLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const walkItems = (items: readonly TomlNode[] | undefined, prefix: string[]): void => {
    for (const node of items ?? []) {
      const inner = node.type === 'InlineItem' ? node.item : node;
      if (inner?.type !== 'KeyValue') continue;
      const key = (inner.key as unknown as { value: string[] }).value;
      const path = [...prefix, ...key];
      lines.set(path.join('\u0000'), inner.loc.start.line);
      const value = inner.value as TomlNode | undefined;
      if (value?.type === 'InlineTable') walkItems(value.items, path);
      if (value?.type === 'InlineArray') {
        value.items?.forEach((item, i) => {
          if (item.item?.type !== 'InlineTable') return;
          lines.set([...path, String(i)].join('\u0000'), item.item.loc.start.line);
          walkItems(item.item.items, [...path, String(i)]);
        });
      }
    }
  };
  // How many entries each array of tables has so far, by its path with the indices in it.
  const tableArrays = new Map<string, number>();
  // A table's header names the array's last entry without its index (`[mcp_servers.env]` after
  // `[[mcp_servers]]` is `mcp_servers[0].env`): the indices go in where an array of tables is named.
  const withIndices = (path: readonly string[]): string[] => {
    const out: string[] = [];
    for (const [i, key] of path.entries()) {
      out.push(key);
      const count = tableArrays.get(out.join('\u0000'));
      if (count !== undefined && i < path.length - 1) out.push(String(count - 1));
    }
    return out;
  };
  for (const block of parseTomlDocument(text).cst as unknown as TomlNode[]) {
    if (block.type === 'Table' || block.type === 'TableArray') {
      const path = withIndices(block.key!.item.value);
      lines.set(path.join('\u0000'), block.loc.start.line);
      walkItems(block.items, path);
      if (block.type === 'TableArray') {
        const index = tableArrays.get(path.join('\u0000')) ?? 0;
        tableArrays.set(path.join('\u0000'), index + 1);
        lines.set([...path, String(index)].join('\u0000'), block.loc.start.line);
        walkItems(block.items, [...path, String(index)]);
      }
    } else {
      walkItems([block], []);
    }
  }
  return lines;
}

/** A TOML config (Codex's `config.toml` keeps MCP servers under `[mcp_servers.NAME]`); as free text if it is not one, or nested past MAX_CONFIG_DEPTH. */
export function detectToml(text: string): Detected[] {
  return boundedByStack(
    () => (tomlTooDeep(text) ? detectText(text) : tomlValues(text)),
    () => detectText(text),
  );
}

function tomlValues(text: string): Detected[] {
  let data: unknown;
  let lines: Map<string, number>;
  try {
    data = parseToml(text);
    lines = tomlLines(text);
  } catch {
    return detectText(text);
  }
  const lineOf = (path: string[]): number => {
    for (let n = path.length; n > 0; n--) {
      const line = lines.get(path.slice(0, n).join('\u0000'));
      if (line !== undefined) return line;
    }
    return 1;
  };
  const found: Detected[] = [];
  const isTable = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
  const labelled = (d: Detected, entry: string | null): Detected => (entry === null ? d : { ...d, entry });
  // `named`: the path as serverOf reads it, a list's table (`[[mcp_servers]]`) by its name;
  // `entry`: the label of the nearest list entry that has one (entryLabel).
  const visit = (value: unknown, path: string[], named: NamedPath, entry: string | null): void => {
    if (typeof value === 'string') {
      const d = detected(path, value, lineOf(path), serverOf(named));
      if (d) found.push(labelled(d, entry));
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, String(i)], [...named, isTable(v) ? listedName(v) : null], (isTable(v) ? entryLabel(v) : null) ?? entry));
    } else if (isTable(value)) {
      const headers = isHeaderListEntry(path);
      if (headers) {
        const strings = Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
        found.push(...detectedListEntry(path, strings, (member) => lineOf([...path, member]), serverOf(named)).map((d) => labelled(d, entry)));
      }
      for (const [k, v] of Object.entries(value)) if (!headers || typeof v !== 'string') visit(v, [...path, k], [...named, k], entry);
    }
  };
  visit(data, [], [], null);
  return found.sort((a, b) => a.line - b.line);
}

export function detect(format: FileFormat, text: string): Detected[] {
  switch (format) {
    case 'json':
      return detectJson(text);
    case 'toml':
      return detectToml(text);
    case 'yaml':
      return detectYaml(text);
    case 'dotenv':
      return detectDotenv(text);
    case 'shell':
      return detectShell(text);
    case 'text':
      return detectText(text);
  }
}

/** A path as people read it: `mcpServers.github.env.GITHUB_TOKEN`, quoting keys that are not plain names. */
export function formatPath(path: readonly string[]): string {
  return path
    .map((p, i) => {
      if (/^[0-9]+$/.test(p)) return `[${p}]`;
      if (isEnvName(p)) return i > 0 ? `.${p}` : p;
      return `[${JSON.stringify(p)}]`;
    })
    .join('');
}
