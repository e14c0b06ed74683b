import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { DecisionEvent } from '../auth/authority.ts';
import type { GuardEvent } from '../auth/brute-force/brute-force-guard.ts';
import type { RateLimitKind } from '../auth/rate-limit/submission-rate-limit.ts';
import { signInProtocol } from '../vocabulary/sign-in.ts';

/**
 * Prometheus metrics of the helper (prom-client): sign-ins by method, protocol and result, how long
 * the helper took to answer Dovecot and Postfix, token cache hits, IdP and directory failures,
 * brute-force decisions and submissions the rate limit refused. Labels take only fixed values:
 * never a user, an address or an IP.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly signIns = new Counter({
    name: 'idmail_sign_ins_total',
    help: 'Sign-in decisions by method (token, app-password, password), protocol and outcome (allow, deny, tempfail)',
    labelNames: ['method', 'protocol', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly tokenCache = new Counter({
    name: 'idmail_token_cache_total',
    help: 'Token checks answered from the cache (hit) or at the IdP or by signature (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly upstreamFailures = new Counter({
    name: 'idmail_upstream_failures_total',
    help: 'Sign-ins failed temporarily because the IdP or the directory (LDAP) could not answer',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });
  private readonly bruteForce = new Counter({
    name: 'idmail_brute_force_total',
    help: 'Brute-force defence: answers delayed or refused, and bans of an IP or an account',
    labelNames: ['action', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'idmail_submission_rate_limited_total',
    help: 'Submissions refused by the per-account rate limit, by the limit reached (messages, recipients)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly requestSeconds = new Histogram({
    name: 'idmail_helper_request_seconds',
    help: 'How long the helper took to answer a delegated call (Dovecot introspection, passdb, userdb; Postfix maps)',
    labelNames: ['call'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'idmail_helper_' });
  }

  /** The authority's decisions. */
  readonly decided = (event: DecisionEvent): void => {
    const protocol = signInProtocol(event.context.protocol) ?? 'other';
    this.signIns.inc({ method: event.method, protocol, outcome: event.decision.outcome });
    if (event.cached !== undefined) this.tokenCache.inc({ result: event.cached ? 'hit' : 'miss' });
    if (event.decision.outcome === 'tempfail') this.upstreamFailures.inc({ upstream: event.decision.source });
  };

  /** The brute-force guard's delays, refusals and bans. */
  readonly guarded = (event: GuardEvent): void => {
    this.bruteForce.inc({ action: event.action, kind: event.kind });
  };

  /** A submission the rate limit refused (SUBMISSION_MESSAGES_PER_HOUR, SUBMISSION_RECIPIENTS_PER_HOUR). */
  readonly rateLimitRefused = (limit: RateLimitKind): void => {
    this.rateLimited.inc({ limit });
  };

  /** Runs one delegated call, timed. */
  async timed<T>(call: string, work: () => Promise<T>): Promise<T> {
    const end = this.timer(call);
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** Times one delegated call; returns the function that ends the measurement. */
  timer(call: string): () => void {
    return this.requestSeconds.startTimer({ call });
  }
}
