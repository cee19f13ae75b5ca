import type { Table } from './cells';
import { identityKey } from './kura-identities';

/**
 * Every encrypted cell column of the schema, in one list: the vault check walks it to find
 * damaged cells, and a key rotation walks it to re-encrypt everything. A column added by a
 * migration belongs here too; `test/security/old-header-grafted.test.ts` fails until it is.
 *
 * `rowId` is the SQL expression that gives the row id bound into each cell's associated data.
 * `lookup` recomputes a row's blind index tag from its decrypted cells (it is keyed by the vault
 * key, so it changes with it).
 */
export interface CellTable {
  table: Table;
  rowId: string;
  columns: readonly string[];
  /** What a damaged cell of this table takes down, for the vault check. */
  item:
    | 'profile'
    | 'BYOK key'
    | 'agent declaration'
    | 'connection'
    | 'contact'
    | 'history entry'
    | 'sync queue entry'
    | 'audit entry'
    | 'sharing keys'
    | 'audit chain head'
    | 'index snapshot'
    | 'trusted project file'
    | 'wrapped MCP config'
    | 'Kura token record';
  lookup?: (cells: Record<string, unknown>) => string[] | null;
  /**
   * SQL for rows whose tag is not the real one: a trashed profile or key holds random bytes there,
   * so that its name is free meanwhile (ItemStore.trash). A rotation gives them fresh random bytes:
   * given its real tag, such a row would collide with an item of that name made since.
   */
  keepLookupWhere?: string;
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parts(...values: unknown[]): string[] | null {
  const out = values.map(str);
  return out.every((v) => v !== null) ? (out as string[]) : null;
}

export const CELL_TABLES: readonly CellTable[] = [
  { table: 'vault_meta', rowId: 'CAST(id AS TEXT)', columns: ['audit_head'], item: 'audit chain head' },
  { table: 'remotes', rowId: 'kind', columns: ['config', 'secret', 'status'], item: 'connection' },
  {
    table: 'agents',
    rowId: 'id',
    columns: ['body'],
    item: 'agent declaration',
    lookup: (c) => parts(obj(c.body).agentId),
  },
  {
    table: 'profiles',
    rowId: 'id',
    columns: ['meta', 'secrets', 'remote'],
    item: 'profile',
    lookup: (c) => parts(obj(c.meta).agentId, obj(c.meta).name),
    keepLookupWhere: 'trashed_at IS NOT NULL',
  },
  { table: 'profile_versions', rowId: 'id', columns: ['body'], item: 'history entry' },
  {
    table: 'byok_keys',
    rowId: 'id',
    columns: ['meta', 'secrets', 'remote'],
    item: 'BYOK key',
    lookup: (c) => parts(obj(c.meta).kind),
    keepLookupWhere: 'trashed_at IS NOT NULL',
  },
  { table: 'byok_versions', rowId: 'id', columns: ['body'], item: 'history entry' },
  { table: 'outbox', rowId: "item_kind || ':' || item_id", columns: ['last_error'], item: 'sync queue entry' },
  { table: 'audit_log', rowId: 'CAST(seq AS TEXT)', columns: ['detail'], item: 'audit entry' },
  {
    table: 'contacts',
    rowId: 'id',
    columns: ['body'],
    item: 'contact',
    lookup: (c) => parts(obj(c.body).name),
  },
  { table: 'index_cache', rowId: 'CAST(id AS TEXT)', columns: ['body'], item: 'index snapshot' },
  { table: 'vault_keys', rowId: 'CAST(id AS TEXT)', columns: ['body'], item: 'sharing keys' },
  {
    table: 'trusted_files',
    rowId: 'id',
    columns: ['body'],
    item: 'trusted project file',
    lookup: (c) => parts(obj(c.body).path),
  },
  {
    table: 'wrapped_configs',
    rowId: 'id',
    columns: ['body'],
    item: 'wrapped MCP config',
    lookup: (c) => parts(obj(c.body).path),
  },
  {
    table: 'kura_identities',
    rowId: 'id',
    columns: ['body'],
    item: 'Kura token record',
    lookup: (c) => {
      const [agentId, name] = parts(obj(c.body).agentId, obj(c.body).name) ?? [];
      return agentId === undefined || name === undefined ? null : [identityKey(agentId, name)];
    },
  },
];

/**
 * BLOB columns that are not cells under the vault key: the header's own fields, blind index
 * tags, audit MACs, and session rows (sealed under each session's secret, dropped at rotation).
 */
export const NOT_CELLS: Readonly<Record<string, readonly string[]>> = {
  vault_meta: ['salt', 'verifier', 'wrapped_key', 'header_sum'],
  audit_log: ['mac'],
  sessions: ['wrapped_key'],
  '*': ['lookup'],
};
