import type Database from 'better-sqlite3';

// Numbered schema migrations. The format version of a vault is the number of migrations applied
// (PRAGMA user_version). Append only: never edit a migration that has shipped.
// Plaintext columns hold only ids, timestamps, enums, counters and foreign keys; every value a
// person typed or a server returned lives in an encrypted BLOB cell.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vault_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id TEXT NOT NULL,
    kdf TEXT NOT NULL,
    salt BLOB NOT NULL,
    verifier BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    header_sum BLOB NOT NULL,
    audit_head BLOB,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
  );
  CREATE TABLE remotes (
    kind TEXT PRIMARY KEY CHECK (kind IN ('kura', 'backside')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    config BLOB NOT NULL,
    secret BLOB,
    status BLOB
  );
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  CREATE TABLE profiles (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    sync_state TEXT NOT NULL CHECK (sync_state IN ('draft', 'pending', 'synced', 'failed')),
    meta BLOB NOT NULL,
    secrets BLOB NOT NULL,
    remote BLOB
  );
  CREATE TABLE profile_versions (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('create', 'edit', 'restore', 'sync', 'import')),
    body BLOB NOT NULL,
    UNIQUE (item_id, version)
  );
  CREATE TABLE byok_keys (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    sync_state TEXT NOT NULL CHECK (sync_state IN ('draft', 'pending', 'synced', 'failed')),
    meta BLOB NOT NULL,
    secrets BLOB NOT NULL,
    remote BLOB
  );
  CREATE TABLE byok_versions (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES byok_keys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('create', 'edit', 'restore', 'sync', 'import')),
    body BLOB NOT NULL,
    UNIQUE (item_id, version)
  );
  CREATE TABLE outbox (
    item_kind TEXT NOT NULL CHECK (item_kind IN ('profile', 'byok')),
    item_id TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    inflight_version INTEGER,
    inflight_since INTEGER,
    last_error BLOB,
    PRIMARY KEY (item_kind, item_id)
  );
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    detail BLOB NOT NULL,
    mac BLOB NOT NULL
  );
  CREATE TABLE audit_pending (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('unlock_failed'))
  );
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
  // 2: a generation counter bumped by every write to profiles (so writes from another process
  // are noticed; see migration 5 for how it is bumped now), and an encrypted snapshot of the listing index saved at
  // lock, so unlocking a large vault decrypts one cell instead of one per profile.
  `
  ALTER TABLE vault_meta ADD COLUMN index_gen INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE index_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  CREATE TRIGGER profiles_gen_ins AFTER INSERT ON profiles BEGIN UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1; END;
  CREATE TRIGGER profiles_gen_upd AFTER UPDATE ON profiles BEGIN UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1; END;
  CREATE TRIGGER profiles_gen_del AFTER DELETE ON profiles BEGIN UPDATE vault_meta SET index_gen = index_gen + 1 WHERE id = 1; END;
  `,
  // 3: CLI sessions (the vault key wrapped under a random session secret that only the shell
  // holds) and the vault's own keys for sharing (age X25519 identity, Ed25519 signing key).
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    wrapped_key BLOB NOT NULL
  );
  CREATE TABLE vault_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    created_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
  // 4: when a create was first sent for an outbox row. Kept on the row rather than in the item's
  // encrypted remote cell so claiming a create costs no re-encryption; a timestamp is not secret.
  `
  ALTER TABLE outbox ADD COLUMN create_sent_at INTEGER;
  `,
  // 5: the write generation is bumped once per write transaction by the code that owns profile
  // writes (Profiles.write), not by a trigger per row: a 10,000-row import paid 10,000 updates.
  `
  DROP TRIGGER profiles_gen_ins;
  DROP TRIGGER profiles_gen_upd;
  DROP TRIGGER profiles_gen_del;
  `,
  // 6: the trash. A deleted profile or BYOK key keeps its row, cells and history until purge_at;
  // while trashed its lookup tag is replaced by random bytes (recomputed from the meta cell at
  // restore), so its agent + name or kind can be used again meanwhile.
  `
  ALTER TABLE profiles ADD COLUMN trashed_at INTEGER;
  ALTER TABLE profiles ADD COLUMN purge_at INTEGER;
  ALTER TABLE byok_keys ADD COLUMN trashed_at INTEGER;
  ALTER TABLE byok_keys ADD COLUMN purge_at INTEGER;
  CREATE INDEX profiles_purge ON profiles (purge_at) WHERE purge_at IS NOT NULL;
  CREATE INDEX byok_keys_purge ON byok_keys (purge_at) WHERE purge_at IS NOT NULL;
  `,
  // 7: the sync lease: at most one process pushes at a time. Plaintext on purpose: a random owner
  // id, a pid and a host name say who holds it without unlocking, and none is a typed value.
  `
  CREATE TABLE sync_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    owner TEXT NOT NULL,
    label TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // 8: the keyhold.toml files a person read and trusted, so that `run` injects what one lists only
  // while it lists the references that were trusted. Found by a blind index of the file's path; the
  // path and the references are a cell like any typed value.
  `
  CREATE TABLE trusted_files (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    trusted_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
  // 9: sessions opened for some items only (keyhold unlock --profile REF): such a row holds those
  // items' values sealed under the session secret, and no vault key (wrapped_key is the sealed
  // snapshot, under associated data that names it as one).
  `
  ALTER TABLE sessions ADD COLUMN scoped INTEGER NOT NULL DEFAULT 0;
  `,
  // 10: the MCP configs `mcp wrap` changed: the file the name led to, and digests of the backup and
  // of what was written, so that `mcp unwrap` puts back only that file, only from that backup,
  // whatever was done to the folder since (a link swapped in, a backup planted beside it).
  `
  CREATE TABLE wrapped_configs (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    wrapped_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
  // 11: the Kura token each agent id + name last got, as a digest, found by a blind index of the
  // pair. It outlives the profile that got the token (renamed, moved, purged from the trash), so a
  // profile restored with an older token is known to hold a void one. Empty in an older vault: its
  // tokens are noted from their next sync on.
  `
  CREATE TABLE kura_identities (
    id TEXT PRIMARY KEY,
    lookup BLOB NOT NULL UNIQUE,
    noted_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
];

export const FORMAT_VERSION = MIGRATIONS.length;

export function formatVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema up to FORMAT_VERSION, each step in its own immediate transaction. */
export function migrate(db: Database.Database): void {
  for (let v = formatVersion(db); v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(step);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
