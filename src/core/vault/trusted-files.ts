import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { TrustedFile } from '../../shared/contract';
import { compareText } from '../../shared/text';
import type { AuditLog } from './audit';
import { isTamperedCell, type Cells } from './cells';
import { sql, tx } from './db';

type Body = Omit<TrustedFile, 'trustedAt'>;

interface Row {
  id: string;
  trusted_at: number;
  body: Buffer;
}

/**
 * The project files (`keyhold.toml`) this vault's owner has trusted. A record is written only with
 * the vault key, so a program that can write the person's files but not open the vault cannot
 * trust a file on their behalf. One record per path; trusting a path again replaces its record.
 */
export class TrustedFiles {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  private open(row: Row): TrustedFile {
    const body = this.cells().decrypt<Body>('trusted_files', row.id, 'body', row.body);
    return { path: body.path, refs: body.refs, trustedAt: new Date(row.trusted_at).toISOString() };
  }

  /** The trust recorded for a path: null if none, 'damaged' if its record fails its check. */
  get(path: string): TrustedFile | 'damaged' | null {
    const row = sql(this.db, 'SELECT id, trusted_at, body FROM trusted_files WHERE lookup = ?').get(this.cells().lookup('trusted_files', path)) as
      Row | undefined;
    if (!row) return null;
    try {
      return this.open(row);
    } catch (e) {
      if (isTamperedCell(e)) return 'damaged';
      throw e;
    }
  }

  /** Records that the person trusts these references at this path, replacing what was trusted there before. */
  trust(file: Body): TrustedFile {
    const cells = this.cells();
    const lookup = cells.lookup('trusted_files', file.path);
    const id = randomUUID();
    const at = this.now();
    const body: Body = { path: file.path, refs: file.refs };
    tx(this.db, () => {
      sql(this.db, 'DELETE FROM trusted_files WHERE lookup = ?').run(lookup);
      sql(this.db, 'INSERT INTO trusted_files (id, lookup, trusted_at, body) VALUES (?, ?, ?, ?)').run(
        id,
        lookup,
        at,
        cells.encrypt('trusted_files', id, 'body', body),
      );
      this.audit.append('file_trusted', { file: file.path, variables: Object.keys(file.refs).length });
    });
    return { ...body, trustedAt: new Date(at).toISOString() };
  }

  /** Forgets the trust of a path; false if it had none. */
  revoke(path: string): boolean {
    const lookup = this.cells().lookup('trusted_files', path);
    return tx(this.db, () => {
      const removed = sql(this.db, 'DELETE FROM trusted_files WHERE lookup = ?').run(lookup).changes > 0;
      if (removed) this.audit.append('file_trust_revoked', { file: path });
      return removed;
    });
  }

  /** Every trusted file by path, and the row ids of records that fail their check (left out). */
  list(): { files: TrustedFile[]; damaged: string[] } {
    this.cells();
    const files: TrustedFile[] = [];
    const damaged: string[] = [];
    for (const row of sql(this.db, 'SELECT id, trusted_at, body FROM trusted_files').all() as Row[]) {
      try {
        files.push(this.open(row));
      } catch (e) {
        if (!isTamperedCell(e)) throw e;
        damaged.push(row.id);
      }
    }
    return { files: files.sort((a, b) => compareText(a.path, b.path)), damaged: damaged.sort() };
  }
}
