import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogFields, Logger } from '../vocabulary/logger.ts';
import { type BruteForceGuard, UNGUARDED } from './brute-force/brute-force-guard.ts';
import type { ReasonCode } from './reason-codes.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A shared secret a client presents over HTTPS (the SCIM bearer token): compared in constant time,
 * behind the brute-force defence like every sign-in, each refusal logged for fail2ban.
 */
export class SharedSecretGate {
  private readonly expected: Buffer;
  private readonly method: string;
  private readonly guard: BruteForceGuard | undefined;
  private readonly log: Logger;

  constructor(parts: { authorization: string; method: string; guard: BruteForceGuard | undefined; log: Logger }) {
    this.expected = digest(parts.authorization);
    this.method = parts.method;
    this.guard = parts.guard;
    this.log = parts.log;
  }

  /** True when the presented Authorization header is the expected one and the client is not banned. */
  async admits(authorization: string | undefined, ip: string): Promise<boolean> {
    const ticket = this.guard?.begin({ ip, account: undefined }) ?? UNGUARDED;
    const { verdict } = ticket;
    if (verdict.outcome === 'refuse') {
      this.refused(ip, verdict.code, `refused by the brute-force defence: ${verdict.reason}`);
      return false;
    }
    if (verdict.outcome === 'delay') await sleep(verdict.seconds * 1000);
    const matches = timingSafeEqual(digest(authorization ?? ''), this.expected);
    ticket.settle(matches ? 'success' : 'failure');
    if (matches) return true;
    if (authorization === undefined) this.refused(ip, 'bearer_missing', 'no bearer token');
    else this.refused(ip, 'bearer_wrong', 'wrong bearer token');
    return false;
  }

  /** The same sign-in line as the authority's, code after reason, so one fail2ban filter reads both. */
  private refused(ip: string, code: ReasonCode, reason: string): void {
    const line: LogFields = { event: 'sign-in', method: this.method, remoteIp: ip, outcome: 'deny', reason, code };
    this.log.warn(line, 'sign-in refused');
  }
}
