import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditLog } from './audit';
import { isTamperedCell, type Cells } from './cells';
import { sql, tx } from './db';

/** What \`mcp wrap\` changed, as \`mcp unwrap\` needs it to put back that file and only that file. */
export interface WrapRecord {
  /** The config's path as given, made absolute: what the record is found by. */
  path: string;
  /** The file that was written: the path itself, or the file a link there led to (dotfiles). */
  target: string;
  /** SHA-256 (hex) of the backup written beside the path: the original, secrets included. */
  backupSha256: string;
  /** SHA-256 (hex) of the wrapped text written to the target. */
  wrappedSha256: string;
}

/** What applying and undoing a wrap needs of the vault's records. */
export type WrapRecords = Pick<WrappedConfigs, 'get' | 'record' | 'forget'>;

/**
 * The MCP configs this vault's owner wrapped. A record is written only with the vault key, so a
 * program that can write the config's folder (a shared folder, a pull of a hostile commit) cannot
 * make \`mcp unwrap\` write somewhere else, or write a backup it planted. One record per path.
 */
export class WrappedConfigs {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  /** The wrap recorded for a path: null if none, 'damaged' if its record fails its check. */
  get(path: string): WrapRecord | 'damaged' | null {
    const row = sql(this.db, 'SELECT id, body FROM wrapped_configs WHERE lookup = ?').get(this.cells().lookup('wrapped_configs', path)) as
      { id: string; body: Buffer } | undefined;
    if (!row) return null;
    try {
      return this.cells().decrypt<WrapRecord>('wrapped_configs', row.id, 'body', row.body);
    } catch (e) {
      if (isTamperedCell(e)) return 'damaged';
      throw e;
    }
  }

  /** Records a wrap, replacing an earlier record of the same path (a wrap again with --force). */
  record(wrap: WrapRecord): void {
    const cells = this.cells();
    const lookup = cells.lookup('wrapped_configs', wrap.path);
    const id = randomUUID();
    tx(this.db, () => {
      sql(this.db, 'DELETE FROM wrapped_configs WHERE lookup = ?').run(lookup);
      sql(this.db, 'INSERT INTO wrapped_configs (id, lookup, wrapped_at, body) VALUES (?, ?, ?, ?)').run(
        id,
        lookup,
        this.now(),
        cells.encrypt('wrapped_configs', id, 'body', wrap),
      );
      this.audit.append('config_wrapped', { file: wrap.path });
    });
  }

  /** Forgets the wrap of a path once it was put back. */
  forget(path: string): void {
    const lookup = this.cells().lookup('wrapped_configs', path);
    tx(this.db, () => {
      if (sql(this.db, 'DELETE FROM wrapped_configs WHERE lookup = ?').run(lookup).changes > 0) this.audit.append('config_unwrapped', { file: path });
    });
  }
}
