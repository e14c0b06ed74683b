import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Json, ScimResourceType, StoredResource } from './scim-resources.ts';
import { asciiLower } from '../../../vocabulary/address.ts';

/** A stored User or Group: its resource plus the columns lookups need (userName or displayName, and its mail address). */
export interface ScimRecord extends StoredResource {
  /** userName of a User, displayName of a Group. */
  name: string;
  address: string;
}

interface Row {
  id: string;
  name: string;
  address: string;
  resource: string;
  created_at: number;
  modified_at: number;
}

const TABLES = {
  User: { table: 'scim_users', name: 'user_name' },
  Group: { table: 'scim_groups', name: 'display_name' },
} as const;

const toRecord = (row: Row): ScimRecord => ({
  id: row.id,
  name: row.name,
  address: row.address,
  resource: JSON.parse(row.resource) as Json,
  createdAt: row.created_at,
  modifiedAt: row.modified_at,
});

/** SCIM Users and Groups in the state database, and which users each group has. */
export class ScimStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  get(type: ScimResourceType, id: string): ScimRecord | undefined {
    return this.one(type, 'id = ?', id);
  }

  byName(type: ScimResourceType, name: string): ScimRecord | undefined {
    return this.one(type, `${TABLES[type].name} = ?`, name);
  }

  byAddress(type: ScimResourceType, address: string): ScimRecord | undefined {
    return this.one(type, 'address = ?', asciiLower(address));
  }

  all(type: ScimResourceType): ScimRecord[] {
    const { table, name } = TABLES[type];
    // rowid breaks ties within a millisecond, so pages stay in creation order.
    const rows = this.db.prepare(`SELECT id, ${name} AS name, address, resource, created_at, modified_at FROM ${table} ORDER BY created_at, rowid`).all();
    return (rows as unknown as Row[]).map(toRecord);
  }

  insert(type: ScimResourceType, values: { name: string; address: string; resource: Json }, now = Date.now()): ScimRecord {
    const { table, name } = TABLES[type];
    const id = randomUUID();
    this.db
      .prepare(`INSERT INTO ${table} (id, ${name}, address, resource, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(id, values.name, asciiLower(values.address), JSON.stringify(values.resource), now, now);
    return this.get(type, id) as ScimRecord;
  }

  update(type: ScimResourceType, id: string, values: { name: string; resource: Json }, now = Date.now()): ScimRecord {
    const { table, name } = TABLES[type];
    this.db.prepare(`UPDATE ${table} SET ${name} = ?, resource = ?, modified_at = ? WHERE id = ?`).run(values.name, JSON.stringify(values.resource), now, id);
    return this.get(type, id) as ScimRecord;
  }

  delete(type: ScimResourceType, id: string): boolean {
    return Number(this.db.prepare(`DELETE FROM ${TABLES[type].table} WHERE id = ?`).run(id).changes) > 0;
  }

  setMembers(groupId: string, userIds: readonly string[]): void {
    this.db.prepare('DELETE FROM scim_group_members WHERE group_id = ?').run(groupId);
    const insert = this.db.prepare('INSERT INTO scim_group_members (group_id, user_id) VALUES (?, ?)');
    for (const userId of userIds) insert.run(groupId, userId);
  }

  /** The groups a user is a member of. */
  groupsOf(userId: string): ScimRecord[] {
    const ids = this.db.prepare('SELECT group_id FROM scim_group_members WHERE user_id = ?').all(userId) as unknown as { group_id: string }[];
    return ids.map((row) => this.get('Group', row.group_id) as ScimRecord);
  }

  /** Mail addresses of a group's members. */
  memberAddresses(groupAddress: string): string[] | undefined {
    const group = this.byAddress('Group', groupAddress);
    if (group === undefined) return undefined;
    const rows = this.db
      .prepare('SELECT u.address FROM scim_group_members m JOIN scim_users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.address')
      .all(group.id) as unknown as { address: string }[];
    return rows.map((row) => row.address);
  }

  /** Runs the changes as one: a crash or a refusal half-way leaves nothing half-written. */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  private one(type: ScimResourceType, where: string, value: string): ScimRecord | undefined {
    const { table, name } = TABLES[type];
    const row = this.db.prepare(`SELECT id, ${name} AS name, address, resource, created_at, modified_at FROM ${table} WHERE ${where}`).get(value) as Row | undefined;
    return row && toRecord(row);
  }
}
