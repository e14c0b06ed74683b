import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { asciiLower } from '../../vocabulary/address.ts';
import type { Account } from '../directory.ts';

export interface ProvisionedAccount extends Account {
  source: 'jit' | 'scim';
  template: string;
  createdAt: Date;
  /** Deleted by the IdP: no sign-in, no delivery; the mail is kept until the purge. */
  deletedAt: Date | undefined;
}

export interface ProvisioningDetails {
  source: 'jit' | 'scim';
  template: string;
  quota: string | undefined;
}

interface Row {
  address: string;
  source: 'jit' | 'scim';
  template: string;
  quota: string | null;
  active: number;
  created_at: number;
  deleted_at: number | null;
}

const toAccount = (row: Row): ProvisionedAccount => ({
  address: row.address,
  disabled: row.active === 0 || row.deleted_at !== null,
  quota: row.quota ?? undefined,
  source: row.source,
  template: row.template,
  createdAt: new Date(row.created_at),
  deletedAt: row.deleted_at === null ? undefined : new Date(row.deleted_at),
});

/** Accounts the IdP brought into being (just in time, or later by SCIM), in the state database. */
export class ProvisionedAccounts {
  // Statements prepared once and reused (sign-ins look accounts up here).
  private readonly sql: SQLTagStore;

  constructor(db: DatabaseSync) {
    this.sql = db.createTagStore();
  }

  get(address: string): ProvisionedAccount | undefined {
    const row = this.sql.get`SELECT * FROM provisioned_accounts WHERE address = ${asciiLower(address)}` as
      | Row
      | undefined;
    return row && toAccount(row);
  }

  /** Creates the account unless it exists; true only for the one call that created it (concurrent first sign-ins). */
  createOnce(address: string, details: ProvisioningDetails): boolean {
    const result = this.sql.run`INSERT INTO provisioned_accounts (address, source, template, quota, created_at)
      VALUES (${asciiLower(address)}, ${details.source}, ${details.template}, ${details.quota ?? null}, ${Date.now()}) ON CONFLICT (address) DO NOTHING`;
    return Number(result.changes) === 1;
  }

  /** Creates or updates the account as the IdP describes it; a deleted one whose mail is still kept comes back. */
  put(address: string, details: ProvisioningDetails & { active: boolean }): 'created' | 'restored' | 'updated' {
    const before = this.get(address);
    this.sql.run`INSERT INTO provisioned_accounts (address, source, template, quota, active, created_at)
      VALUES (${asciiLower(address)}, ${details.source}, ${details.template}, ${details.quota ?? null}, ${details.active ? 1 : 0}, ${Date.now()})
      ON CONFLICT (address) DO UPDATE SET source = excluded.source, template = excluded.template, quota = excluded.quota, active = excluded.active, deleted_at = NULL`;
    if (before === undefined) return 'created';
    return before.deletedAt === undefined ? 'updated' : 'restored';
  }

  markDeleted(address: string, now = Date.now()): void {
    this.sql
      .run`UPDATE provisioned_accounts SET deleted_at = ${now} WHERE address = ${asciiLower(address)} AND deleted_at IS NULL`;
  }

  /** Deleted accounts whose mail was kept since before this time. */
  deletedBefore(time: number): string[] {
    const rows = this.sql
      .all`SELECT address FROM provisioned_accounts WHERE deleted_at <= ${time} ORDER BY address` as unknown as {
      address: string;
    }[];
    return rows.map((row) => row.address);
  }

  remove(address: string): void {
    this.sql.run`DELETE FROM provisioned_accounts WHERE address = ${asciiLower(address)}`;
  }

  servesDomain(domain: string): boolean {
    const pattern = `%@${asciiLower(domain).replace(/[\\%_]/g, (char) => `\\${char}`)}`;
    const row = this.sql.get`SELECT 1 FROM provisioned_accounts WHERE address LIKE ${pattern} ESCAPE '\\' LIMIT 1`;
    return row !== undefined;
  }

  list(): ProvisionedAccount[] {
    return (this.sql.all`SELECT * FROM provisioned_accounts ORDER BY address` as unknown as Row[]).map(toAccount);
  }
}
