import { randomUUID } from 'node:crypto';
import { tx } from './db';
import type Database from 'better-sqlite3';
import { AgentInput, type AgentSummary } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import type { AuditLog } from './audit';
import { damagedError, isTamperedCell, type Cells } from './cells';

interface AgentBody {
  agentId: string;
  args: string[];
}

/** Agents' declared input arguments, used to check a profile's keys offline, as Kura would. */
export class AgentRegistry {
  private byAgentId = new Map<string, AgentSummary & { id: string }>();
  /** Declarations whose cell failed its check, by row id, with their lookup tag. */
  private quarantined = new Map<string, Buffer>();

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  buildIndex(): void {
    this.dropIndex();
    const rows = this.db.prepare('SELECT id, lookup, updated_at, body FROM agents').all() as { id: string; lookup: Buffer; updated_at: number; body: Buffer }[];
    for (const r of rows) {
      let body: AgentBody;
      try {
        body = this.cells().decrypt<AgentBody>('agents', r.id, 'body', r.body);
      } catch (e) {
        if (!isTamperedCell(e)) throw e;
        this.quarantined.set(r.id, r.lookup);
        continue;
      }
      this.byAgentId.set(body.agentId, { id: r.id, agentId: body.agentId, args: body.args, updatedAt: new Date(r.updated_at).toISOString() });
    }
  }

  dropIndex(): void {
    this.byAgentId.clear();
    this.quarantined.clear();
  }

  /** Row ids of the declarations that failed their check. */
  damaged(): string[] {
    return [...this.quarantined.keys()].sort();
  }

  private damagedFor(agentId: string): string | null {
    if (this.quarantined.size === 0) return null;
    const tag = this.cells().lookup('agents', agentId);
    for (const [id, lookup] of this.quarantined) if (lookup.equals(tag)) return id;
    return null;
  }

  list(): AgentSummary[] {
    return [...this.byAgentId.values()]
      .map(({ agentId, args, updatedAt }) => ({ agentId, args, updatedAt }))
      .sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  get(agentId: string): AgentSummary | undefined {
    const a = this.byAgentId.get(agentId);
    return a && { agentId: a.agentId, args: a.args, updatedAt: a.updatedAt };
  }

  set(raw: { agentId: string; args: string[] }): AgentSummary {
    const input = parseInput(AgentInput, raw);
    const args = [...new Set(input.args)];
    const now = this.now();
    // Declaring an agent again replaces a damaged declaration of it: nothing of the old one is needed.
    const replaced = this.damagedFor(input.agentId);
    const existing = this.byAgentId.get(input.agentId) ?? (replaced ? { id: replaced } : undefined);
    const id = existing?.id ?? randomUUID();
    const body = this.cells().encrypt('agents', id, 'body', { agentId: input.agentId, args } satisfies AgentBody);
    tx(this.db, () => {
        if (existing) {
          this.db.prepare('UPDATE agents SET updated_at = ?, body = ? WHERE id = ?').run(now, body, id);
        } else {
          this.db
            .prepare('INSERT INTO agents (id, lookup, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?)')
            .run(id, this.cells().lookup('agents', input.agentId), now, now, body);
        }
        this.audit.append('agent_changed', { id });
      });
    const summary = { agentId: input.agentId, args, updatedAt: new Date(now).toISOString() };
    this.byAgentId.set(input.agentId, { id, ...summary });
    this.quarantined.delete(id);
    return summary;
  }

  /** Refuses keys the agent has not declared; agents with no declaration accept any key. */
  checkKeys(agentId: string, keys: string[]): void {
    const agent = this.byAgentId.get(agentId);
    if (!agent) {
      // Without its declaration the keys cannot be checked; saying so beats accepting anything.
      const damaged = this.damagedFor(agentId);
      if (damaged) throw damagedError('agent declaration', damaged, 'body');
      return;
    }
    const declared = new Set(agent.args);
    const undeclared = keys.filter((k) => !declared.has(k));
    if (undeclared.length > 0) {
      throw new KeyholdError(
        'UndeclaredKey',
        `Agent "${agentId}" does not declare ${undeclared.map((k) => `"${k}"`).join(', ')} as input argument${undeclared.length > 1 ? 's' : ''}; it declares ${agent.args.length ? agent.args.map((k) => `"${k}"`).join(', ') : 'none'}.`,
        { field: undeclared[0] },
      );
    }
  }
}
