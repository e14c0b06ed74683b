import type { DatabaseSync } from 'node:sqlite';
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
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  get(address: string): ProvisionedAccount | undefined {
    const row = this.db.prepare('SELECT * FROM provisioned_accounts WHERE address = ?').get(address.toLowerCase()) as Row | undefined;
    return row && toAccount(row);
  }

  /** Creates the account unless it exists; true only for the one call that created it (concurrent first sign-ins). */
  createOnce(address: string, details: ProvisioningDetails): boolean {
    const result = this.db
      .prepare('INSERT INTO provisioned_accounts (address, source, template, quota, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING')
      .run(address.toLowerCase(), details.source, details.template, details.quota ?? null, Date.now());
    return Number(result.changes) === 1;
  }

  /** Creates or updates the account as the IdP describes it; a deleted one whose mail is still kept comes back. */
  put(address: string, details: ProvisioningDetails & { active: boolean }): 'created' | 'restored' | 'updated' {
    const before = this.get(address);
    this.db
      .prepare(
        `INSERT INTO provisioned_accounts (address, source, template, quota, active, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (address) DO UPDATE SET source = excluded.source, template = excluded.template, quota = excluded.quota, active = excluded.active, deleted_at = NULL`,
      )
      .run(address.toLowerCase(), details.source, details.template, details.quota ?? null, details.active ? 1 : 0, Date.now());
    if (before === undefined) return 'created';
    return before.deletedAt === undefined ? 'updated' : 'restored';
  }

  markDeleted(address: string, now = Date.now()): void {
    this.db.prepare('UPDATE provisioned_accounts SET deleted_at = ? WHERE address = ? AND deleted_at IS NULL').run(now, address.toLowerCase());
  }

  /** Deleted accounts whose mail was kept since before this time. */
  deletedBefore(time: number): string[] {
    const rows = this.db.prepare('SELECT address FROM provisioned_accounts WHERE deleted_at <= ? ORDER BY address').all(time) as unknown as { address: string }[];
    return rows.map((row) => row.address);
  }

  remove(address: string): void {
    this.db.prepare('DELETE FROM provisioned_accounts WHERE address = ?').run(address.toLowerCase());
  }

  servesDomain(domain: string): boolean {
    const row = this.db.prepare("SELECT 1 FROM provisioned_accounts WHERE address LIKE ? ESCAPE '\\' LIMIT 1").get(`%@${domain.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}`);
    return row !== undefined;
  }

  list(): ProvisionedAccount[] {
    return (this.db.prepare('SELECT * FROM provisioned_accounts ORDER BY address').all() as unknown as Row[]).map(toAccount);
  }
}
