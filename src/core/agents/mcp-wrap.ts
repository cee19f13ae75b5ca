import { applyEdits, findNodeAtLocation, modify, parse as parseJsonc, parseTree, visit, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { parse as parseToml, patch as patchToml } from '@decimalturn/toml-patch';
import { createTwoFilesPatch } from 'diff';
import { reservedMemberProblem } from '../../shared/text-rules';
import { KeyholdError } from '../../shared/errors';
import { quoteName } from '../devflow/env-names';
import { SecretMask } from '../devflow/mask';
import { BOM, classifyValue, detect, detectText, formatPath, withoutBom, type Detected } from './detect';
import { dockerEnvArgs } from './docker-env';
import { mcpRemoteHeaders } from './mcp-remote';
import { holdsComment, removeMember } from './json-remove';
import { removeTomlKeys } from './toml-remove';
import { listedServers, SERVER_CONTAINERS, type ListedServer } from './listed';
import { parseYamlConfig } from './yaml-config';
import { rewriteYaml } from './yaml-edit';
import { boundedByStack, jsonTooDeep, nestedTooDeeply, tomlTooDeep } from '../devflow/nesting';

/*
 * Turning an MCP config into one that holds no secret: each server's secret `env` values leave the
 * file and its command runs through Keyhold, which injects them. The file is edited in place with
 * format-preserving editors (jsonc-parser's modify/applyEdits for JSON, toml-patch for TOML, the
 * yaml package's node ranges for YAML), so every byte outside the changed entries stays as the
 * person wrote it.
 */

export type ConfigFormat = 'json' | 'toml' | 'yaml';

export interface ServerSecret {
  name: string;
  value: string;
  rule: string;
  /** Where the wrap took it from: the server's `env`, or its `args` (docker's `-e`, mcp-remote's `--header`). */
  from: 'env' | 'args';
}

export interface ServerWrap {
  server: string;
  /** The JSON/TOML/YAML path of the server entry (`mcpServers`, `0` in Continue's list). */
  path: string[];
  command: string;
  args: string[];
  secrets: ServerSecret[];
  /** The profile (AGENT_ID/NAME) the secrets go to and `run` injects. */
  profile: { agentId: string; name: string };
  /**
   * The values of the credentials this server's entry still holds after the wrap (a URL with a
   * password among its args, a header another program reads): its own, which `scan --import` may
   * have put in its profile already. Never shown; for storeWrapSecrets only.
   */
  stays: string[];
}

export interface WrapOptions {
  /** Only this server (its key in the config, or its `name` in Continue's list). */
  server?: string;
  /** The program the wrapped command starts, and the arguments before `run` (e.g. `--vault DIR`). */
  keyholdCommand: string;
  keyholdArgs: readonly string[];
  /** The profile name each server's secrets are kept under (its agent id is the server's name). */
  profileName: string;
}

export interface WrapPlan {
  format: ConfigFormat;
  servers: ServerWrap[];
  /** The rewritten file. */
  text: string;
  /**
   * The credentials the new text still holds (no values): in a command's arguments other than
   * docker's `-e`, in a server left alone, in a comment. A wrap cannot move them.
   */
  left: LeftCredential[];
}

export interface LeftCredential {
  line: number;
  /** The JSON/TOML path as people read it; empty in a comment or other free text. */
  where: string;
  label: string;
}

export const formatOfConfig = (file: string): ConfigFormat => {
  const name = file.toLowerCase();
  return name.endsWith('.toml') ? 'toml' : name.endsWith('.yaml') || name.endsWith('.yml') ? 'yaml' : 'json';
};

// The JSON parser drops a member named "__proto__" (the TOML one keeps it): an env block that
// looked empty once its secrets were moved would be deleted with that member in it.
const reservedMember = () =>
  new KeyholdError(
    'BadInput',
    'The file has a member named "__proto__", which Keyhold cannot edit safely (nor keep as a credential name). Nothing was changed: rename or remove it first.',
  );

function parseConfig(text: string, format: ConfigFormat): unknown {
  if (format === 'yaml') {
    const data = parseYamlConfig(text);
    if (reservedMemberProblem(data) !== null) throw reservedMember();
    return data;
  }
  // Measured before any parser recurses into it (YAML's reader measures its own).
  if (format === 'toml' ? tomlTooDeep(text) : jsonTooDeep(text)) throw nestedTooDeeply('The file');
  if (format === 'toml') {
    let data: unknown;
    try {
      data = parseToml(text);
    } catch (e) {
      if (e instanceof RangeError) throw e; // nested past the stack: planWrap says so
      throw new KeyholdError('BadInput', `The file is not valid TOML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (reservedMemberProblem(data) !== null) throw reservedMember();
    return data;
  }
  const errors: ParseError[] = [];
  const data = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) throw new KeyholdError('BadInput', `The file is not valid JSON (error at offset ${errors[0]!.offset}).`);
  let reserved = false;
  visit(text, { onObjectProperty: (name) => void (reserved ||= name === '__proto__') }, { allowTrailingComma: true, disallowComments: false });
  if (reserved) throw reservedMember();
  return data;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface ServerEntry extends ListedServer {
  /** In a list (`mcpServers: [{ name: … }]`) rather than a map keyed by name. */
  listed: boolean;
}

/** Every stdio MCP server entry (one with a `command`), wherever the tool nests its list, in a map or a list (listed.ts). */
function serverEntries(data: unknown): ServerEntry[] {
  const found: ServerEntry[] = [];
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (!isRecord(node) || depth > 6) return;
    for (const [key, value] of Object.entries(node)) {
      if (SERVER_CONTAINERS.has(key) && isRecord(value)) {
        for (const [server, entry] of Object.entries(value)) {
          if (isRecord(entry) && typeof entry.command === 'string') found.push({ server, path: [...path, key, server], entry, listed: false });
        }
      } else if (SERVER_CONTAINERS.has(key) && Array.isArray(value)) {
        found.push(...listedServers(value, [...path, key]).map((s) => ({ ...s, listed: true })));
      } else {
        visit(value, [...path, key], depth + 1);
      }
    }
  };
  visit(data, [], 0);
  return found;
}

/** Whether an entry already runs through Keyhold. */
export function isWrapped(entry: Record<string, unknown>, keyholdCommand: string): boolean {
  const args = entry.args;
  return entry.command === keyholdCommand && Array.isArray(args) && args.includes('run') && args.includes('--');
}

function stringArgs(entry: Record<string, unknown>, server: string): string[] {
  const args = entry.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new KeyholdError('BadInput', `The args of server ${quoteName(server)} are not a list of strings.`);
  }
  return args as string[];
}

/** One level of the file's indentation (its first indented member's: `  `, a tab…), two spaces where none is. */
function detectIndent(text: string): { unit: string; eol: string } {
  const m = /^([ \t]+)"/m.exec(text);
  const indent = m?.[1] ?? '  ';
  return { unit: indent.includes('\t') ? '\t' : indent, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/**
 * jsonc-parser's `modify`, laying out what it inserts with the file's own indentation. The library
 * (3.3.1) is asked for one tab a level, and each tab it writes becomes that indentation: its cache of
 * indentations ends at 200 characters and a line of exactly 200 came out as `undefined` (a file
 * indented by 50 spaces broke at its fourth level), while a config's levels (MAX_CONFIG_DEPTH)
 * stay far below 200 tabs. A tab in JSON text is always indentation: one in a string is written `\t`.
 */
function modifyIndented(
  text: string,
  path: string[],
  value: unknown,
  indent: { unit: string; eol: string },
  getInsertionIndex: (keys: string[]) => number,
): string {
  // tabSize tells how many spaces of an existing line make one level.
  const formattingOptions: FormattingOptions = { insertSpaces: false, tabSize: indent.unit === '\t' ? 1 : indent.unit.length, eol: indent.eol };
  const edits = modify(text, path, value, { formattingOptions, getInsertionIndex });
  return applyEdits(text, indent.unit === '\t' ? edits : edits.map((e) => ({ ...e, content: e.content.replaceAll('\t', indent.unit) })));
}

/**
 * Works out the change for a config's servers and writes the new text; the file itself is left to
 * the caller. Servers without secret `env` values, and servers already wrapped, are left alone.
 */
export function planWrap(text: string, format: ConfigFormat, options: WrapOptions): WrapPlan {
  // A file that starts with a byte order mark (Windows editors write one) keeps it: the plan is made
  // without it, which the JSON parser refuses, and it is put back in front of the new text.
  const body = withoutBom(text);
  const plan = boundedByStack(
    () => planServers(body, format, options),
    () => {
      throw nestedTooDeeply('The file');
    },
  );
  // What each server's entry still holds once wrapped (planServers cannot tell before the text is written).
  const structured = detect(format, plan.text);
  const within = (path: readonly string[], entry: readonly string[]) => entry.every((key, i) => path[i] === key);
  return {
    ...plan,
    servers: plan.servers.map((s) => ({ ...s, stays: structured.filter((d) => within(d.path, s.path)).map((d) => d.value) })),
    text: body === text ? plan.text : BOM + plan.text,
    left: leftIn(structured, plan.text),
  };
}

/** What `keyhold scan` would still find in the wrapped text (`structured`: what detect finds in it), where and of which kind. */
function leftIn(structured: readonly Detected[], text: string): LeftCredential[] {
  const loose = detectText(text).filter((t) => !structured.some((d) => d.line === t.line && d.value.includes(t.value)));
  return [...structured, ...loose].sort((a, b) => a.line - b.line).map((d) => ({ line: d.line, where: formatPath(d.path), label: d.label }));
}

/**
 * Servers in a list are rewritten in YAML only (yaml-edit.ts edits by node). JSON's editors here
 * address a server and the members they remove by keys, so a list's entry would be edited wrong or
 * not at all; such a server is refused rather than left with its secrets and a "nothing to move".
 */
const listedNotWrapped = (server: string, path: readonly string[], format: ConfigFormat) =>
  new KeyholdError(
    'BadInput',
    `Server ${quoteName(server)} is an entry of a list (${formatPath(path)}), which keyhold mcp wrap rewrites in YAML only, not in ${format.toUpperCase()}. ` +
      `Nothing was changed: "keyhold scan --import" stores its values in the profile ${server}/mcp, or write the servers as an object keyed by name.`,
    { field: 'wrapServer' },
  );

function planServers(text: string, format: ConfigFormat, options: WrapOptions): Omit<WrapPlan, 'left'> {
  const data = parseConfig(text, format);
  let entries = serverEntries(data);
  if (options.server !== undefined) {
    entries = entries.filter((e) => e.server === options.server);
    if (entries.length === 0) throw new KeyholdError('NotFound', `No MCP server ${quoteName(options.server)} with a command in this file.`);
  }
  const servers: ServerWrap[] = [];
  for (const { server, path, entry, listed } of entries) {
    if (isWrapped(entry, options.keyholdCommand)) continue;
    const env = isRecord(entry.env) ? entry.env : {};
    const secrets: ServerSecret[] = [];
    for (const [name, value] of Object.entries(env)) {
      if (typeof value !== 'string') continue;
      const kind = classifyValue(name, value);
      if (kind) secrets.push({ name, value, rule: kind.rule, from: 'env' });
    }
    const command = entry.command as string;
    const args = [...stringArgs(entry, server)];
    // `docker run -e NAME=value`: the value leaves and `-e NAME` takes it from keyhold run's environment.
    for (const arg of dockerEnvArgs(command, args)) {
      const kind = classifyValue(arg.name, arg.value);
      if (!kind) continue;
      if (Object.hasOwn(env, arg.name) && env[arg.name] !== arg.value) {
        throw new KeyholdError(
          'BadInput',
          `Server ${quoteName(server)} sets ${arg.name} twice, in its env and in its docker options, to different values. Nothing was changed: keep one of them.`,
        );
      }
      if (!secrets.some((x) => x.name === arg.name)) secrets.push({ name: arg.name, value: arg.value, rule: kind.rule, from: 'args' });
      args[arg.index] = arg.replacement;
    }
    // mcp-remote's `--header "Name: value"`: the value leaves and `Name:${VAR}` takes it from keyhold run's environment.
    const planned = [...Object.entries(env), ...secrets.map((x) => [x.name, x.value] as const)];
    for (const h of mcpRemoteHeaders(command, args, planned, server)) {
      if (!secrets.some((x) => x.name === h.name)) secrets.push({ name: h.name, value: h.value, rule: h.rule, from: 'args' });
      args[h.index] = h.replacement;
    }
    if (secrets.length === 0) continue;
    if (listed && format !== 'yaml') throw listedNotWrapped(server, path, format);
    servers.push({ server, path, command, args, secrets, profile: { agentId: server, name: options.profileName }, stays: [] });
  }
  if (options.server !== undefined && servers.length === 0) {
    throw new KeyholdError('BadInput', `Server ${quoteName(options.server)} holds no secret env values (or already runs through Keyhold).`);
  }
  return { format, servers, text: servers.length === 0 ? text : rewrite(text, format, data, servers, options) };
}

function wrappedArgs(s: ServerWrap, options: WrapOptions): string[] {
  return [...options.keyholdArgs, 'run', '--profile', `${s.profile.agentId}/${s.profile.name}`, '--', s.command, ...s.args];
}

function rewrite(text: string, format: ConfigFormat, data: unknown, servers: readonly ServerWrap[], options: WrapOptions): string {
  if (format === 'yaml') {
    return rewriteYaml(
      text,
      servers.map((s) => ({
        server: s.server,
        path: s.path,
        command: options.keyholdCommand,
        args: wrappedArgs(s, options),
        moved: s.secrets.map((x) => x.name),
      })),
    );
  }
  if (format === 'toml') {
    // The keys' lines go first, keeping the comments around them; toml-patch then changes the
    // commands and takes what is left out of inline tables (`env = { … }`, which hold no comment).
    const stripped = removeTomlKeys(
      text,
      servers.flatMap((s) => s.secrets.map((x) => [...s.path, 'env', x.name])),
    ).text;
    const updated = parseToml(stripped) as Record<string, unknown>;
    for (const s of servers) {
      const entry = s.path.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, updated);
      entry.command = options.keyholdCommand;
      entry.args = wrappedArgs(s, options);
      const env = entry.env;
      if (!isRecord(env)) continue; // gone with its last key, or the secrets were docker options only
      const before = Object.keys(env).length;
      for (const { name } of s.secrets) delete env[name];
      // An env table kept for its comments stays; an inline one the wrap emptied goes.
      if (before > 0 && Object.keys(env).length === 0) delete entry.env;
    }
    return patchToml(stripped, updated);
  }
  const indent = detectIndent(text);
  let out = text;
  // A new member (args, where the server had none) goes right after `command`: jsonc-parser
  // lays out the lines it inserts into, and that line is one the wrap changes anyway.
  const getInsertionIndex = (keys: string[]) => keys.indexOf('command') + 1;
  const edit = (path: string[], value: unknown) => {
    out = modifyIndented(out, path, value, indent, getInsertionIndex);
  };
  for (const s of servers) {
    edit([...s.path, 'command'], options.keyholdCommand);
    edit([...s.path, 'args'], wrappedArgs(s, options));
    const envPath = [...s.path, 'env'];
    const current = envPath.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), data);
    if (!isRecord(current)) continue; // the secrets were docker options only
    const remaining = Object.keys(current).filter((k) => !s.secrets.some((x) => x.name === k));
    // The env block goes when nothing is left in it, not even a comment: a person's note stays.
    const envNode = findNodeAtLocation(parseTree(out, [], { allowTrailingComma: true, disallowComments: false })!, envPath);
    if (remaining.length === 0 && envNode && !holdsComment(out, envNode)) out = removeMember(out, envPath);
    else for (const { name } of s.secrets) out = removeMember(out, [...envPath, name]);
  }
  return out;
}

/**
 * The change as a unified diff, with every secret in it concealed by the same matcher as `run`'s:
 * the values it moves, and every value the scanner (`detect`, what `keyhold scan` reports) flags in
 * the file before or after the change, with the key formats it knows anywhere in the text (a JSONC
 * comment). A diff's context and changed lines carry what is not moved too: a token among a
 * server's `args`, which stays in the wrapped command, or another server's secret `env` value.
 * Of a URL with a password, the mask conceals the password on its own as well, wherever it appears.
 */
export function wrapDiff(file: string, before: string, plan: WrapPlan): string {
  const flagged = [before, plan.text].flatMap((text) => [...detect(plan.format, text), ...detectText(text)]).map((d) => d.value);
  const mask = new SecretMask([...plan.servers.flatMap((s) => s.secrets.map((x) => x.value)), ...flagged]);
  return mask.maskText(createTwoFilesPatch(file, file, before, plan.text, 'now', 'wrapped'));
}
