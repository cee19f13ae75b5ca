import { existsSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { keyHint } from '../../shared/domain';
import { KeyholdError } from '../../shared/errors';
import { parseDotenv } from '../devflow/dotenv';
import { assignmentLines, detect, formatPath, type Detected, type FileFormat } from './detect';
import { HEADER_RULE_IDS } from './headers';
import { formatOf, wellKnownPlaces } from './locations';
import { GENERIC_RULE, URL_PASSWORD_RULE } from './rules';
import { findUrlPasswords } from '../devflow/url-password';
import { errorText, isLink, MAX_CONFIG_BYTES, MAX_FILE_BYTES, readScanned, walkTree, type Skip, type SkippedFile } from './walk';

/** Whether the vault holds the same value: only known while it is unlocked. */
export type InVault = 'yes' | 'no' | 'unknown';

export interface Finding extends Detected {
  file: string;
  /** The path as people read it, e.g. `mcpServers.github.env.GITHUB_TOKEN`; empty for free text. */
  where: string;
  /** The key's public prefix and last four characters, e.g. `sk-ant-…a1b2`. */
  masked: string;
  inVault: InVault;
  /** Where the vault holds it, e.g. `byok claude-code`, when it does. */
  vaultItem: string | null;
  /** The file is one of the well-known places (one per home: `~/.zshrc`), whatever way the scan came to it. */
  wellKnown: boolean;
}

export interface ScanOptions {
  /** Trees (or single files) to search, besides the well-known places. */
  paths: readonly string[];
  /** Look in the agent tools' own config locations and the shell start-up files. */
  wellKnown: boolean;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Where the vault holds a value, or null; absent when the vault is not open. */
  lookup?: (value: string) => string | null;
}

export interface ScanResult {
  findings: Finding[];
  /** How many files were read (after name, size and binary checks). */
  filesRead: number;
  /** The files it meant to read and could not, by path: never those ignored by design (node_modules, .gitignore). */
  skipped: SkippedFile[];
}

/**
 * A known format's prefix is public, so it is shown; of a value of unknown shape only the end is;
 * of a URL its scheme and host, never its userinfo.
 */
function maskedHint(d: Detected): string {
  if (d.rule === URL_PASSWORD_RULE.id) return findUrlPasswords(d.value, 'value')[0]?.hint ?? '…';
  if (d.rule !== GENERIC_RULE.id && d.rule !== DOTENV_BESIDE_KEYHOLD_TOML && !HEADER_RULE_IDS.has(d.rule)) return keyHint(d.value);
  return d.value.length >= 20 ? `…${d.value.slice(-4)}` : '…';
}

/** The finding for a .env that still holds values next to a keyhold.toml that names references instead. */
export const DOTENV_BESIDE_KEYHOLD_TOML = 'dotenv-beside-keyhold-toml';

function besideKeyholdToml(file: string, text: string, already: readonly Detected[]): Detected[] {
  if (!existsSync(join(dirname(file), 'keyhold.toml'))) return [];
  const lines = assignmentLines(text);
  const out: Detected[] = [];
  for (const [name, value] of Object.entries(parseDotenv(text))) {
    if (value === '' || already.some((d) => d.name === name)) continue;
    out.push({
      line: lines.get(name) ?? 1,
      path: [name],
      name,
      server: null,
      rule: DOTENV_BESIDE_KEYHOLD_TOML,
      label: 'Value in a .env beside keyhold.toml',
      provider: null,
      source: 'dotenv',
      value,
    });
  }
  return out;
}

/** What a path named to scan is, or a BadInput error saying why there is nothing there to scan. */
function statOfGiven(given: string, root: string): Stats {
  try {
    return statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let why = code === 'ELOOP' ? 'a loop of symbolic links' : `cannot be reached (${errorText(e)})`;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      why = isLink(root) ? 'a symbolic link to a file or folder that does not exist' : 'no such file or folder';
    }
    throw new KeyholdError('BadInput', `Nothing to scan at ${given}: ${why}.`);
  }
}

/**
 * Looks for credentials lying in plain files: the agent tools' configs, shell start-up files and
 * the given trees. Each file is read once; values stay in the findings for an import and are never
 * part of a message.
 */
export function scan(options: ScanOptions): ScanResult {
  const files = new Map<string, FileFormat>();
  const places = wellKnownPlaces(options.env, options.platform);
  if (options.wellKnown) for (const place of places) files.set(resolve(place.path), place.format);
  // Read whatever their size (up to MAX_CONFIG_BYTES), also when a walk finds them: the agent tools' own configs, and files named.
  const wellKnown = new Set(places.map((place) => resolve(place.path)));
  const chosen = new Set(wellKnown);
  const passed = new Map<string, Skip>();
  for (const given of options.paths) {
    const root = resolve(given);
    if (statOfGiven(given, root).isDirectory()) {
      for (const f of walkTree(root, (path, skip) => passed.set(path, skip))) if (!files.has(f.path)) files.set(f.path, f.format);
    } else {
      // A single file named on the command line is read even if its name is not a usual one.
      if (!files.has(root)) files.set(root, formatOf(root) ?? 'text');
      chosen.add(root);
    }
  }

  const findings: Finding[] = [];
  const skipped = new Map<string, SkippedFile>();
  let filesRead = 0;
  for (const [file, format] of files) {
    const read = readScanned(file, chosen.has(file) ? MAX_CONFIG_BYTES : MAX_FILE_BYTES);
    if (read === null) continue;
    if (!('text' in read)) {
      skipped.set(file, { path: file, ...read });
      continue;
    }
    const { text } = read;
    filesRead++;
    const found = detect(format, text);
    if (format === 'dotenv') found.push(...besideKeyholdToml(file, text, found));
    for (const d of found) {
      const vaultItem = options.lookup ? options.lookup(d.value) : null;
      findings.push({
        ...d,
        file,
        where: formatPath(d.path),
        masked: maskedHint(d),
        inVault: options.lookup ? (vaultItem ? 'yes' : 'no') : 'unknown',
        vaultItem,
        wellKnown: wellKnown.has(file),
      });
    }
  }
  // A link a walk passed over may be a well-known place, read through the link as such.
  for (const [path, skip] of passed) if (!files.has(path)) skipped.set(path, { path, ...skip });
  return { findings, filesRead, skipped: [...skipped.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/**
 * A finding as it may be shown or written out: everything but the value, and but the label of its
 * list entry (`entry`), text of the file kept only to name a key at import, where the key shows it.
 */
export function publicFinding(f: Finding): Omit<Finding, 'value' | 'entry'> {
  const { value: _value, entry: _entry, ...rest } = f;
  return rest;
}
