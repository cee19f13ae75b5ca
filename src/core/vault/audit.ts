import type Database from 'better-sqlite3';
import type { AuditEntry, AuditEvent, AuditVerifyResult } from '../../shared/domain';
import { equalBytes, hmac } from '../crypto/keys';
import { isStorageRefusal, sql, tx } from './db';
import { isTamperedCell, type Cells } from './cells';

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
    tx(db, () => sql(db, 'INSERT INTO audit_pending (at, event) VALUES (?, ?)').run(at, event));
  }

  /**
   * The chain head. Every vault has one from its first moment (its creation is audited), so a
   * missing head is damage or deletion, as is one that fails its check: 'lost', never "empty".
   */
  private head(): Head | 'lost' {
    const head = this.storedHead();
    if (head === 'lost') return head;
    // A head that does not name the newest entry (an old header put back, entries removed) is
    // no place to go on from either.
    const last = this.lastRow();
    return last && (last.seq !== head.seq || last.mac !== head.mac) ? 'lost' : head;
  }

  /** The head as stored, without checking it against the entries (verify() says what is wrong). */
  private storedHead(): Head | 'lost' {
    const row = sql(this.db, 'SELECT audit_head FROM vault_meta WHERE id = 1').get() as { audit_head: Buffer | null } | undefined;
    if (!row?.audit_head) return 'lost';
    try {
      return this.cells().decrypt<Head>('vault_meta', '1', 'audit_head', row.audit_head);
    } catch (e) {
      if (isTamperedCell(e)) return 'lost';
      throw e;
    }
  }

  /** Where to go on from when the head is lost: the last entry present. */
  private lastRow(): Head | null {
    const row = sql(this.db, 'SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; mac: Buffer } | undefined;
    return row ? { seq: row.seq, mac: row.mac.toString('hex') } : null;
  }

  private mac(prev: Buffer, seq: number, at: number, event: string, detail: Buffer): Buffer {
    return hmac(this.cells().auditKey, prev, String(seq), String(at), event, detail);
  }

  private appendAt(event: AuditEvent, detail: Detail, at: number, head: Head | null | 'lost' = this.head()): void {
    let after = head;
    if (after === 'lost') {
      // A lost head must not stop the vault, nor be forgotten once a new head is written: the
      // chain goes on from the last entry present, after an entry that records the break.
      const last = this.lastRow();
      after = this.write('audit_chain_broken', { reason: 'head_lost', lastEntry: last?.seq ?? 0 }, at, last);
    }
    this.write(event, detail, at, after);
  }

  /** Writes one entry after `prev` (null: the first entry) and makes it the head. */
  private write(event: AuditEvent, detail: Detail, at: number, prev: Head | null): Head {
    const cells = this.cells();
    const seq = (prev?.seq ?? 0) + 1;
    const sealed = cells.encrypt('audit_log', String(seq), 'detail', detail);
    const mac = this.mac(prev ? Buffer.from(prev.mac, 'hex') : GENESIS, seq, at, event, sealed);
    sql(this.db, 'INSERT INTO audit_log (seq, at, event, detail, mac) VALUES (?, ?, ?, ?, ?)').run(seq, at, event, sealed, mac);
    const head: Head = { seq, mac: mac.toString('hex') };
    sql(this.db, 'UPDATE vault_meta SET audit_head = ? WHERE id = 1').run(cells.encrypt('vault_meta', '1', 'audit_head', head));
    return head;
  }

  /** Appends within the caller's transaction when there is one (better-sqlite3 nests as a savepoint). */
  append(event: AuditEvent, detail: Detail = {}): void {
    tx(this.db, () => {
      const cells = this.cells();
      // Only under the key they were recorded with: a lock and another unlock in between drop them.
      for (const early of this.withNext) if (early.cells === cells) this.appendAt(early.event, early.detail, early.at);
      this.appendAt(event, detail, this.now());
      this.withNext = [];
    });
  }

  private withNext: { event: AuditEvent; detail: Detail; at: number; cells: Cells }[] = [];

  private readonly unrecordedListeners = new Set<(message: string) => void>();

  /**
   * Records a read that changes nothing (an unlock, a reveal, a copy). When the vault cannot store
   * the entry (a full disk, a read-only file, another process holding the write lock past the
   * wait), the read still happens and listeners hear why it went unrecorded: a person whose disk
   * filled up can still get at their own secrets. The entry then waits for this connection's next
   * entry, with the time of the read. It is a record, not a gate: whoever holds the password or a
   * session can open the vault's cells without Keyhold. Inside a caller's transaction it is an
   * ordinary append, since that transaction fails as a whole.
   */
  recordRead(event: AuditEvent, detail: Detail = {}): void {
    if (this.db.inTransaction) return this.append(event, detail);
    try {
      this.append(event, detail);
    } catch (e) {
      if (!isStorageRefusal(e)) throw e;
      this.appendWithNext(event, detail);
      const message = `${event === 'unlock_ok' ? 'This unlock' : 'Reading this secret'} was not recorded in the vault's audit log. ${e.message}`;
      for (const listener of this.unrecordedListeners) listener(message);
    }
  }

  /** Hears each read recordRead could not record, with a sentence saying why (no value in it). */
  onUnrecorded(listener: (message: string) => void): () => void {
    this.unrecordedListeners.add(listener);
    return () => this.unrecordedListeners.delete(listener);
  }

  /**
   * Records an event with this connection's next entry, in the same transaction, and not at all
   * if there is none: for a session's unlock, which alone reveals and changes nothing. Writing it
   * at once would make every read-only command pay a durable commit (and a checkpoint at close),
   * for an entry that protects nothing: a session token opens the vault files without Keyhold.
   * Every command that reveals a secret or changes the vault writes an entry, and this one first.
   */
  appendWithNext(event: AuditEvent, detail: Detail = {}): void {
    this.withNext.push({ event, detail, at: this.now(), cells: this.cells() });
  }

  /** The chain's first entry, written with the header of a new vault: from then on there is always a head. */
  start(): void {
    tx(this.db, () => this.write('vault_created', {}, this.now(), null));
  }

  /**
   * Recomputes every MAC in order under the current audit key, after a vault key rotation
   * re-sealed the entries. A chain that did not verify before gets a break entry, so a rotation
   * cannot launder it.
   */
  rechain(before: AuditVerifyResult): void {
    tx(this.db, () => {
      const rows = sql(this.db, 'SELECT seq, at, event, detail FROM audit_log ORDER BY seq').all() as Row[];
      let prev: Buffer = GENESIS;
      let head: Head | null = null;
      for (const r of rows) {
        const mac = this.mac(prev, r.seq, r.at, r.event, r.detail);
        sql(this.db, 'UPDATE audit_log SET mac = ? WHERE seq = ?').run(mac, r.seq);
        prev = mac;
        head = { seq: r.seq, mac: mac.toString('hex') };
      }
      sql(this.db, 'UPDATE vault_meta SET audit_head = ? WHERE id = 1').run(head ? this.cells().encrypt('vault_meta', '1', 'audit_head', head) : null);
      if (!before.ok) this.write('audit_chain_broken', { reason: 'broken_before_key_rotation', problem: before.problem }, this.now(), head);
    });
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
    return rows.map((r) => {
      let detail: Detail;
      try {
        detail = cells.decrypt<Detail>('audit_log', String(r.seq), 'detail', r.detail);
      } catch (e) {
        if (!isTamperedCell(e)) throw e;
        // One damaged entry does not hide the others; verify() reports it.
        detail = { damaged: true };
      }
      return { seq: r.seq, at: new Date(r.at).toISOString(), event: r.event, detail };
    });
  }

  verify(): AuditVerifyResult {
    const rows = sql(this.db, 'SELECT seq, at, event, detail, mac FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>;
    let prev: Buffer = GENESIS;
    let expectedSeq = 1;
    let count = 0;
    let broken: number | null = null;
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
      if (r.event === 'audit_chain_broken' && broken === null) broken = r.seq;
      prev = r.mac;
      expectedSeq++;
      count++;
    }
    const head = this.storedHead();
    if (head === 'lost') {
      return fail(`the chain head is missing or damaged, so entries after entry ${count} may have been removed.`);
    }
    if (head.seq !== count || head.mac !== prev.toString('hex')) {
      return fail(`the log ends at entry ${count} but the vault recorded ${head.seq} entries: newer entries were removed.`);
    }
    if (broken !== null) {
      return fail(
        `entry ${broken} records that the chain head was found missing or damaged (or the chain broken) at that time: entries before it may have been removed.`,
      );
    }
    return { ok: true, entries: count, problem: null };
  }
}
