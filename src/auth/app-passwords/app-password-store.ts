import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { inTransaction } from '../../state/transaction.ts';
import { asciiLower } from '../../vocabulary/address.ts';
import { SIGN_IN_PROTOCOLS, type SignInProtocol } from '../../vocabulary/sign-in.ts';
import { hashSecret, newAppPasswordSecret, parseAppPassword, secretMatches } from './app-password-secret.ts';

/** Who made an app password: its owner through the self-service API (with a token), or an admin with the CLI. */
type AppPasswordMaker = 'self-service' | 'admin';

export interface AppPassword {
  id: string;
  madeBy: AppPasswordMaker;
  account: string;
  name: string;
  protocols: SignInProtocol[];
  createdAt: Date;
  expiresAt: Date | undefined;
  lastUsedAt: Date | undefined;
  lastUsedIp: string | undefined;
}

interface NewAppPassword {
  name: string;
  protocols: readonly SignInProtocol[];
  expiresAt?: Date | undefined;
  madeBy: AppPasswordMaker;
}

export type AppPasswordCheck =
  | { outcome: 'match'; appPassword: AppPassword }
  | { outcome: 'expired'; appPassword: AppPassword }
  | { outcome: 'mismatch' };

interface Row {
  id: string;
  account: string;
  name: string;
  secret_hash: string;
  protocols: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  made_by: string;
}

/** Enough for every device a person owns; a leaked self-service token cannot fill the database. */
const MAX_APP_PASSWORDS_PER_ACCOUNT = 50;

export class TooManyAppPasswords extends Error {}

// Recording every use would turn each login into a disk write; once a minute per password is enough to tell.
const LAST_USED_RESOLUTION_MS = 60_000;

/** App passwords in the state database: made here, checked here, revoked at once (the row is gone). */
export class AppPasswordStore {
  // Statements prepared once and reused (sign-ins check app passwords here).
  private readonly sql: SQLTagStore;

  constructor(db: DatabaseSync) {
    this.sql = db.createTagStore();
  }

  create(account: string, options: NewAppPassword): { appPassword: AppPassword; password: string } {
    // Counted and inserted in one transaction: the CLI and self-service creating at once cannot pass the limit.
    return inTransaction(this.sql.db, () => this.insertBelowLimit(account, options));
  }

  list(account: string): AppPassword[] {
    const rows = this.sql.all`SELECT * FROM app_passwords WHERE account = ${asciiLower(account)}
      ORDER BY created_at, id`;
    return (rows as unknown as Row[]).map(toAppPassword);
  }

  /** True when the account had this app password (and now has not). */
  revoke(account: string, id: string): boolean {
    const deleted = this.sql.run`DELETE FROM app_passwords WHERE account = ${asciiLower(account)} AND id = ${id}`;
    return Number(deleted.changes) > 0;
  }

  /** Revokes every app password of the account; how many there were. */
  revokeAll(account: string): number {
    return Number(this.sql.run`DELETE FROM app_passwords WHERE account = ${asciiLower(account)}`.changes);
  }

  /** Undefined when the password is not shaped like an app password (then it is an ordinary password). */
  check(password: string, now = new Date()): AppPasswordCheck | undefined {
    const parsed = parseAppPassword(password);
    if (parsed === undefined) return undefined;
    const row = this.row(parsed.id);
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) return { outcome: 'mismatch' };
    const appPassword = toAppPassword(row);
    if (appPassword.expiresAt !== undefined && appPassword.expiresAt <= now) return { outcome: 'expired', appPassword };
    return { outcome: 'match', appPassword };
  }

  recordUse(appPassword: AppPassword, remoteIp: string | undefined, now = new Date()): void {
    const last = appPassword.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < LAST_USED_RESOLUTION_MS && appPassword.lastUsedIp === remoteIp) return;
    this.sql.run`UPDATE app_passwords SET last_used_at = ${now.getTime()}, last_used_ip = ${remoteIp ?? null}
      WHERE id = ${appPassword.id}`;
  }

  private insertBelowLimit(account: string, options: NewAppPassword): { appPassword: AppPassword; password: string } {
    const limit = MAX_APP_PASSWORDS_PER_ACCOUNT;
    if (this.list(account).length >= limit) {
      throw new TooManyAppPasswords(`${account} has ${limit} app passwords already; revoke one first`);
    }
    const { name, protocols, expiresAt, madeBy } = options;
    const secret = newAppPasswordSecret();
    this.sql.run`INSERT INTO app_passwords (id, account, name, secret_hash, protocols, created_at, expires_at, made_by)
      VALUES (${secret.id}, ${asciiLower(account)}, ${name}, ${hashSecret(secret.secret)}, ${protocols.join(',')},
        ${Date.now()}, ${expiresAt?.getTime() ?? null}, ${madeBy})`;
    return { appPassword: toAppPassword(this.row(secret.id) as Row), password: secret.text };
  }

  private row(id: string): Row | undefined {
    return this.sql.get`SELECT * FROM app_passwords WHERE id = ${id}` as Row | undefined;
  }
}

function toAppPassword(row: Row): AppPassword {
  return {
    id: row.id,
    madeBy: row.made_by === 'admin' ? 'admin' : 'self-service',
    account: row.account,
    name: row.name,
    protocols: row.protocols.split(',').filter(isSignInProtocol),
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    lastUsedAt: row.last_used_at === null ? undefined : new Date(row.last_used_at),
    lastUsedIp: row.last_used_ip ?? undefined,
  };
}

function isSignInProtocol(item: string): item is SignInProtocol {
  return (SIGN_IN_PROTOCOLS as readonly string[]).includes(item);
}
