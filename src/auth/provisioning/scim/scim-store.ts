import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { asciiLower } from '../../../vocabulary/address.ts';
import type { Json, ScimResourceType, StoredResource } from './scim-resources.ts';

/** A stored User or Group: its resource plus the columns lookups need (userName or displayName, and its address). */
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

/** What a new User or Group is stored with. */
interface NewResource {
  name: string;
  address: string;
  resource: Json;
}

const TABLES = {
  User: { table: 'scim_users', name: 'user_name' },
  Group: { table: 'scim_groups', name: 'display_name' },
} as const;

type Statements = ReturnType<typeof prepareStatements>;

/**
 * One resource type's statements, prepared once. SQL binds values, not table or column names, so these
 * cannot go through the tag store the fixed statements use: the names are spliced in, from TABLES only.
 */
function prepareStatements(db: DatabaseSync, { table, name }: (typeof TABLES)[ScimResourceType]) {
  const columns = `id, ${name} AS name, address, resource, created_at, modified_at`;
  return {
    byId: db.prepare(`SELECT ${columns} FROM ${table} WHERE id = ?`),
    byName: db.prepare(`SELECT ${columns} FROM ${table} WHERE ${name} = ?`),
    byAddress: db.prepare(`SELECT ${columns} FROM ${table} WHERE address = ?`),
    // rowid breaks ties within a millisecond, so pages stay in creation order.
    all: db.prepare(`SELECT ${columns} FROM ${table} ORDER BY created_at, rowid`),
    insert: db.prepare(`INSERT INTO ${table} (id, ${name}, address, resource, created_at, modified_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    update: db.prepare(`UPDATE ${table} SET ${name} = ?, resource = ?, modified_at = ? WHERE id = ?`),
    delete: db.prepare(`DELETE FROM ${table} WHERE id = ?`),
  };
}

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
  // Statements prepared once and reused (Postfix looks a list's members up here for each message to it).
  private readonly statements: Record<ScimResourceType, Statements>;
  private readonly sql: SQLTagStore;

  constructor(db: DatabaseSync) {
    this.statements = { User: prepareStatements(db, TABLES.User), Group: prepareStatements(db, TABLES.Group) };
    this.sql = db.createTagStore();
  }

  get(type: ScimResourceType, id: string): ScimRecord | undefined {
    return recordOf(this.statements[type].byId.get(id));
  }

  byName(type: ScimResourceType, name: string): ScimRecord | undefined {
    return recordOf(this.statements[type].byName.get(name));
  }

  byAddress(type: ScimResourceType, address: string): ScimRecord | undefined {
    return recordOf(this.statements[type].byAddress.get(asciiLower(address)));
  }

  all(type: ScimResourceType): ScimRecord[] {
    return (this.statements[type].all.all() as unknown as Row[]).map(toRecord);
  }

  insert(type: ScimResourceType, values: NewResource, now = Date.now()): ScimRecord {
    const id = randomUUID();
    const { name, address, resource } = values;
    this.statements[type].insert.run(id, name, asciiLower(address), JSON.stringify(resource), now, now);
    return this.get(type, id) as ScimRecord;
  }

  update(type: ScimResourceType, id: string, values: Omit<NewResource, 'address'>, now = Date.now()): ScimRecord {
    this.statements[type].update.run(values.name, JSON.stringify(values.resource), now, id);
    return this.get(type, id) as ScimRecord;
  }

  delete(type: ScimResourceType, id: string): boolean {
    return Number(this.statements[type].delete.run(id).changes) > 0;
  }

  /** Several statements: run it inside the caller's transaction (inTransaction), as the SCIM provisioner does. */
  setMembers(groupId: string, userIds: readonly string[]): void {
    this.sql.run`DELETE FROM scim_group_members WHERE group_id = ${groupId}`;
    for (const userId of userIds) {
      this.sql.run`INSERT INTO scim_group_members (group_id, user_id) VALUES (${groupId}, ${userId})`;
    }
  }

  /** The groups a user is a member of. */
  groupsOf(userId: string): ScimRecord[] {
    const rows = this.sql.all`SELECT group_id FROM scim_group_members WHERE user_id = ${userId}`;
    return (rows as unknown as { group_id: string }[]).map((row) => this.get('Group', row.group_id) as ScimRecord);
  }

  /** Mail addresses of a group's members. */
  memberAddresses(groupAddress: string): string[] | undefined {
    const group = this.byAddress('Group', groupAddress);
    if (group === undefined) return undefined;
    const rows = this.sql.all`SELECT u.address FROM scim_group_members m JOIN scim_users u ON u.id = m.user_id
      WHERE m.group_id = ${group.id} ORDER BY u.address` as unknown as { address: string }[];
    return rows.map((row) => row.address);
  }
}

function recordOf(row: unknown): ScimRecord | undefined {
  return row === undefined ? undefined : toRecord(row as Row);
}
