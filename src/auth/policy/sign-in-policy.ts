import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { asciiLower } from '../../vocabulary/address.ts';

/** What a person signs in to; Dovecot's service names (Postfix's SASL arrives as smtp). */
export const SIGN_IN_PROTOCOLS = ['imap', 'pop3', 'smtp', 'sieve'] as const;
export type SignInProtocol = (typeof SIGN_IN_PROTOCOLS)[number];

/** How a person may prove who they are: an IdP token, an app password, or the account's own password (directory or local). */
export const SIGN_IN_METHODS = ['token', 'app-password', 'password'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export interface SignInPolicy {
  methods: readonly SignInMethod[];
  protocols: readonly SignInProtocol[];
}

/** The protocol a sign-in is for, from Dovecot's service name; undefined for any other (refused). */
export function signInProtocol(service: string | undefined): SignInProtocol | undefined {
  const name = service?.toLowerCase() === 'managesieve' ? 'sieve' : service?.toLowerCase();
  return (SIGN_IN_PROTOCOLS as readonly string[]).includes(name ?? '') ? (name as SignInProtocol) : undefined;
}

export function policyAllows(policy: SignInPolicy, method: SignInMethod, protocol: SignInProtocol | undefined): boolean {
  return policy.methods.includes(method) && protocol !== undefined && policy.protocols.includes(protocol);
}

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
    return { methods: override.methods ?? this.defaults.methods, protocols: override.protocols ?? this.defaults.protocols };
  }

  /** Overrides what is given; what is not given keeps following the defaults. */
  set(account: string, override: Partial<SignInPolicy>): void {
    this.sql.run`INSERT INTO sign_in_policies (account, methods, protocols)
      VALUES (${asciiLower(account)}, ${override.methods?.join(',') ?? null}, ${override.protocols?.join(',') ?? null})
      ON CONFLICT (account) DO UPDATE SET methods = coalesce(excluded.methods, methods), protocols = coalesce(excluded.protocols, protocols)`;
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
