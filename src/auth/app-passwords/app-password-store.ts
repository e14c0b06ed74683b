import type { DatabaseSync, SQLTagStore } from 'node:sqlite';
import { SIGN_IN_PROTOCOLS, type SignInProtocol } from '../policy/sign-in-policy.ts';
import { hashSecret, newAppPasswordSecret, parseAppPassword, secretMatches } from './app-password-secret.ts';
import { asciiLower } from '../../vocabulary/address.ts';

/** Who made an app password: its owner through the self-service API (with a token), or an admin with the CLI. */
export type AppPasswordMaker = 'self-service' | 'admin';

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
export const MAX_APP_PASSWORDS_PER_ACCOUNT = 50;

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

  create(account: string, options: { name: string; protocols: readonly SignInProtocol[]; expiresAt?: Date | undefined; madeBy: AppPasswordMaker }): { appPassword: AppPassword; password: string } {
    if (this.list(account).length >= MAX_APP_PASSWORDS_PER_ACCOUNT) {
      throw new TooManyAppPasswords(`${account} has ${MAX_APP_PASSWORDS_PER_ACCOUNT} app passwords already; revoke one first`);
    }
    const secret = newAppPasswordSecret();
    const now = Date.now();
    this.sql.run`INSERT INTO app_passwords (id, account, name, secret_hash, protocols, created_at, expires_at, made_by)
      VALUES (${secret.id}, ${asciiLower(account)}, ${options.name}, ${hashSecret(secret.secret)}, ${options.protocols.join(',')}, ${now}, ${options.expiresAt?.getTime() ?? null}, ${options.madeBy})`;
    return { appPassword: this.byId(secret.id) as AppPassword, password: secret.text };
  }

  list(account: string): AppPassword[] {
    const rows = this.sql.all`SELECT * FROM app_passwords WHERE account = ${asciiLower(account)} ORDER BY created_at, id` as unknown as Row[];
    return rows.map(toAppPassword);
  }

  /** True when the account had this app password (and now has not). */
  revoke(account: string, id: string): boolean {
    return Number(this.sql.run`DELETE FROM app_passwords WHERE account = ${asciiLower(account)} AND id = ${id}`.changes) > 0;
  }

  /** Revokes every app password of the account; how many there were. */
  revokeAll(account: string): number {
    return Number(this.sql.run`DELETE FROM app_passwords WHERE account = ${asciiLower(account)}`.changes);
  }

  /** Undefined when the password is not shaped like an app password (then it is an ordinary password). */
  check(password: string, now = new Date()): AppPasswordCheck | undefined {
    const parsed = parseAppPassword(password);
    if (parsed === undefined) return undefined;
    const row = this.sql.get`SELECT * FROM app_passwords WHERE id = ${parsed.id}` as Row | undefined;
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) return { outcome: 'mismatch' };
    const appPassword = toAppPassword(row);
    if (appPassword.expiresAt !== undefined && appPassword.expiresAt <= now) return { outcome: 'expired', appPassword };
    return { outcome: 'match', appPassword };
  }

  recordUse(appPassword: AppPassword, remoteIp: string | undefined, now = new Date()): void {
    const last = appPassword.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < LAST_USED_RESOLUTION_MS && appPassword.lastUsedIp === remoteIp) return;
    this.sql.run`UPDATE app_passwords SET last_used_at = ${now.getTime()}, last_used_ip = ${remoteIp ?? null} WHERE id = ${appPassword.id}`;
  }

  private byId(id: string): AppPassword | undefined {
    const row = this.sql.get`SELECT * FROM app_passwords WHERE id = ${id}` as Row | undefined;
    return row && toAppPassword(row);
  }
}

function toAppPassword(row: Row): AppPassword {
  return {
    id: row.id,
    madeBy: row.made_by === 'admin' ? 'admin' : 'self-service',
    account: row.account,
    name: row.name,
    protocols: row.protocols.split(',').filter((item): item is SignInProtocol => (SIGN_IN_PROTOCOLS as readonly string[]).includes(item)),
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    lastUsedAt: row.last_used_at === null ? undefined : new Date(row.last_used_at),
    lastUsedIp: row.last_used_ip ?? undefined,
  };
}
