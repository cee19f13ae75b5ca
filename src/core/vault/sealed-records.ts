import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { isTamperedCell, type Cells } from './cells';
import { sql } from './db';

/** One sealed record as stored: its row id, when it was written, and its body opened. */
export interface SealedRecord<T> {
  id: string;
  at: number;
  body: T;
}

/**
 * A table of records each found by a blind index of a key (a file's path, an agent id + name) and
 * sealed whole under the vault key: the trusted project files, the wrapped MCP configs and the
 * last Kura token of each agent + name. Written only with the vault
 * key, so a program that can write the person's files but not open the vault cannot forge one. One
 * record per key; `put` replaces. Callers wrap writes in their own transaction (with their audit).
 */
export class SealedRecords<T> {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly table: 'trusted_files' | 'wrapped_configs' | 'kura_identities',
    private readonly atColumn: 'trusted_at' | 'wrapped_at' | 'noted_at',
  ) {}

  private open(row: { id: string; at: number; body: Buffer }): SealedRecord<T> {
    return { id: row.id, at: row.at, body: this.cells().decrypt<T>(this.table, row.id, 'body', row.body) };
  }

  /** The record of a key: null if none, 'damaged' if it fails its check. */
  get(key: string): SealedRecord<T> | 'damaged' | null {
    const row = sql(this.db, `SELECT id, ${this.atColumn} AS at, body FROM ${this.table} WHERE lookup = ?`).get(this.cells().lookup(this.table, key)) as
      { id: string; at: number; body: Buffer } | undefined;
    if (!row) return null;
    try {
      return this.open(row);
    } catch (e) {
      if (isTamperedCell(e)) return 'damaged';
      throw e;
    }
  }

  /** Writes the record of a key, replacing the one before. */
  put(key: string, body: T, at: number): void {
    const cells = this.cells();
    const lookup = cells.lookup(this.table, key);
    const id = randomUUID();
    sql(this.db, `DELETE FROM ${this.table} WHERE lookup = ?`).run(lookup);
    sql(this.db, `INSERT INTO ${this.table} (id, lookup, ${this.atColumn}, body) VALUES (?, ?, ?, ?)`).run(
      id,
      lookup,
      at,
      cells.encrypt(this.table, id, 'body', body),
    );
  }

  /** Removes the record of a key; false if there was none. */
  remove(key: string): boolean {
    return sql(this.db, `DELETE FROM ${this.table} WHERE lookup = ?`).run(this.cells().lookup(this.table, key)).changes > 0;
  }

  /** Every record, and the row ids of those that fail their check (left out). */
  all(): { records: SealedRecord<T>[]; damaged: string[] } {
    this.cells();
    const records: SealedRecord<T>[] = [];
    const damaged: string[] = [];
    for (const row of sql(this.db, `SELECT id, ${this.atColumn} AS at, body FROM ${this.table}`).all() as { id: string; at: number; body: Buffer }[]) {
      try {
        records.push(this.open(row));
      } catch (e) {
        if (!isTamperedCell(e)) throw e;
        damaged.push(row.id);
      }
    }
    return { records, damaged: damaged.sort() };
  }
}
