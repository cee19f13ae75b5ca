import Database from 'better-sqlite3';
import { dbPath } from '../../src/core/vault/db';

// What an attacker with write access to the vault file (or a bad disk sector) does to it: edits
// rows directly, outside Keyhold.

export const raw = (dir: string): Database.Database => new Database(dbPath(dir));

/** Flips one bit inside a stored cell of one row, as a damaged sector would. */
export function flipCell(dir: string, table: string, column: string, where: string, ...params: unknown[]): void {
  const db = raw(dir);
  try {
    const row = db.prepare(`SELECT rowid AS r, ${column} AS cell FROM ${table} WHERE ${where}`).get(...params) as { r: number; cell: Buffer } | undefined;
    if (!row) throw new Error(`no ${table} row where ${where}`);
    const cell = Buffer.from(row.cell);
    const at = Math.floor(cell.length / 2);
    cell[at] = (cell[at] as number) ^ 0x04;
    db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`).run(cell, row.r);
  } finally {
    db.close();
  }
}
