import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from '@decimalturn/toml-patch';
import { KeyholdError } from '../../shared/errors';
import { assertEnvName, quoteName } from '../devflow/env-names';
import { parseReference } from '../devflow/inject';
import { nestedTooDeeply } from './nesting';

/*
 * `keyhold.toml`: a project's list of the variables its programs need, each mapped to a reference
 * (`GITHUB_TOKEN = "keyhold://profile/agent-github/dev/GITHUB_TOKEN"`). It holds no value, so it
 * can be committed; `run` in the folder or below injects exactly these.
 */

export const PROJECT_FILE = 'keyhold.toml';

/** The nearest keyhold.toml in `from` or a folder above it, or null. */
export function findProjectFile(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The variables of a keyhold.toml and their references, checked: names are environment variable
 * names, values are references and nothing else (a value written there by mistake is refused and
 * never repeated in the message). A `[env]` table may hold them instead of the top level.
 */
export function parseProjectFile(text: string): Record<string, string> {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof RangeError) throw nestedTooDeeply(PROJECT_FILE);
    throw new KeyholdError('BadInput', `${PROJECT_FILE} is not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const table = data.env !== null && typeof data.env === 'object' && !Array.isArray(data.env) ? (data.env as Record<string, unknown>) : data;
  const refs: Record<string, string> = {};
  for (const [name, value] of Object.entries(table)) {
    if (table === data && name === 'env') continue;
    assertEnvName(name);
    if (typeof value !== 'string' || !value.startsWith('keyhold://')) {
      throw new KeyholdError('BadInput', `${PROJECT_FILE}: ${quoteName(name)} must be a keyhold:// reference; the file holds references only, never values.`, {
        field: name,
      });
    }
    parseReference(value);
    refs[name] = value;
  }
  return refs;
}
