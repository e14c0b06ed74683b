import type { FastifyBaseLogger as Logger } from 'fastify';
import type { AccountStore } from './accounts/account-store.ts';
import { verifyPassword } from './passwords/password-hash.ts';
import { fingerprint, type TokenChecker } from './tokens/token-checker.ts';

/** Where a sign-in comes from, as Dovecot tells it. */
export interface SignInContext {
  protocol?: string | undefined;
  remoteIp?: string | undefined;
  mechanism?: string | undefined;
}

export type Decision =
  | { outcome: 'allow'; user: string }
  | { outcome: 'deny'; why: 'unknown_user' | 'bad_credentials' | 'disabled'; reason: string }
  | { outcome: 'tempfail'; reason: string };

// Verifying against this costs what a real check costs, so unknown users answer as slowly as wrong passwords.
const DECOY_HASH = '{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$SqiU9F7bp0IiOO3VN+AJ0w$//Jeq6eDS5WmlxjzKvrnB+UD8O3B+WfeytENhMTiP4U';

/**
 * Every sign-in decision is made here: tokens, passwords, and whether the account may sign in.
 * Adapters (Dovecot's HTTP calls, Postfix maps, the CLI) only translate to and from their wire formats.
 */
export class Authority {
  private readonly accounts: AccountStore;
  private readonly tokens: TokenChecker | undefined;
  private readonly log: Logger;

  constructor(accounts: AccountStore, tokens: TokenChecker | undefined, log: Logger) {
    this.accounts = accounts;
    this.tokens = tokens;
    this.log = log;
  }

  async signInWithToken(token: string, context: SignInContext): Promise<Decision> {
    if (this.tokens === undefined) return this.record('token', context, undefined, deny('bad_credentials', 'OAuth2 is not enabled'));
    const verdict = await this.tokens.check(token);
    const extra = { token: fingerprint(token).slice(0, 12), cached: verdict.cached };
    if (!verdict.valid) {
      const decision: Decision = verdict.temporary
        ? { outcome: 'tempfail', reason: verdict.reason }
        : deny('bad_credentials', verdict.reason);
      return this.record('token', context, undefined, decision, extra);
    }
    return this.record('token', context, verdict.username, await this.accountDecision(verdict.username), extra);
  }

  async signInWithPassword(user: string, password: string, context: SignInContext): Promise<Decision> {
    const account = await this.accounts.account(user);
    if (account?.passwordHash === undefined) {
      await verifyPassword(DECOY_HASH, password);
      const decision =
        account === undefined ? deny('unknown_user', 'unknown user') : deny('bad_credentials', 'account has no password (token-only)');
      return this.record('password', context, user, decision);
    }
    if (!(await verifyPassword(account.passwordHash, password))) {
      return this.record('password', context, user, deny('bad_credentials', 'wrong password'));
    }
    return this.record('password', context, user, await this.accountDecision(user));
  }

  /** May this user sign in at all? Asked again after a token was accepted, and for mail delivery. */
  async accountDecision(user: string): Promise<Decision> {
    const account = await this.accounts.account(user);
    if (account === undefined) return deny('unknown_user', 'unknown user');
    if (account.disabled) return deny('disabled', 'account disabled');
    return { outcome: 'allow', user: account.address };
  }

  private record(
    method: string,
    context: SignInContext,
    user: string | undefined,
    decision: Decision,
    extra: Record<string, unknown> = {},
  ): Decision {
    const line = { event: 'sign-in', method, user, ...context, ...extra, outcome: decision.outcome, ...reasonOf(decision) };
    if (decision.outcome === 'allow') this.log.info(line, 'sign-in allowed');
    else this.log.warn(line, decision.outcome === 'deny' ? 'sign-in refused' : 'sign-in failed temporarily');
    return decision;
  }
}

const deny = (why: 'unknown_user' | 'bad_credentials' | 'disabled', reason: string): Decision => ({ outcome: 'deny', why, reason });
const reasonOf = (decision: Decision) => (decision.outcome === 'allow' ? {} : { reason: decision.reason });
