import { randomUUID } from 'node:crypto';
import { dataVersion, tx } from './db';
import type Database from 'better-sqlite3';
import { AgentInput, undeclaredKeys, type AgentSummary } from '../../shared/domain';
import { KeyholdError, parseInput } from '../../shared/errors';
import { assertEnvName, dangerousEnvName, quoteName, refuseKeyholdVariables } from '../devflow/env-names';
import type { AuditLog } from './audit';
import { damagedError, isTamperedCell, type Cells } from './cells';
import { compareText } from '../../shared/text';

/** The variable `run` puts a profile's Kura auth token in, unless its agent names another. */
export const DEFAULT_TOKEN_ENV = 'KURA_AUTH_TOKEN';

interface AgentBody {
  agentId: string;
  /** Declared input arguments; null when only other settings (the token variable) were given. */
  args: string[] | null;
  tokenEnv?: string | null;
}

interface Entry {
  id: string;
  agentId: string;
  args: string[] | null;
  tokenEnv: string | null;
  updatedAt: string;
}

/** Refuses a token variable name that is not a plain name, is Keyhold's own, or changes how a program runs. */
export function assertTokenEnv(agentId: string, name: string): void {
  assertEnvName(name);
  const where = `The token variable of agent ${quoteName(agentId)}`;
  refuseKeyholdVariables([name], where);
  const what = dangerousEnvName(name);
  if (what === null) return;
  throw new KeyholdError(
    'DangerousKey',
    `${where} cannot be ${quoteName(name)}: it changes how a program loads or runs (${what}), and keyhold run would set it to the Kura token ` +
      `in every program it starts. A token variable never needs such a name, so no allowance is offered: use one that only carries a value, e.g. ${DEFAULT_TOKEN_ENV}.`,
    { field: 'tokenEnv' },
  );
}

const summaryOf = (a: Entry & { args: string[] }): AgentSummary => ({ agentId: a.agentId, args: a.args, updatedAt: a.updatedAt, tokenEnv: a.tokenEnv });
const declared = (a: Entry | undefined): a is Entry & { args: string[] } => a !== undefined && a.args !== null;

/**
 * Agents' declared input arguments, used to check a profile's keys offline, as Kura would, and
 * per-agent settings for the developer workflow (the name of the token variable).
 */
export class AgentRegistry {
  private byAgentId = new Map<string, Entry>();
  /** PRAGMA data_version when the index was built: it changes when another process commits. */
  private seen: number | null = null;
  /** Declarations whose cell failed its check, by row id, with their lookup tag. */
  private quarantined = new Map<string, Buffer>();

  constructor(
    private readonly db: Database.Database,
    private readonly cells: () => Cells,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  /** Another process wrote since the index was built: rebuild it, so its agents are seen. */
  private fresh(): void {
    if (this.seen !== null && this.seen !== dataVersion(this.db)) this.buildIndex();
  }

  buildIndex(): void {
    this.dropIndex();
    this.seen = dataVersion(this.db);
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
      this.byAgentId.set(body.agentId, {
        id: r.id,
        agentId: body.agentId,
        args: body.args,
        tokenEnv: body.tokenEnv ?? null,
        updatedAt: new Date(r.updated_at).toISOString(),
      });
    }
  }

  dropIndex(): void {
    this.byAgentId.clear();
    this.seen = null;
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

  /** Agents that declare their input arguments. */
  list(): AgentSummary[] {
    this.fresh();
    return [...this.byAgentId.values()]
      .filter(declared)
      .map(summaryOf)
      .sort((a, b) => compareText(a.agentId, b.agentId));
  }

  /** Every agent with any setting; `args` is null where none are declared. */
  listAll(): (Omit<AgentSummary, 'args'> & { args: string[] | null })[] {
    this.fresh();
    return [...this.byAgentId.values()]
      .map(({ agentId, args, updatedAt, tokenEnv }) => ({ agentId, args, updatedAt, tokenEnv }))
      .sort((a, b) => compareText(a.agentId, b.agentId));
  }

  /** The agent's declaration, if it declares its arguments. */
  get(agentId: string): AgentSummary | undefined {
    this.fresh();
    const a = this.byAgentId.get(agentId);
    return declared(a) ? summaryOf(a) : undefined;
  }

  /** The environment variable `run` puts this agent's profiles' Kura token in. */
  tokenEnvFor(agentId: string): string {
    this.fresh();
    return this.byAgentId.get(agentId)?.tokenEnv ?? DEFAULT_TOKEN_ENV;
  }

  /** `declares`: the change declares the arguments anew, so a damaged declaration may be replaced. */
  private save(agentId: string, declares: boolean, change: (prev: Entry | undefined) => { args: string[] | null; tokenEnv: string | null }): Entry {
    const now = this.now();
    // Whether the agent exists decides between insert and update, so it is read in the same
    // transaction as the write, after catching up with any other process's writes.
    const entry = tx(this.db, (): Entry => {
      this.fresh();
      const existing = this.byAgentId.get(agentId);
      const replaced = existing ? null : this.damagedFor(agentId);
      // Only a new declaration may take a damaged one's place: anything else would keep settings
      // on top of arguments nobody can read any more.
      if (replaced && !declares) throw damagedError('agent declaration', replaced, 'body');
      const id = existing?.id ?? replaced ?? randomUUID();
      const next = change(existing);
      const body = this.cells().encrypt('agents', id, 'body', { agentId, args: next.args, tokenEnv: next.tokenEnv } satisfies AgentBody);
      if (existing || replaced) {
        this.db.prepare('UPDATE agents SET updated_at = ?, body = ? WHERE id = ?').run(now, body, id);
      } else {
        this.db
          .prepare('INSERT INTO agents (id, lookup, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?)')
          .run(id, this.cells().lookup('agents', agentId), now, now, body);
      }
      this.audit.append('agent_changed', { id });
      return { id, agentId, ...next, updatedAt: new Date(now).toISOString() };
    });
    this.byAgentId.set(agentId, entry);
    this.quarantined.delete(entry.id);
    return entry;
  }

  set(raw: { agentId: string; args: string[] }): AgentSummary {
    const input = parseInput(AgentInput, raw);
    const args = [...new Set(input.args)];
    const entry = this.save(input.agentId, true, (prev) => ({ args, tokenEnv: prev?.tokenEnv ?? null }));
    return summaryOf({ ...entry, args });
  }

  /**
   * Names the variable for this agent's Kura token; null restores the default. The name is checked
   * as an environment variable name, and refused if it is one of Keyhold's own or one that changes
   * how a program loads or runs (env-names.ts): `run` would set it to the token in every program it
   * starts. Unlike a profile's keys, no such name can be allowed: a token never needs to be NODE_OPTIONS.
   */
  setTokenEnv(agentId: string, tokenEnv: string | null): { agentId: string; tokenEnv: string } {
    const { agentId: checkedId } = parseInput(AgentInput, { agentId, args: [] });
    if (tokenEnv !== null) assertTokenEnv(checkedId, tokenEnv);
    this.save(checkedId, false, (prev) => ({ args: prev?.args ?? null, tokenEnv }));
    return { agentId: checkedId, tokenEnv: tokenEnv ?? DEFAULT_TOKEN_ENV };
  }

  /**
   * Forgets an agent: its declared arguments and its token variable. Its profiles then accept any
   * key again (as Kura would not) and `run` uses the default token variable.
   */
  remove(agentId: string): AgentSummary {
    const existing = tx(this.db, () => {
      this.fresh();
      const found = this.byAgentId.get(agentId);
      if (!found) throw new KeyholdError('NotFound', `No agent "${agentId}" is declared.`, { field: 'agentId' });
      this.db.prepare('DELETE FROM agents WHERE id = ?').run(found.id);
      this.audit.append('agent_changed', { id: found.id, removed: true });
      return found;
    });
    this.byAgentId.delete(agentId);
    return { agentId: existing.agentId, args: existing.args ?? [], updatedAt: existing.updatedAt, tokenEnv: existing.tokenEnv };
  }

  /** Refuses keys the agent has not declared; agents with no declaration accept any key. */
  checkKeys(agentId: string, keys: string[]): void {
    this.fresh();
    const agent = this.byAgentId.get(agentId);
    if (!agent) {
      // Without its declaration the keys cannot be checked; saying so beats accepting anything.
      const damaged = this.damagedFor(agentId);
      if (damaged) throw damagedError('agent declaration', damaged, 'body');
      return;
    }
    const undeclared = undeclaredKeys(agent.args, keys);
    if (undeclared.length > 0 && agent.args) {
      throw new KeyholdError(
        'UndeclaredKey',
        `Agent "${agentId}" does not declare ${undeclared.map((k) => `"${k}"`).join(', ')} as input argument${undeclared.length > 1 ? 's' : ''}; it declares ${agent.args.length ? agent.args.map((k) => `"${k}"`).join(', ') : 'none'}.`,
        { field: undeclared[0] },
      );
    }
  }
}
