import { LIMITS } from '../../shared/domain';
import { BEARER_TOKEN_RULE, HEADER_RULES } from './rules';
import { isPlaceholderCredential } from '../devflow/url-password';
import { bearerToken, isSchemeOnly, schemeCredentials } from '../devflow/auth-header';
import { envNamePart } from '../devflow/env-names';

/*
 * Credentials in the HTTP headers of remote MCP servers, which have a URL and headers instead of a
 * command: Claude Code's and Cursor's `"headers": { "Authorization": "Bearer …" }`, VS Code's
 * `requestInit.headers`, Codex's `http_headers` and `bearer_token`, and the lists of name/value
 * pairs other clients write (`"headers": [{ "name": "Authorization", "value": "Bearer …" }]`). A
 * credential header holds a secret whatever its format, so it is one unless it is a reference or a
 * placeholder. So does `Bearer TOKEN` wherever a value says it (`"auth": "Bearer …"`). And so does a
 * header a stdio server's command line passes as one argument (`headerArg`): mcp-remote's and curl's
 * `--header "Authorization: Bearer …"` (`-H`), or `--header=…`.
 */

/** The keys under which configs list a request's headers. */
const HEADER_CONTAINERS = new Set(['headers', 'http_headers']);
/** The shortest credential taken, as for every other value a scan reads. */
const MIN_CREDENTIAL = 8;
/** The shortest token of a `Bearer TOKEN` value outside a headers object, where only the scheme says it is a credential. */
const MIN_BEARER_TOKEN = 16;
/** The members of a header's entry in a list that name it: `{ "name": "Authorization", "value": "…" }`, or `"key"`. */
const PAIR_NAMES = ['name', 'key'] as const;

export interface HeaderCredential {
  rule: string;
  label: string;
  /** The variable it is imported under: the server's name and the header's (`LINEAR_TOKEN`, `CONTEXT7_API_KEY`). */
  name: string;
  /** The token alone of `Authorization: Bearer TOKEN` (or Codex's `bearer_token`); else the header's whole value. */
  value: string;
}

/**
 * `SERVER_SUFFIX` in upper snake case, a valid variable name within the longest key a profile
 * takes; the suffix alone for a header outside any server, or a server named without a letter or digit.
 */
function variableName(server: string | null, suffix: string): string {
  const end = suffix.slice(-(LIMITS.keyChars - 1));
  const prefix = envNamePart(server ?? '', Math.max(0, LIMITS.keyChars - end.length - 2));
  const name = prefix === '' ? end : `${prefix}_${end}`;
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The parts of a header's value that are the secret, each judged on its own as a placeholder. */
function credentialsOf(rule: string, value: string): string[] | null {
  if (rule === 'cookie-header') return value.split(';').map((pair) => pair.slice(pair.indexOf('=') + 1).trim());
  if (rule !== 'authorization-header' && rule !== 'proxy-authorization-header') return [value];
  const credentials = schemeCredentials(value);
  if (credentials !== null) return [credentials];
  // A scheme written with no credential after it (`"Authorization": "Bearer"`) holds none.
  return isSchemeOnly(value) ? null : [value];
}

const holdsSecret = (credentials: readonly string[] | null): boolean =>
  credentials !== null && credentials.some((c) => c.length >= MIN_CREDENTIAL && !isPlaceholderCredential(c));

/**
 * Whether a value anywhere is `Bearer TOKEN` with a token of at least MIN_BEARER_TOKEN characters
 * of token68's alphabet that is not a placeholder: a credential whatever the token's format, as an
 * `Authorization` header's own value (`"auth": "Bearer …"`, `AUTH_HEADER="Bearer …"` in a .env).
 */
export function isBearerCredential(value: string): boolean {
  const token = bearerToken(value);
  return token !== undefined && token.length >= MIN_BEARER_TOKEN && !isPlaceholderCredential(token);
}

/** Whether a config's key lists a request's headers (`headers`, Codex's `http_headers`). */
export const isHeaderContainer = (key: string): boolean => HEADER_CONTAINERS.has(key);

/** Whether `path` is an entry of a list of headers (`headers[0]`), which some clients write as name/value pairs. */
export const isHeaderListEntry = (path: readonly string[]): boolean => path.length >= 2 && /^[0-9]+$/.test(path.at(-1)!) && isHeaderContainer(path.at(-2)!);

/**
 * The header an entry of a list of headers names, given the entry's members: its `name` (or `key`)
 * when it has a string `value` too; undefined when it is no such pair.
 */
export function headerPairName(members: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof members.value !== 'string') return undefined;
  return PAIR_NAMES.map((n) => members[n]).find((n): n is string => typeof n === 'string');
}

/**
 * The credential a config value at `path` holds as an HTTP header: undefined when the path is no
 * credential header (the value is judged as any other), null when it is one that holds a reference,
 * a placeholder or a variable's name. The scheme is kept out of the value only for `Bearer`, which
 * `Bearer ${NAME}` puts back as HTTP reads it (the scheme's case and the spaces after it mean nothing).
 * `pairName` is the header a list's entry names (`headerPairName`), whose value is at `[…, "headers", "0", "value"]`.
 * One of a server's `args` (`[…, "args", "3"]`) is read as `argHeaderCredential` reads it.
 */
export function headerCredential(path: readonly string[], value: string, server: string | null, pairName?: string): HeaderCredential | null | undefined {
  if (server !== null && path.at(-2) === 'args') return argHeaderCredential(value, server);
  const pair = pairName !== undefined && path.at(-1) === 'value' && isHeaderListEntry(path.slice(0, -1));
  const key = pair ? pairName : path.at(-1);
  const parent = pair ? path.at(-3) : path.at(-2);
  if (key === undefined) return undefined;
  // Codex's env_http_headers and bearer_token_env_var name the variables it reads: no secret there.
  if (parent === 'env_http_headers' || (server !== null && parent === server && key === 'bearer_token_env_var')) return null;
  if (server !== null && parent === server && key === 'bearer_token') {
    return holdsSecret([value]) ? { rule: BEARER_TOKEN_RULE.id, label: BEARER_TOKEN_RULE.label, name: variableName(server, 'TOKEN'), value } : null;
  }
  if (parent === undefined || !HEADER_CONTAINERS.has(parent)) return undefined;
  return credentialOfHeader(key, value, server);
}

/**
 * The credential header `key` set to `value` holds, by the header rules: undefined when `key` is no
 * credential header, null when the value holds no secret. `blankFree`: only credentials without a
 * blank in them count (a header read from a command line by its form alone: `Token: see the docs` is prose).
 */
function credentialOfHeader(key: string, value: string, server: string | null, blankFree = false): HeaderCredential | null | undefined {
  const rule = HEADER_RULES.find((r) => r.header.test(key));
  if (rule === undefined) return undefined;
  const credentials = credentialsOf(rule.id, value);
  if (!holdsSecret(credentials) || (blankFree && credentials!.some((c) => /\s/.test(c.trim())))) return null;
  const bearer = rule.id === 'authorization-header' ? bearerToken(value) : undefined;
  if (bearer !== undefined) return { rule: rule.id, label: rule.label, name: variableName(server, 'TOKEN'), value: bearer };
  // `X-` marked a header as not standard (RFC 6648): `X-API-Key` is the server's API_KEY.
  return { rule: rule.id, label: rule.label, name: variableName(server, envNamePart(key.replace(/^x-/i, ''))), value };
}

/** The option that passes a header in the same argument: `--header=Authorization: Bearer …`. */
const HEADER_OPTION = '--header=';
/** A header's name as mcp-remote reads it from the argument after `--header`: letters, digits, `-` and `_`. */
const ARG_HEADER_NAME = /^[A-Za-z0-9_-]+$/;

export interface HeaderArg {
  /** What the argument starts with before the header's name: `--header=`, or nothing. */
  option: string;
  /** The header's name as written (`Authorization`, `x-api-key`). */
  header: string;
  /** Its whole value: what follows the colon and the blanks after it, as mcp-remote reads it. */
  value: string;
}

/**
 * A request header written as one argument of a command line: `Name: value` or `Name:value`, as
 * mcp-remote's `--header` and curl's `-H` take the argument after them, or `--header=Name: value`.
 * Read by its form alone, wherever it stands among a server's `args`: what comes before it is not
 * asked. Linear in the argument's length, whatever it holds.
 */
export function headerArg(arg: string): HeaderArg | undefined {
  const option = arg.startsWith(HEADER_OPTION) ? HEADER_OPTION : '';
  const colon = arg.indexOf(':', option.length);
  if (colon === -1) return undefined;
  const header = arg.slice(option.length, colon);
  if (!ARG_HEADER_NAME.test(header)) return undefined;
  return { option, header, value: arg.slice(colon + 1).replace(/^\s+/, '') };
}

/**
 * The credential one of a server's `args` passes as a header (`headerArg`), under the same rules and
 * names as one in its `headers`: undefined when it is no header or no credential header, null when it
 * holds no secret (`Authorization:${AUTH_HEADER}`, `Bearer <token>`) or one with a blank in it.
 */
export function argHeaderCredential(arg: string, server: string | null): (HeaderCredential & { arg: HeaderArg }) | null | undefined {
  const h = headerArg(arg);
  if (h === undefined) return undefined;
  const credential = credentialOfHeader(h.header, h.value, server, true);
  return credential && { ...credential, arg: h };
}

/**
 * The variable a header's whole value goes under when it leaves a command line for the environment
 * (`Name:${VAR}`): `AUTH_HEADER` for Authorization, as mcp-remote's README names it; any other the
 * header's own name in upper snake case, `X-` kept (`X_API_KEY`, `PRIVATE_TOKEN`, `COOKIE`), with a
 * `_` in front of one that would start with a digit.
 */
export function headerVariable(header: string): string {
  if (/^authorization$/i.test(header)) return 'AUTH_HEADER';
  const name = envNamePart(header);
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The rules of credential headers: a value of no known format, of which only the end is shown. */
export const HEADER_RULE_IDS: ReadonlySet<string> = new Set([...HEADER_RULES.map((r) => r.id), BEARER_TOKEN_RULE.id]);
