import type { DamagedCell, DoctorReport } from '../../shared/domain';
import { sql } from './db';
import { CELL_TABLES } from './cell-map';
import { isTamperedCell } from './cells';
import { checkHeader, readHeader } from './header';
import { permissionProblem } from './permissions';
import type { Vault } from './vault';

/** SQLite's own check, the header's and the files' modes, which need no key: what can be said of a vault that will not unlock. */
export function examineLocked(vault: Vault): Pick<DoctorReport, 'database' | 'header' | 'files'> {
  const check = vault.db.pragma('quick_check', { simple: true }) as string;
  const database = { ok: check === 'ok', problem: check === 'ok' ? null : `SQLite's integrity check failed: ${check}` };
  let problem: string | null;
  try {
    problem = checkHeader(readHeader(vault.db));
  } catch (e) {
    problem = e instanceof Error ? e.message : 'The header is unreadable.';
  }
  const exposed = permissionProblem(vault.dir);
  return { database, header: { ok: problem === null, problem }, files: { ok: exposed === null, problem: exposed } };
}

/**
 * Opens every encrypted cell of an unlocked vault and lists the ones that fail their check, with
 * the state of the database, the header, the listing index and the audit chain. Reads only; the
 * saved index snapshot is derived data, so a bad one is reported as rebuilt rather than damaged.
 */
export function examine(vault: Vault): DoctorReport {
  const cells = vault.cells();
  const damaged: DamagedCell[] = [];
  for (const spec of CELL_TABLES) {
    if (spec.table === 'index_cache') continue;
    const rows = sql(vault.db, `SELECT ${spec.rowId} AS _id, ${spec.columns.join(', ')} FROM ${spec.table}`).iterate() as IterableIterator<
      Record<string, unknown>
    >;
    for (const row of rows) {
      const rowId = String(row._id);
      for (const column of spec.columns) {
        const cell = row[column];
        // The chain head is never legitimately empty (see AuditLog.head).
        if (cell === null && spec.table === 'vault_meta' && column === 'audit_head') {
          damaged.push({ table: spec.table, rowId, column, item: spec.item });
        }
        if (!Buffer.isBuffer(cell)) continue;
        try {
          cells.decrypt(spec.table, rowId, column, cell);
        } catch (e) {
          if (!isTamperedCell(e)) throw e;
          damaged.push({ table: spec.table, rowId, column, item: spec.item });
        }
      }
    }
  }
  for (const cell of damaged) Object.assign(cell, whoseCell(vault, cell));
  const snapshot = vault.profiles.indexState;
  const locked = examineLocked(vault);
  const audit = vault.audit.verify();
  return {
    ok: locked.database.ok && locked.header.ok && locked.files.ok && audit.ok && damaged.length === 0,
    ...locked,
    index: { snapshot, rebuiltFromRows: snapshot !== 'fresh' },
    audit,
    damaged,
  };
}

/** Which profile or BYOK key a damaged cell belongs to, and whether it is in the trash: what a person needs to act on it. */
function whoseCell(vault: Vault, cell: DamagedCell): Pick<DamagedCell, 'name' | 'trashed'> {
  if (cell.table !== 'profiles' && cell.table !== 'byok_keys') return {};
  const row = sql(vault.db, `SELECT meta, trashed_at FROM ${cell.table} WHERE id = ?`).get(cell.rowId) as
    { meta: Buffer; trashed_at: number | null } | undefined;
  if (!row) return {};
  const trashed = row.trashed_at !== null;
  try {
    const meta = vault.cells().decrypt<{ agentId?: string; name?: string; kind?: string }>(cell.table, cell.rowId, 'meta', row.meta);
    return { name: cell.table === 'profiles' ? `${meta.agentId}/${meta.name}` : String(meta.kind), trashed };
  } catch (e) {
    if (!isTamperedCell(e)) throw e;
    return { trashed };
  }
}
