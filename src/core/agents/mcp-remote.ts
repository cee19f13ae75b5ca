import { basename } from 'node:path';
import { LIMITS } from '../../shared/domain';
import { dangerousEnvName, isEnvName } from '../devflow/env-names';
import { argHeaderCredential, headerVariable } from './headers';

/*
 * mcp-remote, the bridge through which Claude Desktop, Cursor and Windsurf reach a remote MCP server
 * from a stdio entry, takes each request header as the argument after `--header` (`Name: value` or
 * `Name:value`) and replaces `${VAR}` in a header's value with that variable from its environment:
 * both arrived together, in mcp-remote 0.0.17 (its parseCommandLineArgs), and its README keeps the
 * secret in `env` that way (`--header "Authorization:${AUTH_HEADER}"`, `AUTH_HEADER=Bearer …`). So a
 * credential header there can leave the file as an env value does: its whole value goes to the
 * server's profile under a variable, the argument becomes `Name:${VAR}`, and `keyhold run` gives the
 * variable to mcp-remote, which puts the header back as it was.
 *
 * Only where that is known to hold: the command line runs mcp-remote itself (`mcp-remote`, `npx
 * [-y] mcp-remote[@version]`, `bunx [--bun] mcp-remote`, `pnpm dlx mcp-remote`, `pnpx mcp-remote`,
 * `node …/mcp-remote/dist/proxy.js`), and the header is one mcp-remote reads: a separate argument
 * after `--header` (not `--header=…`, nor curl's `-H`, which it does not take). Anything else stays
 * in the file and is named as left there.
 */

/** The package, and the runners that fetch and start it with the arguments after its name. */
const PACKAGE = 'mcp-remote';
/** Options of each runner, before the package, that take no value. Any other option: not recognised, left alone. */
const RUNNER_FLAGS: Readonly<Record<string, ReadonlySet<string>>> = {
  npx: new Set(['-y', '--yes', '-q', '--quiet', '--prefer-offline', '--prefer-online']),
  bunx: new Set(['--bun']),
  pnpx: new Set(),
};
const PROXY_SCRIPT = /(?:^|\/)mcp-remote\/dist\/proxy\.js$/;
/** What mcp-remote substitutes in a header's value (its own pattern): a value that holds one would change meaning once moved. */
const SUBSTITUTION = /\$\{[^}]+\}/;
/** What mcp-remote's reading of a header (`(.*)$`) stops at: a value with one is no header to it. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
/** Variables of one base name in one server (`AUTH_HEADER` … `AUTH_HEADER_99`); a header past them stays where it is. */
const MAX_SAME_NAME = 99;
/** Room left in a key's length for the `_99` that tells them apart. */
const SUFFIX_ROOM = 3;

const programOf = (command: string): string =>
  basename(command.replaceAll('\\', '/'))
    .replace(/\.(?:exe|cmd|bat)$/i, '')
    .toLowerCase();

const isPackage = (arg: string | undefined): boolean => arg === PACKAGE || (arg?.startsWith(`${PACKAGE}@`) ?? false);

/** Where mcp-remote's own arguments begin in `args` when the command line runs it, else -1. */
export function mcpRemoteArgsStart(command: string, args: readonly string[]): number {
  const program = programOf(command);
  if (program === PACKAGE) return 0;
  if (program === 'node') return PROXY_SCRIPT.test((args[0] ?? '').replaceAll('\\', '/')) ? 1 : -1;
  const [runner, from] = program === 'pnpm' && args[0] === 'dlx' ? ['pnpx', 1] : [program, 0];
  if (!Object.hasOwn(RUNNER_FLAGS, runner)) return -1;
  const flags = RUNNER_FLAGS[runner]!;
  let i = from;
  while (i < args.length && flags.has(args[i]!)) i++;
  return isPackage(args[i]) ? i + 1 : -1;
}

export interface MovedHeader {
  /** The index in `args` of the header's argument. */
  index: number;
  /** The variable its value goes under. */
  name: string;
  /** The header's whole value (`Bearer …`), as mcp-remote sends it. */
  value: string;
  rule: string;
  /** The argument once the value has left: `Name:${VAR}`, the header's name as written. */
  replacement: string;
}

/**
 * The credential headers of an mcp-remote command line that can leave it, each with the variable it
 * goes under: `AUTH_HEADER` for Authorization, else the header's name (`headerVariable`), with `_2`,
 * `_3`… after it when the server's `env` or a variable already planned holds another value under that
 * name (in any case: Windows reads them so), or an argument reads it (`${NAME}`). A name that would be
 * no variable, or one `keyhold run` refuses to give (NPM_CONFIG_…, KEYHOLD_…), leaves the header where it is.
 * `taken`: the names the server's `env` sets and the variables planned so far, with their values.
 */
export function mcpRemoteHeaders(command: string, args: readonly string[], taken: Iterable<readonly [string, unknown]>, server: string): MovedHeader[] {
  const start = mcpRemoteArgsStart(command, args);
  if (start === -1) return [];
  // By name in upper case: each name taken, and its value if only one name of that spelling holds one.
  const held = new Map<string, Held | null>();
  const hold = (name: string, value: unknown) => {
    const upper = name.toUpperCase();
    const before = held.get(upper);
    held.set(upper, before === undefined || (before !== null && before.name === name && before.value === value) ? { name, value } : null);
  };
  for (const [name, value] of taken) hold(name, value);
  // Variables an argument reads are someone else's: never given another value.
  for (const arg of args) for (const m of arg.matchAll(/\$\{([^}]+)\}/g)) held.set(m[1]!.toUpperCase(), null);
  const moved: MovedHeader[] = [];
  // As mcp-remote reads them: `--header` takes the argument after it, whatever it is, and both go.
  for (let i = start; i < args.length - 1; i++) {
    if (args[i] !== '--header') continue;
    i++;
    const credential = argHeaderCredential(args[i]!, server);
    if (!credential || credential.arg.option !== '') continue;
    const value = credential.arg.value;
    if (SUBSTITUTION.test(value) || LINE_TERMINATOR.test(value) || value.includes('\u0000')) continue;
    const name = freeName(headerVariable(credential.arg.header), value, held);
    if (name === null) continue;
    hold(name, value);
    moved.push({ index: i, name, value, rule: credential.rule, replacement: `${credential.arg.header}:\${${name}}` });
  }
  return moved;
}

interface Held {
  name: string;
  value: unknown;
}

/** `base`, or `base_2`, `base_3`…: the first not held, or held under this very name with this same value; null if `base` can be no variable to give. */
function freeName(base: string, value: string, held: ReadonlyMap<string, Held | null>): string | null {
  if (!isEnvName(base) || base.length > LIMITS.keyChars - SUFFIX_ROOM || dangerousEnvName(base) !== null) return null;
  for (let n = 1; n <= MAX_SAME_NAME; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    const entry = held.get(name.toUpperCase());
    if (entry === undefined || (entry !== null && entry.name === name && entry.value === value)) return name;
  }
  return null;
}
