import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { inTransaction } from './transaction.ts';

/**
 * The helper's own state (app passwords, sign-in policies, identity bindings, provisioned accounts, SCIM
 * resources) in SQLite on the state volume.
 * Each migration runs once, in order, in a transaction; PRAGMA user_version records how far it got.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE app_passwords (
     id TEXT PRIMARY KEY,
     account TEXT NOT NULL,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     protocols TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     last_used_at INTEGER,
     last_used_ip TEXT
   ) STRICT;
   CREATE INDEX app_passwords_by_account ON app_passwords (account);
   CREATE TABLE sign_in_policies (
     account TEXT PRIMARY KEY,
     methods TEXT,
     protocols TEXT
   ) STRICT;`,
  `CREATE TABLE provisioned_accounts (
     address TEXT PRIMARY KEY,
     source TEXT NOT NULL,
     template TEXT NOT NULL,
     quota TEXT,
     active INTEGER NOT NULL DEFAULT 1,
     created_at INTEGER NOT NULL
   ) STRICT;`,
  // SCIM: the resources as the IdP last sent them, with the columns lookups and filters need.
  `ALTER TABLE provisioned_accounts ADD COLUMN deleted_at INTEGER;
   CREATE TABLE scim_users (
     id TEXT PRIMARY KEY,
     user_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
     address TEXT NOT NULL UNIQUE,
     resource TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     modified_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE scim_groups (
     id TEXT PRIMARY KEY,
     display_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
     address TEXT NOT NULL UNIQUE,
     resource TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     modified_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE scim_group_members (
     group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
     user_id TEXT NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
     PRIMARY KEY (group_id, user_id)
   ) STRICT;
   CREATE INDEX scim_group_members_by_user ON scim_group_members (user_id);`,
  // Which IdP identity each account belongs to; who made an app password (self-service ones expire
  // with their owner's token sign-ins; those from before this version count as self-service: fail closed).
  `CREATE TABLE identity_bindings (
     account TEXT PRIMARY KEY,
     issuer TEXT NOT NULL,
     subject TEXT NOT NULL,
     bound_at INTEGER NOT NULL,
     last_token_at INTEGER NOT NULL
   ) STRICT;
   ALTER TABLE app_passwords ADD COLUMN made_by TEXT NOT NULL DEFAULT 'self-service';`,
];

/** The schema version a migrated database has. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating and migrating) the state database. It holds app password hashes and identities:
 * mode 0600, and, when root opens it (the CLI), owned by `owner`, the helper's user. SQLite gives its
 * -wal and -shm files the database file's owner when root creates them.
 */
export function openStateDatabase(path: string, owner?: { uid: number; gid: number }): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path);
  if (path !== ':memory:') {
    chmodSync(path, 0o600);
    if (owner !== undefined) chownSync(path, owner.uid, owner.gid);
  }
  // WAL: the helper reads while the CLI writes. FULL: a committed change survives a crash or power loss.
  db.exec(`PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA busy_timeout = 5000;
    PRAGMA foreign_keys = ON;`);
  migrate(db);
  return db;
}

function migrate(db: DatabaseSync): void {
  // One transaction per migration, reading the version under its write lock (the CLI and the helper may open the
  // file at once): a failed migration leaves the database, user_version included, as the previous one left it.
  while (inTransaction(db, () => applyNextMigration(db))) {
    // Applied one; on to the next.
  }
}

/** Applies the migration after the database's version; false when there is none. */
function applyNextMigration(db: DatabaseSync): boolean {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const migration = MIGRATIONS[version];
  if (migration === undefined) return false;
  db.exec(migration);
  db.exec(`PRAGMA user_version = ${version + 1}`);
  return true;
}
