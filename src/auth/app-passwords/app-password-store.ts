import type { DatabaseSync } from 'node:sqlite';
import { SIGN_IN_PROTOCOLS, type SignInProtocol } from '../policy/sign-in-policy.ts';
import { hashSecret, newAppPasswordSecret, parseAppPassword, secretMatches } from './app-password-secret.ts';

export interface AppPassword {
  id: string;
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
}

/** Enough for every device a person owns; a leaked self-service token cannot fill the database. */
export const MAX_APP_PASSWORDS_PER_ACCOUNT = 50;

export class TooManyAppPasswords extends Error {}

// Recording every use would turn each login into a disk write; once a minute per password is enough to tell.
const LAST_USED_RESOLUTION_MS = 60_000;

/** App passwords in the state database: made here, checked here, revoked at once (the row is gone). */
export class AppPasswordStore {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  create(account: string, options: { name: string; protocols: readonly SignInProtocol[]; expiresAt?: Date | undefined }): { appPassword: AppPassword; password: string } {
    if (this.list(account).length >= MAX_APP_PASSWORDS_PER_ACCOUNT) {
      throw new TooManyAppPasswords(`${account} has ${MAX_APP_PASSWORDS_PER_ACCOUNT} app passwords already; revoke one first`);
    }
    const secret = newAppPasswordSecret();
    const now = Date.now();
    this.db
      .prepare('INSERT INTO app_passwords (id, account, name, secret_hash, protocols, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(secret.id, account.toLowerCase(), options.name, hashSecret(secret.secret), options.protocols.join(','), now, options.expiresAt?.getTime() ?? null);
    return { appPassword: this.byId(secret.id) as AppPassword, password: secret.text };
  }

  list(account: string): AppPassword[] {
    const rows = this.db.prepare('SELECT * FROM app_passwords WHERE account = ? ORDER BY created_at, id').all(account.toLowerCase()) as unknown as Row[];
    return rows.map(toAppPassword);
  }

  /** True when the account had this app password (and now has not). */
  revoke(account: string, id: string): boolean {
    return Number(this.db.prepare('DELETE FROM app_passwords WHERE account = ? AND id = ?').run(account.toLowerCase(), id).changes) > 0;
  }

  /** Revokes every app password of the account; how many there were. */
  revokeAll(account: string): number {
    return Number(this.db.prepare('DELETE FROM app_passwords WHERE account = ?').run(account.toLowerCase()).changes);
  }

  /** Undefined when the password is not shaped like an app password (then it is an ordinary password). */
  check(password: string, now = new Date()): AppPasswordCheck | undefined {
    const parsed = parseAppPassword(password);
    if (parsed === undefined) return undefined;
    const row = this.db.prepare('SELECT * FROM app_passwords WHERE id = ?').get(parsed.id) as Row | undefined;
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) return { outcome: 'mismatch' };
    const appPassword = toAppPassword(row);
    if (appPassword.expiresAt !== undefined && appPassword.expiresAt <= now) return { outcome: 'expired', appPassword };
    return { outcome: 'match', appPassword };
  }

  recordUse(appPassword: AppPassword, remoteIp: string | undefined, now = new Date()): void {
    const last = appPassword.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < LAST_USED_RESOLUTION_MS && appPassword.lastUsedIp === remoteIp) return;
    this.db.prepare('UPDATE app_passwords SET last_used_at = ?, last_used_ip = ? WHERE id = ?').run(now.getTime(), remoteIp ?? null, appPassword.id);
  }

  private byId(id: string): AppPassword | undefined {
    const row = this.db.prepare('SELECT * FROM app_passwords WHERE id = ?').get(id) as Row | undefined;
    return row && toAppPassword(row);
  }
}

function toAppPassword(row: Row): AppPassword {
  return {
    id: row.id,
    account: row.account,
    name: row.name,
    protocols: row.protocols.split(',').filter((item): item is SignInProtocol => (SIGN_IN_PROTOCOLS as readonly string[]).includes(item)),
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    lastUsedAt: row.last_used_at === null ? undefined : new Date(row.last_used_at),
    lastUsedIp: row.last_used_ip ?? undefined,
  };
}
