import type Database from 'better-sqlite3';
import type { AuditEntry, AuditEvent, AuditVerifyResult } from '../../shared/domain';
import { equalBytes, hmac } from '../crypto/keys';
import { sql, tx } from './db';
import type { Cells } from './cells';

type Detail = AuditEntry['detail'];

interface Head {
  seq: number;
  mac: string;
}

interface Row {
  seq: number;
  at: number;
  event: AuditEvent;
  detail: Buffer;
  mac: Buffer;
}

const GENESIS = Buffer.alloc(32);

/**
 * The security event log: encrypted entries in a hash chain (each MAC covers the previous MAC),
 * with the chain head kept encrypted in vault_meta so removing the newest entries is detected too.
 * Events that happen while the vault is locked (failed unlocks) have no key to seal them with; they
 * wait in audit_pending, holding only a time and an event name, and join the chain at the next unlock.
 */
export class AuditLog {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly now: () => number,
  ) {}

  static recordLocked(db: Database.Database, event: 'unlock_failed', at: number): void {
    db.prepare('INSERT INTO audit_pending (at, event) VALUES (?, ?)').run(at, event);
  }

  private head(): Head | null {
    const row = sql(this.db, 'SELECT audit_head FROM vault_meta WHERE id = 1').get() as
      | { audit_head: Buffer | null }
      | undefined;
    if (!row?.audit_head) return null;
    return this.cells().decrypt<Head>('vault_meta', '1', 'audit_head', row.audit_head);
  }

  private mac(prev: Buffer, seq: number, at: number, event: string, detail: Buffer): Buffer {
    return hmac(this.cells().auditKey, prev, String(seq), String(at), event, detail);
  }

  private appendAt(event: AuditEvent, detail: Detail, at: number): void {
    const cells = this.cells();
    const head = this.head();
    const seq = (head?.seq ?? 0) + 1;
    const prev = head ? Buffer.from(head.mac, 'hex') : GENESIS;
    const sealed = cells.encrypt('audit_log', String(seq), 'detail', detail);
    const mac = this.mac(prev, seq, at, event, sealed);
    sql(this.db, 'INSERT INTO audit_log (seq, at, event, detail, mac) VALUES (?, ?, ?, ?, ?)').run(seq, at, event, sealed, mac);
    const newHead: Head = { seq, mac: mac.toString('hex') };
    sql(
        this.db,
        'UPDATE vault_meta SET audit_head = ? WHERE id = 1')
      .run(cells.encrypt('vault_meta', '1', 'audit_head', newHead));
  }

  /** Appends within the caller's transaction when there is one (better-sqlite3 nests as a savepoint). */
  append(event: AuditEvent, detail: Detail = {}): void {
    tx(this.db, () => this.appendAt(event, detail, this.now()));
  }

  /** Moves events recorded while locked into the chain. */
  foldPending(): number {
    const pending = sql(this.db, 'SELECT id, at, event FROM audit_pending ORDER BY id').all() as {
      id: number;
      at: number;
      event: 'unlock_failed';
    }[];
    if (pending.length === 0) return 0;
    tx(this.db, () => {
        for (const p of pending) {
          this.appendAt(p.event, { recordedWhileLocked: true }, p.at);
          sql(this.db, 'DELETE FROM audit_pending WHERE id = ?').run(p.id);
        }
      });
    return pending.length;
  }

  list(options: { limit?: number; event?: AuditEvent } = {}): AuditEntry[] {
    const limit = options.limit ?? 1000;
    const rows = (
      options.event
        ? sql(this.db, 'SELECT seq, at, event, detail FROM audit_log WHERE event = ? ORDER BY seq DESC LIMIT ?').all(options.event, limit)
        : sql(this.db, 'SELECT seq, at, event, detail FROM audit_log ORDER BY seq DESC LIMIT ?').all(limit)
    ) as Row[];
    const cells = this.cells();
    return rows.map((r) => ({
      seq: r.seq,
      at: new Date(r.at).toISOString(),
      event: r.event,
      detail: cells.decrypt<Detail>('audit_log', String(r.seq), 'detail', r.detail),
    }));
  }

  verify(): AuditVerifyResult {
    const rows = sql(this.db, 'SELECT seq, at, event, detail, mac FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>;
    let prev: Buffer = GENESIS;
    let expectedSeq = 1;
    let count = 0;
    const fail = (problem: string): AuditVerifyResult => ({ ok: false, entries: count, problem });
    for (const r of rows) {
      if (r.seq !== expectedSeq) return fail(`entry ${expectedSeq} is missing (next entry found is ${r.seq}).`);
      const mac = this.mac(prev, r.seq, r.at, r.event, r.detail);
      if (!equalBytes(mac, r.mac)) return fail(`entry ${r.seq} was altered, or an entry before it was removed.`);
      try {
        this.cells().decrypt('audit_log', String(r.seq), 'detail', r.detail);
      } catch {
        return fail(`entry ${r.seq} does not decrypt.`);
      }
      prev = r.mac;
      expectedSeq++;
      count++;
    }
    const head = this.head();
    if ((head?.seq ?? 0) !== count || (head && head.mac !== prev.toString('hex'))) {
      return fail(`the log ends at entry ${count} but the vault recorded ${head?.seq ?? 0} entries: newer entries were removed.`);
    }
    return { ok: true, entries: count, problem: null };
  }
}
