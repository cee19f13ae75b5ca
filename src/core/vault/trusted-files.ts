import type Database from 'better-sqlite3';
import type { TrustedFile } from '../../shared/contract';
import { compareText } from '../../shared/text';
import type { AuditLog } from './audit';
import type { Cells } from './cells';
import { tx } from './db';
import { SealedRecords, type SealedRecord } from './sealed-records';

type Body = Omit<TrustedFile, 'trustedAt'>;

const fileOf = (r: SealedRecord<Body>): TrustedFile => ({ path: r.body.path, refs: r.body.refs, trustedAt: new Date(r.at).toISOString() });

/**
 * The project files (`keyhold.toml`) and templates this vault's owner has trusted. A record is
 * written only with the vault key (SealedRecords), so a program that can write the person's files
 * but not open the vault cannot trust a file on their behalf. One record per path; trusting a path
 * again replaces its record.
 */
export class TrustedFiles {
  private readonly records: SealedRecords<Body>;

  constructor(
    private readonly db: Database.Database,
    cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {
    this.records = new SealedRecords<Body>(db, cells, 'trusted_files', 'trusted_at');
  }

  /** The trust recorded for a path: null if none, 'damaged' if its record fails its check. */
  get(path: string): TrustedFile | 'damaged' | null {
    const found = this.records.get(path);
    return found === null || found === 'damaged' ? found : fileOf(found);
  }

  /** Records that the person trusts these references at this path, replacing what was trusted there before. */
  trust(file: Body): TrustedFile {
    const at = this.now();
    const body: Body = { path: file.path, refs: file.refs };
    tx(this.db, () => {
      this.records.put(file.path, body, at);
      this.audit.append('file_trusted', { file: file.path, variables: Object.keys(file.refs).length });
    });
    return { ...body, trustedAt: new Date(at).toISOString() };
  }

  /** Forgets the trust of a path; false if it had none. */
  revoke(path: string): boolean {
    return tx(this.db, () => {
      const removed = this.records.remove(path);
      if (removed) this.audit.append('file_trust_revoked', { file: path });
      return removed;
    });
  }

  /** Every trusted file by path, and the row ids of records that fail their check (left out). */
  list(): { files: TrustedFile[]; damaged: string[] } {
    const { records, damaged } = this.records.all();
    return { files: records.map(fileOf).sort((a, b) => compareText(a.path, b.path)), damaged };
  }
}
