import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseToml } from '@decimalturn/toml-patch';
import { KeyholdError } from '../../shared/errors';
import { isReservedKey } from '../../shared/text-rules';
import { assertEnvName, quoteName, refuseKeyholdVariables } from '../devflow/env-names';
import { findReferences, formatReference, parseReference } from '../devflow/inject';
import type { Vault } from '../vault/vault';
import { nestedTooDeeply, tomlTooDeep } from '../devflow/nesting';

/*
 * `keyhold.toml`: a project's list of the variables its programs need, each mapped to a reference
 * (`GITHUB_TOKEN = "keyhold://profile/agent-github/dev/GITHUB_TOKEN"`). It holds no value, so it
 * can be committed; `run` in the folder or below injects exactly these, once the person has trusted
 * what it lists. The file comes with a clone, a pull or another user's /tmp: untrusted, it could
 * hand any secret of the vault to the program it starts.
 */

export const PROJECT_FILE = 'keyhold.toml';

/**
 * The nearest keyhold.toml in `from` or a folder above it, or null. One that is not a regular file
 * (a named pipe left in a shared /tmp would hold `run` until something wrote to it) is refused.
 */
export function findProjectFile(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) {
      if (!statSync(candidate).isFile()) throw new KeyholdError('BadInput', `${candidate} is not a regular file, so Keyhold does not read it.`);
      return candidate;
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The variables of a keyhold.toml and their references, checked: names are environment variable
 * names, values are references and nothing else (a value written there by mistake is refused and
 * never repeated in the message). A `[env]` table may hold them instead of the top level. `where`
 * names the file in messages: its path, when it may be one found in a folder above.
 */
export function parseProjectFile(text: string, where: string = PROJECT_FILE): Record<string, string> {
  if (tomlTooDeep(text)) throw nestedTooDeeply(where);
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof RangeError) throw nestedTooDeeply(where);
    throw new KeyholdError('BadInput', `${where} is not valid TOML: ${(e as Error).message.split('\n')[0]?.replace(/:$/, '')}.`);
  }
  const table = data.env !== null && typeof data.env === 'object' && !Array.isArray(data.env) ? (data.env as Record<string, unknown>) : data;
  const outside = table === data ? undefined : Object.keys(data).find((name) => name !== 'env');
  if (outside !== undefined) {
    // Either place is read, not both: a variable above [env] would be left out without a word.
    throw new KeyholdError('BadInput', `${where} lists ${quoteName(outside)} above its [env] table; list every variable in [env], or none there.`, {
      field: outside,
    });
  }
  const refs: Record<string, string> = {};
  for (const [name, value] of Object.entries(table)) {
    assertEnvName(name);
    if (isReservedKey(name)) {
      // The TOML parser keeps it, but the object it is copied into would leave it out without a word.
      throw new KeyholdError('BadInput', `${where} lists ${quoteName(name)}, a name Keyhold cannot hold as a variable; rename or remove it.`, {
        field: name,
      });
    }
    if (typeof value !== 'string' || !value.startsWith('keyhold://')) {
      throw new KeyholdError('BadInput', `${where}: ${quoteName(name)} must be a keyhold:// reference; the file holds references only, never values.`, {
        field: name,
      });
    }
    parseReference(value);
    refs[name] = value;
  }
  // Refused when the file is read (by trust as by run), not trusted first and refused at every run.
  refuseKeyholdVariables(Object.keys(refs), where);
  return refs;
}

/**
 * A file that chooses which of the vault's secrets leave it, as read: a keyhold.toml (`run`) or a
 * template (`inject -i FILE`), where it is and what it lists. A keyhold.toml maps variable names to
 * references; a template's references are listed each under its own canonical text.
 */
export interface ProjectFile {
  kind: 'project' | 'template';
  path: string;
  refs: Record<string, string>;
}

/**
 * A folder's real path: its symbolic links resolved and, where names are compared without case
 * (macOS, Windows), each name as the folder stores it, so every spelling of one folder is one path.
 * The path as given when it cannot be resolved (gone, or not readable).
 */
export function realFolder(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
}

/**
 * Where a keyhold.toml is, as trust records it: its folder's real path (`realFolder`), and the
 * file's own name. The file itself is not followed: a repository can hold a keyhold.toml that is a
 * link to a trusted project's file, and must not get that project's secrets by it.
 */
export function projectFilePath(path: string): string {
  // The folder as the system finds it, not first shortened as text: in `link/../FILE`, ".." is the
  // folder above the link's target, and FILE there is the file read and shown.
  const dir = dirname(path);
  const real = realFolder(dir);
  return join(real === dir ? resolve(dir) : real, basename(path));
}

/** Parses a keyhold.toml found at `path` (its text read once by the caller). */
export function readProjectFile(path: string, text: string): ProjectFile {
  if (basename(path) !== PROJECT_FILE) throw new KeyholdError('BadInput', `${path} is not a ${PROJECT_FILE}.`);
  return { kind: 'project', path: projectFilePath(path), refs: parseProjectFile(text, path) };
}

/**
 * A template found at `path` (its text read once by the caller), as trust sees it: the references
 * it holds, each in canonical form, so writing one differently (`%41` for `A`, with or without
 * braces) or repeating it needs no new trust, and only another reference does.
 */
export function readTemplateFile(path: string, template: string): ProjectFile {
  const refs: Record<string, string> = {};
  for (const { ref } of findReferences(template)) {
    const text = formatReference(ref);
    refs[text] = text;
  }
  return { kind: 'template', path: projectFilePath(path), refs };
}

/** How a file's references differ from the ones trusted at its path, by variable name. */
export interface ProjectFileChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

export type ProjectTrust =
  | { state: 'trusted' }
  | { state: 'new' }
  | { state: 'damaged' }
  /** `before`: the references trusted at this path. */
  | ({ state: 'changed'; before: Record<string, string> } & ProjectFileChanges);

function referenceChanges(before: Record<string, string>, after: Record<string, string>): ProjectFileChanges {
  const names = (r: Record<string, string>) => Object.keys(r).sort();
  return {
    added: names(after).filter((n) => !Object.hasOwn(before, n)),
    changed: names(after).filter((n) => Object.hasOwn(before, n) && before[n] !== after[n]),
    removed: names(before).filter((n) => !Object.hasOwn(after, n)),
  };
}

/**
 * Whether the vault's owner trusted exactly these references at this path. Only the references
 * count: a comment or a reordering changes nothing that reaches a program.
 */
export function projectTrust(vault: Vault, file: ProjectFile): ProjectTrust {
  const trusted = vault.trustedFiles.get(file.path);
  if (trusted === null) return { state: 'new' };
  if (trusted === 'damaged') return { state: 'damaged' };
  const changes = referenceChanges(trusted.refs, file.refs);
  const same = changes.added.length === 0 && changes.changed.length === 0 && changes.removed.length === 0;
  return same ? { state: 'trusted' } : { state: 'changed', before: trusted.refs, ...changes };
}

const MAX_NAMED = 5;
function someNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMED).join(', ');
  return names.length > MAX_NAMED ? `${shown} and ${names.length - MAX_NAMED} more` : shown;
}

/** Refuses a project file whose references are not the ones its owner trusted; the error names what changed. */
export function assertProjectTrusted(vault: Vault, file: ProjectFile): void {
  const trust = projectTrust(vault, file);
  if (trust.state === 'trusted') return;
  const read = 'Read it before you trust it';
  const chooses =
    file.kind === 'project'
      ? `a ${PROJECT_FILE} chooses which of the vault's secrets a command gets`
      : "a template chooses which of the vault's secrets are written out";
  let message: string;
  if (trust.state === 'new') {
    message = `${file.path} is not trusted: ${chooses}. ${read}.`;
  } else if (trust.state === 'damaged') {
    message = `The record that ${file.path} is trusted is damaged, so it counts as not trusted. ${read} again.`;
  } else {
    const parts = [
      trust.added.length > 0 ? `new: ${someNames(trust.added)}` : null,
      trust.changed.length > 0 ? `other references for: ${someNames(trust.changed)}` : null,
      trust.removed.length > 0 ? `no longer listed: ${someNames(trust.removed)}` : null,
    ].filter((p) => p !== null);
    message = `${file.path} changed since it was trusted (${parts.join('; ')}). ${read} again.`;
  }
  throw new KeyholdError('UntrustedFile', message, { field: file.kind === 'project' ? 'trustFile' : 'trustTemplate' });
}
