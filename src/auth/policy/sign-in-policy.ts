import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { asciiLower } from '../../vocabulary/address.ts';
import type { SignInMethod, SignInPolicy, SignInProtocol } from '../../vocabulary/sign-in.ts';

interface Row {
  account: string;
  methods: string | null;
  protocols: string | null;
}

/** AUTH_METHODS and AUTH_PROTOCOLS for everyone, narrowed or widened per account (idmail policy …). */
export class SignInPolicies {
  // Statements prepared once and reused: preparing one on every sign-in cost more than the query.
  private readonly sql: SQLTagStore;
  readonly defaults: SignInPolicy;

  constructor(db: DatabaseSync, defaults: SignInPolicy) {
    this.sql = db.createTagStore();
    this.defaults = defaults;
  }

  for(account: string): SignInPolicy {
    const row = this.sql.get`SELECT * FROM sign_in_policies WHERE account = ${asciiLower(account)}` as Row | undefined;
    const override = row === undefined ? {} : overrideOf(row);
    const { methods, protocols } = this.defaults;
    return { methods: override.methods ?? methods, protocols: override.protocols ?? protocols };
  }

  /** Overrides what is given; what is not given keeps following the defaults. */
  set(account: string, override: Partial<SignInPolicy>): void {
    this.sql.run`INSERT INTO sign_in_policies (account, methods, protocols)
      VALUES (${asciiLower(account)}, ${override.methods?.join(',') ?? null}, ${override.protocols?.join(',') ?? null})
      ON CONFLICT (account) DO UPDATE
        SET methods = COALESCE(excluded.methods, methods), protocols = COALESCE(excluded.protocols, protocols)`;
  }

  /** Back to the defaults. */
  clear(account: string): boolean {
    return Number(this.sql.run`DELETE FROM sign_in_policies WHERE account = ${asciiLower(account)}`.changes) > 0;
  }

  overrides(): ({ account: string } & Partial<SignInPolicy>)[] {
    const rows = this.sql.all`SELECT * FROM sign_in_policies ORDER BY account` as unknown as Row[];
    return rows.map((row) => ({ account: row.account, ...overrideOf(row) }));
  }
}

function overrideOf(row: Row): Partial<SignInPolicy> {
  const list = <T>(text: string | null) => (text === null ? undefined : (text.split(',').filter(Boolean) as T[]));
  const methods = list<SignInMethod>(row.methods);
  const protocols = list<SignInProtocol>(row.protocols);
  return { ...(methods && { methods }), ...(protocols && { protocols }) };
}
