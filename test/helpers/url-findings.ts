import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectDotenv, detectJson, detectText, importFindings, scan, type WrapOptions } from '../../src/core/agents';
import type { Vault } from '../../src/core/vault/vault';
import { tempDir } from './vault';

/** The wrap options the URL-credential tests plan with. */
export const WRAP_OPTIONS: WrapOptions = { keyholdCommand: 'keyhold', keyholdArgs: [], profileName: 'mcp' };

export const rules = (found: readonly { rule: string }[]): string[] => found.map((f) => f.rule);

/** What each reader a URL can reach finds in one value: a .env line under `name`, free text, and a JSON `env` block. */
export function foundByEachReader(name: string, value: string) {
  return [detectDotenv(`${name}=${value}\n`), detectText(value), detectJson(JSON.stringify({ env: { [name]: value } }))];
}

/**
 * Scans a folder holding `agent/.env` with one `name=value` line and imports what it finds, as
 * `scan --import` does; `cleanup` removes the folder.
 */
export function importEnvLine(vault: Vault, agent: string, name: string, value: string) {
  const dir = tempDir('keyhold-url-import-');
  mkdirSync(join(dir.dir, agent));
  writeFileSync(join(dir.dir, agent, '.env'), `${name}=${value}\n`);
  const { findings } = scan({ paths: [dir.dir], wellKnown: false });
  const { outcomes } = importFindings(vault, findings);
  const profile = vault.profiles.list().find((p) => p.agentId === agent);
  return { outcomes, authData: profile ? vault.profiles.load(profile.id).secrets.authData : null, cleanup: dir.cleanup };
}
