import { BlockList, isIPv6 } from 'node:net';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { LRUCache } from 'lru-cache';

export interface BruteForceSettings {
  /** Failures count for this long. */
  windowSeconds: number;
  /** From this many failures in the window (per IP or per account), each answer is delayed. */
  delayAfter: number;
  /** This many failures from one IP in the window ban the IP. */
  banAfter: number;
  /** This many failures for one account in the window ban sign-ins to it (0: never). */
  accountBanAfter: number;
  /** The first ban's length; each repeat within a day doubles it, up to a day. */
  banSeconds: number;
  /** Networks never delayed, counted or banned (CIDR). */
  allowlist: readonly string[];
}

export type GuardVerdict = { action: 'allow' } | { action: 'delay'; seconds: number } | { action: 'refuse'; until: Date; reason: string };

export interface Attempt {
  ip: string | undefined;
  account: string | undefined;
}

/** What the guard did, for metrics: delayed or refused an answer, or banned an IP or account. */
export interface GuardEvent {
  action: 'delay' | 'refuse' | 'ban';
  kind: 'ip' | 'account';
}

interface Ban {
  until: number;
  strikes: number;
}

const MAX_DELAY_SECONDS = 5;
const DAY_MS = 86_400_000;
const MAX_TRACKED = 100_000;

const kindOf = (key: string): GuardEvent['kind'] => (key.startsWith('ip:') ? 'ip' : 'account');

export function allowlistOf(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const network of networks) {
    const [address = '', bits] = network.split('/');
    const family = isIPv6(address) ? 'ipv6' : 'ipv4';
    list.addSubnet(address, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
  }
  return list;
}

/**
 * Brute-force defence, asked by the authority before each sign-in and told its result after.
 * Failures are counted per client IP and per account in a sliding window: past one threshold
 * answers are delayed, past another the IP (or account) is refused for a ban that doubles on repeat.
 * Allowlisted networks are exempt.
 */
export class BruteForceGuard {
  private readonly settings: BruteForceSettings;
  private readonly allowlist: BlockList;
  private readonly log: Logger;
  private readonly failures: LRUCache<string, number[]>;
  private readonly bans: LRUCache<string, Ban>;
  private readonly onEvent: (event: GuardEvent) => void;

  constructor(settings: BruteForceSettings, log: Logger, onEvent: (event: GuardEvent) => void = () => undefined) {
    this.settings = settings;
    this.onEvent = onEvent;
    this.allowlist = allowlistOf(settings.allowlist);
    this.log = log;
    this.failures = new LRUCache({ max: MAX_TRACKED, ttl: settings.windowSeconds * 1000 });
    this.bans = new LRUCache({ max: MAX_TRACKED, ttl: DAY_MS + settings.banSeconds * 1000 });
  }

  /** Before the credentials are checked: go ahead, wait, or refuse (even the right password). */
  check(attempt: Attempt, now = Date.now()): GuardVerdict {
    if (this.exempt(attempt.ip)) return { action: 'allow' };
    const keys = this.keys(attempt);
    for (const key of keys) {
      const ban = this.bans.get(key);
      if (ban !== undefined && ban.until > now) return this.decided(attempt, kindOf(key), { action: 'refuse', until: new Date(ban.until), reason: `${kindOf(key)} banned` });
    }
    const [worst] = keys
      .map((key) => ({ key, failures: this.recent(key, now).length }))
      .sort((a, b) => b.failures - a.failures);
    if (worst === undefined || worst.failures < this.settings.delayAfter) return { action: 'allow' };
    return this.decided(attempt, kindOf(worst.key), { action: 'delay', seconds: Math.min(worst.failures - this.settings.delayAfter + 1, MAX_DELAY_SECONDS) });
  }

  /** After the sign-in: a failure counts against the IP and the account; a success clears the account's count. */
  report(attempt: Attempt, success: boolean, now = Date.now()): void {
    if (this.exempt(attempt.ip)) return;
    if (success) {
      if (attempt.account !== undefined) this.failures.delete(`account:${attempt.account.toLowerCase()}`);
      return;
    }
    for (const key of this.keys(attempt)) {
      const failures = [...this.recent(key, now), now];
      const limit = key.startsWith('ip:') ? this.settings.banAfter : this.settings.accountBanAfter;
      if (limit > 0 && failures.length >= limit) this.ban(key, failures.length, now);
      else this.failures.set(key, failures);
    }
  }

  private ban(key: string, failures: number, now: number): void {
    const previous = this.bans.get(key);
    const strikes = (previous?.strikes ?? 0) + 1;
    const lengthMs = Math.min(this.settings.banSeconds * 1000 * 2 ** (strikes - 1), DAY_MS);
    this.bans.set(key, { until: now + lengthMs, strikes });
    this.failures.delete(key);
    const kind = kindOf(key);
    this.log.warn({ event: 'brute-force-ban', [kind]: key.slice(kind.length + 1), failures, strikes, seconds: lengthMs / 1000, until: new Date(now + lengthMs).toISOString() }, `brute force: ${kind} banned`);
    this.onEvent({ action: 'ban', kind });
  }

  private decided(attempt: Attempt, kind: GuardEvent['kind'], verdict: GuardVerdict & { action: 'delay' | 'refuse' }): GuardVerdict {
    this.log.info({ event: 'brute-force', ip: attempt.ip, account: attempt.account, ...verdict }, `brute force: ${verdict.action}`);
    this.onEvent({ action: verdict.action, kind });
    return verdict;
  }

  private recent(key: string, now: number): number[] {
    const since = now - this.settings.windowSeconds * 1000;
    return (this.failures.get(key) ?? []).filter((time) => time > since);
  }

  private keys(attempt: Attempt): string[] {
    return [
      ...(attempt.ip === undefined ? [] : [`ip:${attempt.ip}`]),
      ...(attempt.account === undefined || attempt.account === '' ? [] : [`account:${attempt.account.toLowerCase()}`]),
    ];
  }

  private exempt(ip: string | undefined): boolean {
    if (ip === undefined || ip === '') return false;
    return this.allowlist.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  }
}
