import type { DatabaseSync } from 'node:sqlite';
import type { Account } from '../directory.ts';

export interface ProvisionedAccount extends Account {
  source: 'jit' | 'scim';
  template: string;
  createdAt: Date;
}

interface Row {
  address: string;
  source: 'jit' | 'scim';
  template: string;
  quota: string | null;
  active: number;
  created_at: number;
}

const toAccount = (row: Row): ProvisionedAccount => ({
  address: row.address,
  disabled: row.active === 0,
  quota: row.quota ?? undefined,
  source: row.source,
  template: row.template,
  createdAt: new Date(row.created_at),
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
  createOnce(address: string, details: { source: 'jit' | 'scim'; template: string; quota: string | undefined }): boolean {
    const result = this.db
      .prepare('INSERT INTO provisioned_accounts (address, source, template, quota, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING')
      .run(address.toLowerCase(), details.source, details.template, details.quota ?? null, Date.now());
    return Number(result.changes) === 1;
  }

  servesDomain(domain: string): boolean {
    const row = this.db.prepare("SELECT 1 FROM provisioned_accounts WHERE address LIKE ? ESCAPE '\\' LIMIT 1").get(`%@${domain.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}`);
    return row !== undefined;
  }

  list(): ProvisionedAccount[] {
    return (this.db.prepare('SELECT * FROM provisioned_accounts ORDER BY address').all() as unknown as Row[]).map(toAccount);
  }
}
