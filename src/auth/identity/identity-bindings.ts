import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { asciiLower } from '../../vocabulary/address.ts';
import type { TokenIdentity } from '../tokens/verdict.ts';

export interface IdentityBinding extends TokenIdentity {
  account: string;
  boundAt: Date;
  /** The last sign-in with a valid token (to the hour): how long app passwords made by self-service stay usable. */
  lastTokenAt: Date;
}

export type BindingCheck = { outcome: 'match' } | { outcome: 'bound' } | { outcome: 'mismatch'; bound: TokenIdentity };

interface Row {
  account: string;
  issuer: string;
  subject: string;
  bound_at: number;
  last_token_at: number;
}

// Recording every token sign-in would turn each login into a disk write; to the hour is enough to tell.
const LAST_TOKEN_RESOLUTION_MS = 3_600_000;

/**
 * Which IdP identity (issuer and subject) an account belongs to: the one that first signed in to it
 * with a token. A later token for the same address but another subject is someone else (an IdP that
 * handed a freed address to a new person), and is refused until an admin rebinds the account.
 */
export class IdentityBindings {
  // Statements prepared once and reused (every token sign-in checks its binding).
  private readonly sql: SQLTagStore;

  constructor(db: DatabaseSync) {
    this.sql = db.createTagStore();
  }

  /** Binds an unbound account to this identity; tells whether the identity is the one bound. */
  check(account: string, identity: TokenIdentity, now = Date.now()): BindingCheck {
    const key = asciiLower(account);
    const known = this.row(key);
    if (known !== undefined) return this.compare(known, identity, now);
    const inserted = this.sql.run`INSERT INTO identity_bindings (account, issuer, subject, bound_at, last_token_at)
      VALUES (${key}, ${identity.issuer}, ${identity.subject}, ${now}, ${now}) ON CONFLICT (account) DO NOTHING`;
    if (Number(inserted.changes) === 1) return { outcome: 'bound' };
    // Two first sign-ins at once: the row written first decides.
    return this.compare(this.row(key) as Row, identity, now);
  }

  private compare(row: Row, identity: TokenIdentity, now: number): BindingCheck {
    const { issuer, subject } = row;
    if (issuer !== identity.issuer || subject !== identity.subject) {
      return { outcome: 'mismatch', bound: { issuer, subject } };
    }
    if (now - row.last_token_at >= LAST_TOKEN_RESOLUTION_MS) {
      this.sql.run`UPDATE identity_bindings SET last_token_at = ${now} WHERE account = ${row.account}`;
    }
    return { outcome: 'match' };
  }

  get(account: string): IdentityBinding | undefined {
    const row = this.row(asciiLower(account));
    return row && toBinding(row);
  }

  /** Forgets the binding (the next token sign-in binds anew); the binding there was. */
  unbind(account: string): IdentityBinding | undefined {
    const binding = this.get(account);
    if (binding !== undefined) this.sql.run`DELETE FROM identity_bindings WHERE account = ${asciiLower(account)}`;
    return binding;
  }

  private row(key: string): Row | undefined {
    return this.sql.get`SELECT * FROM identity_bindings WHERE account = ${key}` as Row | undefined;
  }
}

function toBinding(row: Row): IdentityBinding {
  const { account, issuer, subject } = row;
  return { account, issuer, subject, boundAt: new Date(row.bound_at), lastTokenAt: new Date(row.last_token_at) };
}
