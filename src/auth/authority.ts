import { setTimeout as sleep } from 'node:timers/promises';
import type { LogFields, Logger } from '../vocabulary/logger.ts';
import { policyAllows, type SignInMethod, signInProtocol } from '../vocabulary/sign-in.ts';
import { parseAppPassword } from './app-passwords/app-password-secret.ts';
import type { AppPassword, AppPasswordCheck, AppPasswordStore } from './app-passwords/app-password-store.ts';
import {
  type Attempt,
  type AttemptOutcome,
  type BruteForceGuard,
  type GuardTicket,
  UNGUARDED,
} from './brute-force/brute-force-guard.ts';
import { type Account, type Directory, DirectoryUnavailable } from './directory.ts';
import type { IdentityBindings } from './identity/identity-bindings.ts';
import type { SignInPolicies } from './policy/sign-in-policy.ts';
import type { JitProvisioner } from './provisioning/jit-provisioner.ts';
import type { ReasonCode } from './reason-codes.ts';
import type { TokenChecker } from './tokens/token-checker.ts';
import type { TokenIdentity } from './tokens/verdict.ts';

/** Where a sign-in comes from, as Dovecot tells it. */
export interface SignInContext {
  protocol?: string | undefined;
  remoteIp?: string | undefined;
  mechanism?: string | undefined;
}

/** How a refusal is told to Dovecot: an unknown or a disabled account as such, anything else as bad credentials. */
type RefusalKind = 'unknown_user' | 'bad_credentials' | 'disabled';

/** Refusals and temporary failures carry a stable code (reason-codes.ts) beside the reason, a text for people. */
export type Decision =
  | { outcome: 'allow'; account: Account }
  | { outcome: 'deny'; why: RefusalKind; code: ReasonCode; reason: string }
  | { outcome: 'tempfail'; code: ReasonCode; reason: string /** Who could not answer. */; source: 'idp' | 'directory' };

/** One sign-in decision as it is made: for metrics. */
export interface DecisionEvent {
  method: string;
  context: SignInContext;
  decision: Decision;
  /** For tokens: answered from the cache. */
  cached?: boolean | undefined;
}

export type DecisionObserver = (event: DecisionEvent) => void;

export interface AuthorityParts {
  directory: Directory;
  tokens: TokenChecker | undefined;
  appPasswords: AppPasswordStore;
  policies: SignInPolicies;
  /** The IdP identity each account belongs to (bound at its first token sign-in). */
  bindings: IdentityBindings;
  /** With OAuth2: app passwords made by self-service stop when their owner has had no token sign-in for this long. */
  appPasswordSuspendAfterSeconds?: number | undefined;
  /** OAUTH2_PROVISIONING=jit: makes the account of a valid token that has none yet. */
  provisioner?: JitProvisioner | undefined;
  /** BRUTE_FORCE_PROTECTION: refuses or delays sign-ins from where too many failed. */
  guard?: BruteForceGuard | undefined;
  observers?: DecisionObserver[] | undefined;
  log: Logger;
}

/**
 * Every sign-in decision is made here: tokens, app passwords, passwords, whether the account may
 * sign in, and whether its policy allows this method on this protocol.
 * Adapters (Dovecot's HTTP calls, Postfix maps, the CLI) only translate to and from their wire formats.
 * A directory that cannot answer makes a temporary failure, never a refusal and never a success.
 */
export class Authority {
  private readonly directory: Directory;
  private readonly tokens: TokenChecker | undefined;
  private readonly appPasswords: AppPasswordStore;
  private readonly policies: SignInPolicies;
  private readonly bindings: IdentityBindings;
  private readonly appPasswordSuspendAfterMs: number | undefined;
  private readonly provisioner: JitProvisioner | undefined;
  private readonly guard: BruteForceGuard | undefined;
  private readonly observers: DecisionObserver[];
  private readonly log: Logger;

  constructor(parts: AuthorityParts) {
    this.directory = parts.directory;
    this.tokens = parts.tokens;
    this.appPasswords = parts.appPasswords;
    this.policies = parts.policies;
    this.bindings = parts.bindings;
    this.appPasswordSuspendAfterMs =
      parts.appPasswordSuspendAfterSeconds === undefined ? undefined : parts.appPasswordSuspendAfterSeconds * 1000;
    this.provisioner = parts.provisioner;
    this.guard = parts.guard;
    this.observers = parts.observers ?? [];
    this.log = parts.log;
  }

  /** A token names its account only once it is checked: before that, the guard knows the IP alone. */
  async signInWithToken(token: string, context: SignInContext): Promise<Decision> {
    return this.guarded('token', { ip: context.remoteIp, account: undefined }, context, () =>
      this.tokenDecision(token, context, (decision) => this.permitted(decision, 'token', context)),
    );
  }

  /** Whose token this is, for the self-service API: an account that may use tokens at all (any protocol). Guarded like every sign-in. */
  async tokenHolder(token: string, context: SignInContext): Promise<Decision> {
    const selfService = { ...context, protocol: 'self-service' };
    return this.guarded('token', { ip: context.remoteIp, account: undefined }, selfService, () =>
      this.tokenDecision(token, selfService, (decision) => {
        if (decision.outcome !== 'allow' || this.policies.for(decision.account.address).methods.includes('token'))
          return decision;
        return deny('policy_denied', "sign-in by token not allowed by the account's policy");
      }),
    );
  }

  private async tokenDecision(
    token: string,
    context: SignInContext,
    permit: (decision: Decision) => Decision,
  ): Promise<Decision> {
    if (this.tokens === undefined) {
      return this.record('token', context, undefined, deny('oauth2_disabled', 'OAuth2 is not enabled'));
    }
    const verdict = await this.tokens.check(token);
    const extra = {
      token: verdict.fingerprint.slice(0, 12),
      cached: verdict.cached,
      ...(verdict.stale && { stale: true }),
    };
    if (verdict.outcome !== 'valid') {
      const { code, reason } = verdict;
      const decision: Decision =
        verdict.outcome === 'unavailable' ? { outcome: 'tempfail', code, reason, source: 'idp' } : deny(code, reason);
      return this.record('token', context, undefined, decision, extra);
    }
    const decision = await orTempfail(async () => {
      // A token names its account exactly (address, or uid where the directory has one), never through a login filter.
      const account =
        (await this.directory.accountByTokenName(verdict.username)) ??
        (await this.provisioner?.provision(verdict.username, verdict.template));
      return permit(this.boundTo(mayUse(account), verdict.identity));
    });
    return this.record('token', context, verdict.username, decision, extra);
  }

  /** An account belongs to the IdP identity that first signed in to it; another subject with the same address is someone else. */
  private boundTo(decision: Decision, identity: TokenIdentity): Decision {
    if (decision.outcome !== 'allow') return decision;
    const check = this.bindings.check(decision.account.address, identity);
    if (check.outcome === 'bound')
      this.log.info(
        { event: 'identity-bound', account: decision.account.address, ...identity },
        'account bound to its IdP identity',
      );
    if (check.outcome !== 'mismatch') return decision;
    this.log.warn(
      {
        event: 'identity-mismatch',
        account: decision.account.address,
        ...identity,
        boundIssuer: check.bound.issuer,
        boundSubject: check.bound.subject,
      },
      'token of another IdP identity than the one this account is bound to (rebind with "idmail account rebind" if intended)',
    );
    return deny('identity_mismatch', 'token subject is not the identity this account is bound to');
  }

  /** A password is an app password when it has their shape, else the account's own password. */
  async signInWithPassword(user: string, password: string, context: SignInContext): Promise<Decision> {
    const method = parseAppPassword(password) === undefined ? 'password' : 'app-password';
    return this.guarded(method, { ip: context.remoteIp, account: user }, context, () =>
      method === 'password'
        ? this.passwordDecision(user, password, context)
        : this.appPasswordSignIn(user, password, context),
    );
  }

  /**
   * Brute-force defence around a sign-in Dovecot asked for: refused (even the right credentials) or
   * delayed before they are checked, counted after. A temporary failure is never the client's fault
   * and is not counted; a refusal is not another guess and is not counted either.
   */
  private async guarded(
    method: SignInMethod,
    attempt: Attempt,
    context: SignInContext,
    decide: () => Promise<Decision>,
  ): Promise<Decision> {
    const ticket: GuardTicket = this.guard?.begin(attempt) ?? UNGUARDED;
    const { verdict } = ticket;
    if (verdict.outcome === 'refuse') {
      const refusal = deny(verdict.code, `refused by the brute-force defence: ${verdict.reason}`);
      return this.record(method, context, attempt.account, refusal);
    }
    if (verdict.outcome === 'delay') await sleep(verdict.seconds * 1000);
    let outcome: AttemptOutcome = 'neutral';
    let signedIn: string | undefined;
    try {
      const decision = await decide();
      outcome = outcomeOf(decision);
      if (decision.outcome === 'allow') signedIn = decision.account.address;
      return decision;
    } finally {
      ticket.settle(outcome, signedIn);
    }
  }

  private async appPasswordSignIn(user: string, password: string, context: SignInContext): Promise<Decision> {
    const appPassword = this.appPasswords.check(password) ?? { outcome: 'mismatch' };
    const decision = await orTempfail(() => this.appPasswordDecision(user, appPassword, context));
    return this.record(
      'app-password',
      context,
      user,
      decision,
      'appPassword' in appPassword ? { appPassword: appPassword.appPassword.id } : {},
    );
  }

  private async passwordDecision(user: string, password: string, context: SignInContext): Promise<Decision> {
    const decision = await orTempfail(async () => {
      const check = await this.directory.checkPassword(user, password);
      if (check.outcome === 'unknown_user') return deny('unknown_user', 'unknown user');
      if (check.outcome === 'no_password') return deny('no_password', 'account has no password (token-only)');
      if (check.outcome === 'mismatch') return deny('wrong_password', 'wrong password');
      return this.permitted(mayUse(check.account), 'password', context);
    });
    return this.record('password', context, user, decision);
  }

  /** May the account with this mailbox address be used? Dovecot asks before it opens the mailbox. */
  accountDecision(address: string): Promise<Decision> {
    return orTempfail(async () => mayUse(await this.directory.accountByAddress(address)));
  }

  private async appPasswordDecision(user: string, check: AppPasswordCheck, context: SignInContext): Promise<Decision> {
    if (check.outcome === 'mismatch') return deny('wrong_app_password', 'wrong app password');
    if (check.outcome === 'expired') return deny('app_password_expired', 'app password expired');
    const { appPassword } = check;
    // The login may be a uid or an alias of the address: what counts is the account it names.
    const account = await this.directory.accountBySignInName(user);
    if (account?.address !== appPassword.account) {
      return deny('app_password_other_account', 'app password of another account');
    }
    if (this.suspended(appPassword)) {
      const reason = 'app password suspended: its owner has not signed in with a token for too long';
      return deny('app_password_suspended', `${reason} (APP_PASSWORD_SUSPEND_AFTER)`);
    }
    const protocol = signInProtocol(context.protocol);
    if (protocol === undefined || !appPassword.protocols.includes(protocol)) {
      return deny('app_password_protocol', `app password not valid for ${context.protocol ?? 'this protocol'}`);
    }
    const decision = this.permitted(mayUse(account), 'app-password', context);
    if (decision.outcome === 'allow') this.appPasswords.recordUse(appPassword, context.remoteIp);
    return decision;
  }

  /**
   * A self-service app password cannot outlive its owner at the IdP by long, even where neither SCIM nor
   * LDAP reports leavers: it rests once its owner has had no token sign-in for a while, and works again after the next one.
   */
  private suspended(appPassword: AppPassword): boolean {
    if (this.appPasswordSuspendAfterMs === undefined || appPassword.madeBy !== 'self-service') return false;
    const lastToken = this.bindings.get(appPassword.account)?.lastTokenAt.getTime() ?? 0;
    return Date.now() - Math.max(lastToken, appPassword.createdAt.getTime()) > this.appPasswordSuspendAfterMs;
  }

  /** An allowed account still needs its policy to allow this method on this protocol. */
  private permitted(decision: Decision, method: SignInMethod, context: SignInContext): Decision {
    if (decision.outcome !== 'allow') return decision;
    if (policyAllows(this.policies.for(decision.account.address), method, signInProtocol(context.protocol)))
      return decision;
    const where = context.protocol ?? 'an unknown protocol';
    return deny('policy_denied', `sign-in by ${method} on ${where} not allowed by the account's policy`);
  }

  private record(
    method: string,
    context: SignInContext,
    user: string | undefined,
    decision: Decision,
    extra: Record<string, unknown> = {},
  ): Decision {
    const account =
      decision.outcome === 'allow' && decision.account.address !== user ? { account: decision.account.address } : {};
    const line: LogFields = {
      event: 'sign-in',
      method,
      user,
      ...account,
      ...context,
      ...extra,
      outcome: decision.outcome,
      ...reasonOf(decision),
    };
    if (decision.outcome === 'allow') this.log.info(line, 'sign-in allowed');
    else this.log.warn(line, decision.outcome === 'deny' ? 'sign-in refused' : 'sign-in failed temporarily');
    for (const observe of this.observers)
      observe({ method, context, decision, cached: extra.cached as boolean | undefined });
    return decision;
  }
}

/** A refusal counts as a guess; a temporary failure is nobody's. */
function outcomeOf(decision: Decision): AttemptOutcome {
  if (decision.outcome === 'allow') return 'success';
  return decision.outcome === 'deny' ? 'failure' : 'neutral';
}

function mayUse(account: Account | undefined): Decision {
  if (account === undefined) return deny('unknown_user', 'unknown user');
  if (account.disabled) return deny('account_disabled', 'account disabled');
  return { outcome: 'allow', account };
}

async function orTempfail(decide: () => Promise<Decision>): Promise<Decision> {
  try {
    return await decide();
  } catch (error) {
    if (error instanceof DirectoryUnavailable) {
      return { outcome: 'tempfail', code: 'directory_unavailable', reason: error.message, source: 'directory' };
    }
    throw error;
  }
}

/** The codes Dovecot hears more of than "bad credentials" (its answer to every other refusal). */
const REFUSAL_KINDS: ReadonlyMap<ReasonCode, RefusalKind> = new Map([
  ['unknown_user', 'unknown_user'],
  ['account_disabled', 'disabled'],
]);

const deny = (code: ReasonCode, reason: string): Decision => ({
  outcome: 'deny',
  why: REFUSAL_KINDS.get(code) ?? 'bad_credentials',
  code,
  reason,
});

/** The code right after the reason: filters written for `"outcome":…,"reason":…` keep matching. */
const reasonOf = (decision: Decision) =>
  decision.outcome === 'allow' ? {} : { reason: decision.reason, code: decision.code };
