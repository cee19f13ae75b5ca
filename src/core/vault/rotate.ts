import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { sql } from './db';
import { CELL_TABLES } from './cell-map';
import { isTamperedCell, type Cells } from './cells';

/**
 * Re-encrypts every cell of the vault from one key to another, and recomputes the blind index
 * tags (but the placeholders of trashed items), inside the caller's transaction. A damaged cell opens under no key, so it is carried over
 * as it is (it stays damaged, and the vault check still lists it). Returns how many cells moved.
 */
export function reencryptAll(db: Database.Database, from: Cells, to: Cells): number {
  let moved = 0;
  for (const spec of CELL_TABLES) {
    const cols = spec.columns.join(', ');
    const keep = spec.keepLookupWhere === undefined ? '0' : `(${spec.keepLookupWhere})`;
    const rows = sql(db, `SELECT rowid AS _rowid, ${spec.rowId} AS _id, ${keep} AS _keep, ${cols} FROM ${spec.table}`).all() as Record<string, unknown>[];
    const sets = [...spec.columns.map((c) => `${c} = ?`), ...(spec.lookup ? ['lookup = COALESCE(?, lookup)'] : [])].join(', ');
    const update = sql(db, `UPDATE ${spec.table} SET ${sets} WHERE rowid = ?`);
    for (const row of rows) {
      const id = String(row._id);
      const plain: Record<string, unknown> = {};
      let intact = true;
      const values = spec.columns.map((column) => {
        const cell = row[column];
        if (!Buffer.isBuffer(cell)) return cell ?? null;
        try {
          const value = from.decrypt<unknown>(spec.table, id, column, cell);
          plain[column] = value;
          moved++;
          return to.encrypt(spec.table, id, column, value);
        } catch (e) {
          if (!isTamperedCell(e)) throw e;
          intact = false;
          return cell;
        }
      });
      // A trashed item gets a fresh placeholder: one an earlier rotation replaced with its real tag
      // (which kept its name taken) is mended too.
      const parts = spec.lookup && intact && !row._keep ? spec.lookup(plain) : null;
      const lookup = row._keep ? randomBytes(32) : parts ? to.lookup(spec.table, ...parts) : null;
      update.run(...values, ...(spec.lookup ? [lookup] : []), row._rowid);
    }
  }
  return moved;
}
