// Child process for the memory benchmark: `keyhold` opens and unlocks the vault, lists and searches;
// `baseline` reads the same rows raw. Prints its peak RSS in MB.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Vault } from '../src/core/vault/vault';

const [mode, dir, password] = process.argv.slice(2) as ['keyhold' | 'baseline', string, string];
if (mode === 'keyhold') {
  const vault = Vault.open(join(dir, 'vault'));
  await vault.unlock(password);
  for (let i = 0; i < 100; i++) vault.profiles.list({ search: `profile-${i}` });
  vault.profiles.list();
  vault.close();
} else {
  const db = new Database(join(dir, 'baseline.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT * FROM profiles').all();
  process.stderr.write(`${rows.length}\n`);
  db.close();
}
process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
