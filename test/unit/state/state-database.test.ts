import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { readAccountsFile, writeAccountsFile } from '../../../src/auth/accounts/accounts-file.ts';
import { openStateDatabase } from '../../../src/state/state-database.ts';

describe('secrets on disk', () => {
  it('keeps the state database (app password hashes, identities) to its owner: mode 0600', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-state-')), 'state', 'idmail.db');
    openStateDatabase(path).close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
  });

  it('writes the accounts file (password hashes) for its owner and the readers group only: mode 0640', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-accounts-')), 'accounts.yaml');
    await writeAccountsFile(
      path,
      {
        accounts: new Map([['a@example.org', { address: 'a@example.org', passwordHash: undefined, disabled: false }]]),
        aliases: new Map(),
      },
      { gid: process.getgid?.() ?? 0 },
    );
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.equal((await readAccountsFile(path)).accounts.size, 1);
  });
});

describe('migrations', () => {
  const userVersion = (db: DatabaseSync) =>
    (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  const columnsOf = (db: DatabaseSync, table: string) =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as unknown as { name: string }[]).map((column) => column.name);

  it('leave a failed migration undone: user_version and the schema stay as the migration before left them', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-state-')), 'idmail.db');
    // In the way of the SCIM migration's second statement: its first (a new column) must be undone with it.
    const blocker = new DatabaseSync(path);
    blocker.exec('CREATE TABLE scim_users (id TEXT PRIMARY KEY) STRICT');
    blocker.close();
    assert.throws(() => openStateDatabase(path), /table scim_users already exists/);
    const db = new DatabaseSync(path);
    assert.equal(userVersion(db), 2);
    assert.ok(columnsOf(db, 'provisioned_accounts').includes('created_at'));
    assert.ok(!columnsOf(db, 'provisioned_accounts').includes('deleted_at'));
    db.close();
  });
});
