import { randomUUID } from 'node:crypto';
import { tx } from './db';
import type Database from 'better-sqlite3';
import { AgentInput, type AgentSummary } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import type { AuditLog } from './audit';
import type { Cells } from './cells';

interface AgentBody {
  agentId: string;
  args: string[];
}

/** Agents' declared input arguments, used to check a profile's keys offline, as Kura would. */
export class AgentRegistry {
  private byAgentId = new Map<string, AgentSummary & { id: string }>();

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  buildIndex(): void {
    this.byAgentId.clear();
    const rows = this.db.prepare('SELECT id, updated_at, body FROM agents').all() as { id: string; updated_at: number; body: Buffer }[];
    for (const r of rows) {
      const body = this.cells().decrypt<AgentBody>('agents', r.id, 'body', r.body);
      this.byAgentId.set(body.agentId, { id: r.id, agentId: body.agentId, args: body.args, updatedAt: new Date(r.updated_at).toISOString() });
    }
  }

  dropIndex(): void {
    this.byAgentId.clear();
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
    const existing = this.byAgentId.get(input.agentId);
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
    return summary;
  }

  /** Forgets an agent's declaration; its profiles then accept any key again (as Kura would not). */
  remove(agentId: string): AgentSummary {
    const existing = this.byAgentId.get(agentId);
    if (!existing) throw new KeyholdError('NotFound', `No declared agent "${agentId}".`, { field: 'agentId' });
    tx(this.db, () => {
      this.db.prepare('DELETE FROM agents WHERE id = ?').run(existing.id);
      this.audit.append('agent_changed', { id: existing.id, removed: true });
    });
    this.byAgentId.delete(agentId);
    return { agentId: existing.agentId, args: existing.args, updatedAt: existing.updatedAt };
  }

  /** Refuses keys the agent has not declared; agents with no declaration accept any key. */
  checkKeys(agentId: string, keys: string[]): void {
    const agent = this.byAgentId.get(agentId);
    if (!agent) return;
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
