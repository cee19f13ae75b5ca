import type Database from 'better-sqlite3';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import { tx } from './db';
import { SealedRecords } from './sealed-records';

/** What `mcp wrap` changed, as `mcp unwrap` needs it to put back that file and only that file. */
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
 * The MCP configs this vault's owner wrapped. A record is written only with the vault key
 * (SealedRecords), so a program that can write the config's folder (a shared folder, a pull of a
 * hostile commit) cannot make `mcp unwrap` write somewhere else, or write a backup it planted. One
 * record per path.
 */
export class WrappedConfigs {
  private readonly records: SealedRecords<WrapRecord>;

  constructor(
    private readonly db: Database.Database,
    cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {
    this.records = new SealedRecords<WrapRecord>(db, cells, 'wrapped_configs', 'wrapped_at');
  }

  /** The wrap recorded for a path: null if none, 'damaged' if its record fails its check. */
  get(path: string): WrapRecord | 'damaged' | null {
    const found = this.records.get(path);
    return found === null || found === 'damaged' ? found : found.body;
  }

  /** Records a wrap, replacing an earlier record of the same path (a wrap again with --force). */
  record(wrap: WrapRecord): void {
    tx(this.db, () => {
      this.records.put(wrap.path, wrap, this.now());
      this.audit.append('config_wrapped', { file: wrap.path });
    });
  }

  /** Forgets the wrap of a path once it was put back. */
  forget(path: string): void {
    tx(this.db, () => {
      if (this.records.remove(path)) this.audit.append('config_unwrapped', { file: path });
    });
  }
}
