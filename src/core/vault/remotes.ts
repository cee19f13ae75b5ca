import type Database from 'better-sqlite3';
import { tx } from './db';
import { REMOTE_LABEL as LABEL, RemoteInput, type RemoteKind, type RemoteSummary } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { parseBaseUrl } from '../sync/base-url';
import type { AuditLog } from './audit';
import { damagedError, isTamperedCell, type Cells } from './cells';

interface Row {
  kind: RemoteKind;
  updated_at: number;
  paused: 0 | 1;
  config: Buffer;
  secret: Buffer | null;
  status: Buffer | null;
}
interface Config {
  url: string;
}
interface Status {
  pausedReason: string | null;
  verifiedAt?: number;
  verifiedBy?: 'test' | 'sync';
  lastTest?: { ok: boolean; at: number; message: string | null };
}

export interface RemoteConnection {
  kind: RemoteKind;
  url: string;
  /** Kura: the API key; Backside: the bearer token. */
  credential: string | null;
  paused: boolean;
  /** When the address or credential was last set (plaintext column): a change mid-pass shows here. */
  updatedAt: number;
}

/** Where a connection would send what sync pushes (see `Remotes.destinationChange`). */
export interface RemoteDestination {
  kind: RemoteKind;
  /** The address as it would be stored (origin and base path). */
  url: string;
  /** A credential other than the saved one is given (for a new connection: any credential). */
  credentialChanged: boolean;
}

/** The two remote connections (one Kura, one Backside). Changing credentials lifts a pause. */
export class Remotes {
  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  private row(kind: RemoteKind): Row | undefined {
    return this.db.prepare('SELECT * FROM remotes WHERE kind = ?').get(kind) as Row | undefined;
  }

  /** Opens a connection's cells; one that fails its check makes that connection Damaged. */
  private open<T>(r: Pick<Row, 'kind'>, column: 'config' | 'secret' | 'status', cell: Buffer): T {
    try {
      return this.cells().decrypt<T>('remotes', r.kind, column, cell);
    } catch (e) {
      if (isTamperedCell(e)) throw damagedError('connection', r.kind, column);
      throw e;
    }
  }

  private summarize(r: Row): RemoteSummary {
    const status = r.status ? this.open<Status>(r, 'status', r.status) : null;
    const url = this.open<Config>(r, 'config', r.config).url;
    return {
      kind: r.kind,
      url,
      hasCredential: r.secret !== null,
      configured: url !== '' && r.secret !== null,
      paused: r.paused === 1,
      pausedReason: status?.pausedReason ?? null,
      verifiedAt: status?.verifiedAt === undefined ? null : new Date(status.verifiedAt).toISOString(),
      verifiedBy: status?.verifiedBy ?? null,
      lastTest: status?.lastTest ? { ...status.lastTest, at: new Date(status.lastTest.at).toISOString() } : null,
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  list(): RemoteSummary[] {
    return (this.db.prepare('SELECT * FROM remotes ORDER BY kind').all() as Row[]).flatMap((r) => {
      try {
        return [this.summarize(r)];
      } catch (e) {
        if ((e as { code?: string }).code === 'Damaged') return [];
        throw e;
      }
    });
  }

  /** The connections with a damaged cell (they are not in list(); setting them again repairs them). */
  damaged(): RemoteKind[] {
    const listed = new Set(this.list().map((r) => r.kind));
    return (this.db.prepare('SELECT kind FROM remotes ORDER BY kind').all() as { kind: RemoteKind }[]).map((r) => r.kind).filter((k) => !listed.has(k));
  }

  /** What `set(raw)` would store, checked as `set` checks it (the same refusals). */
  private plan(raw: RemoteInput) {
    // The address's own checks first: each names what is wrong with it (a space, a query, no host),
    // where the input schema can only say it is not an https:// address. Spaces around it are dropped.
    const input = parseInput(RemoteInput, typeof raw.url === 'string' ? { ...raw, url: parseBaseUrl(raw.url).href } : raw);
    const cells = this.cells();
    const existing = this.row(input.kind);
    const url = parseBaseUrl(input.url).href;
    const before = existing ? cells.decrypt<Config>('remotes', input.kind, 'config', existing.config).url : null;
    // A saved credential goes only to the server it was given for: moving the connection to another
    // origin without giving it again would send the API key (and every value a sync pushes) to
    // whatever address was typed, by mistake or by a page that asked for it.
    if (input.credential === undefined && existing?.secret && before !== null && new URL(before).origin !== new URL(url).origin) {
      throw new KeyholdError(
        'BadInput',
        `Give the ${LABEL[input.kind]} credential again to move the connection to ${new URL(url).origin}: a saved credential is sent only to the server it was given for (${new URL(before).origin}).`,
        { field: 'credential' },
      );
    }
    return { input, cells, existing, url, before };
  }

  /**
   * Where `set(raw)` would send what a sync pushes, when that is not where it goes now: another
   * address, another credential (another account on the same server), or a new connection. Null
   * when `set(raw)` would change neither. Refuses what `set` refuses.
   */
  destinationChange(raw: RemoteInput): RemoteDestination | null {
    const { input, existing, url, before } = this.plan(raw);
    const credentialChanged = input.credential !== undefined && input.credential !== this.savedCredential(existing);
    if (existing !== undefined && before === url && !credentialChanged) return null;
    return { kind: input.kind, url, credentialChanged };
  }

  /** Null when there is none, or none that opens (a damaged cell, which `set` writes over). */
  private savedCredential(r: Row | undefined): string | null {
    if (!r?.secret) return null;
    try {
      return this.open<string>(r, 'secret', r.secret);
    } catch (e) {
      if ((e as { code?: string }).code === 'Damaged') return null;
      throw e;
    }
  }

  set(raw: RemoteInput): RemoteSummary {
    const now = this.now();
    const { input, cells, existing, url, before } = this.plan(raw);
    const config = cells.encrypt('remotes', input.kind, 'config', { url } satisfies Config);
    const secret = input.credential === undefined ? (existing?.secret ?? null) : cells.encrypt('remotes', input.kind, 'secret', input.credential);
    // New credentials, or a new URL, deserve a fresh try, and what was verified was the old pair.
    const changed = input.credential !== undefined || before !== url;
    tx(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO remotes (kind, created_at, updated_at, paused, config, secret, status) VALUES (@kind, @now, @now, 0, @config, @secret, NULL)
             ON CONFLICT (kind) DO UPDATE SET updated_at = @now, config = @config, secret = @secret,
               paused = CASE WHEN @changed THEN 0 ELSE paused END, status = CASE WHEN @changed THEN NULL ELSE status END`,
        )
        .run({ kind: input.kind, now, config, secret, changed: changed ? 1 : 0 });
      this.audit.append('remote_changed', { kind: input.kind, credentialChanged: input.credential !== undefined });
    });
    return this.summarize(this.row(input.kind) as Row);
  }

  remove(kind: RemoteKind): void {
    if (!this.row(kind)) throw new KeyholdError('NotFound', `No ${LABEL[kind]} connection is set.`);
    tx(this.db, () => {
      this.db.prepare('DELETE FROM remotes WHERE kind = ?').run(kind);
      this.audit.append('remote_changed', { kind, removed: true });
    });
  }

  /** For the sync engine only: the connection with its credential. */
  connection(kind: RemoteKind): RemoteConnection | null {
    const r = this.row(kind);
    if (!r) return null;
    return {
      kind,
      url: this.open<Config>(r, 'config', r.config).url,
      credential: r.secret ? this.open<string>(r, 'secret', r.secret) : null,
      paused: r.paused === 1,
      updatedAt: r.updated_at,
    };
  }

  private status(kind: RemoteKind): Status {
    const r = this.row(kind);
    return r?.status ? this.cells().decrypt<Status>('remotes', kind, 'status', r.status) : { pausedReason: null };
  }

  private writeStatus(kind: RemoteKind, status: Status, paused?: boolean): void {
    const cell = this.cells().encrypt('remotes', kind, 'status', status);
    if (paused === undefined) this.db.prepare('UPDATE remotes SET status = ? WHERE kind = ?').run(cell, kind);
    else this.db.prepare('UPDATE remotes SET paused = ?, status = ? WHERE kind = ?').run(paused ? 1 : 0, cell, kind);
  }

  pause(kind: RemoteKind, reason: string): void {
    // What was verified before stays a fact about that time; the pause is the newer one.
    this.writeStatus(kind, { ...this.status(kind), pausedReason: reason }, true);
  }

  /**
   * A request just proved the address and credential work (a push succeeded, or a test could tell).
   * With `setAt`, only if they are still the ones set then: they may have changed meanwhile.
   */
  markVerified(kind: RemoteKind, at: number, by: 'test' | 'sync', setAt?: number): void {
    const r = this.row(kind);
    if (!r || (setAt !== undefined && r.updated_at !== setAt)) return;
    this.writeStatus(kind, { ...this.status(kind), verifiedAt: at, verifiedBy: by });
  }

  /** Keeps the outcome of a connection test; `verified` when the test proved the credential. */
  recordTest(kind: RemoteKind, result: { ok: boolean; at: number; message: string | null }, verified: boolean): void {
    if (!this.row(kind)) return;
    const next: Status = { ...this.status(kind), lastTest: result };
    if (verified) Object.assign(next, { verifiedAt: result.at, verifiedBy: 'test' });
    this.writeStatus(kind, next);
  }
}
