import type { FastifyBaseLogger as Logger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { asciiLower } from '../../vocabulary/address.ts';
import { clientNetwork, type NetworkList, networkList } from '../../vocabulary/networks.ts';

export interface BruteForceSettings {
  /** Failures count for this long. */
  windowSeconds: number;
  /** From this many failures in the window (per IP or per account), each answer is delayed. */
  delayAfter: number;
  /** This many failures from one IP in the window ban the IP. */
  banAfter: number;
  /** This many failures for one account in the window lock it to the networks it signed in from before (0: never). */
  accountBanAfter: number;
  /** The first ban's length; each repeat within a day doubles it, up to a day. */
  banSeconds: number;
  /** Networks never counted, delayed or banned as IPs (CIDR); their guesses still count against the account. */
  allowlist: readonly string[];
  /** IPv6 clients are counted per network of this prefix length. */
  ipv6Prefix: number;
}

export type GuardVerdict = { action: 'allow' } | { action: 'delay'; seconds: number } | { action: 'refuse'; until: Date; reason: string };

export interface Attempt {
  ip: string | undefined;
  account: string | undefined;
}

/** How a guarded sign-in ended: a failure counts, a success clears, a temporary failure is nobody's guess. */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

/** An attempt the guard let through, counted from its start: settle it once its outcome is known. */
export interface GuardTicket {
  verdict: GuardVerdict;
  settle(outcome: AttemptOutcome, account?: string): void;
}

/** What the guard did, for metrics: delayed or refused an answer, banned an IP or locked an account. */
export interface GuardEvent {
  action: 'delay' | 'refuse' | 'ban' | 'lock';
  kind: 'ip' | 'account';
}

interface Ban {
  until: number;
  strikes: number;
}

const MAX_DELAY_SECONDS = 5;
const DAY_MS = 86_400_000;
const MAX_TRACKED = 100_000;
/** A network an account signed in from keeps access to it through an account lock for this long. */
const KNOWN_GOOD_MS = 30 * DAY_MS;

/**
 * Brute-force defence, asked by the authority as each sign-in begins and told its outcome after.
 * Failures are counted per client network and per account in a sliding window; an attempt counts
 * from the moment it begins, so parallel guesses cannot all pass a threshold. Past one threshold
 * answers are delayed; past another the network is banned (the ban doubles on repeat), and an
 * account is locked: from then on only networks it signed in from before may try it, so guessing
 * at an account from a few addresses cannot lock its owner out. Allowlisted networks are exempt
 * from the network's count and ban, not from the account's.
 */
export class BruteForceGuard {
  private readonly settings: BruteForceSettings;
  private readonly allowlist: NetworkList;
  private readonly log: Logger;
  private readonly failures: LRUCache<string, number[]>;
  private readonly bans: LRUCache<string, Ban>;
  private readonly knownGood: LRUCache<string, number>;
  /** Accounts whose lock was logged within the window (logged once, not at every further guess). */
  private readonly locked: LRUCache<string, true>;
  private readonly onEvent: (event: GuardEvent) => void;

  constructor(settings: BruteForceSettings, log: Logger, onEvent: (event: GuardEvent) => void = () => undefined) {
    this.settings = settings;
    this.onEvent = onEvent;
    this.allowlist = networkList(settings.allowlist);
    this.log = log;
    this.failures = new LRUCache({ max: MAX_TRACKED, ttl: settings.windowSeconds * 1000 });
    this.bans = new LRUCache({ max: MAX_TRACKED, ttl: DAY_MS + settings.banSeconds * 1000 });
    this.knownGood = new LRUCache({ max: MAX_TRACKED, ttl: KNOWN_GOOD_MS });
    this.locked = new LRUCache({ max: MAX_TRACKED, ttl: settings.windowSeconds * 1000 });
  }

  /** Before the credentials are checked: go ahead (counted as a failure until settled), wait, or refuse (even the right password). */
  begin(attempt: Attempt, now = Date.now()): GuardTicket {
    const network = this.networkKey(attempt.ip);
    const account = attempt.account === undefined || attempt.account === '' ? undefined : `account:${asciiLower(attempt.account)}`;
    const verdict = this.decide(attempt, network, account, now);
    if (verdict.action === 'refuse') return { verdict, settle: () => undefined };
    const counted = [network, account].filter((key) => key !== undefined);
    for (const key of counted) this.failures.set(key, [...this.recent(key, now), now]);
    let settled = false;
    return {
      verdict,
      settle: (outcome, signedIn) => {
        if (settled) return;
        settled = true;
        this.settle(counted, now, outcome, network, signedIn === undefined ? account : `account:${asciiLower(signedIn)}`);
      },
    };
  }

  private decide(attempt: Attempt, network: string | undefined, account: string | undefined, now: number): GuardVerdict {
    const ban = network === undefined ? undefined : this.bans.get(network);
    if (ban !== undefined && ban.until > now) return this.decided(attempt, 'ip', { action: 'refuse', until: new Date(ban.until), reason: 'ip banned' });
    const networkFailures = network === undefined ? 0 : this.recent(network, now).length;
    if (networkFailures >= this.settings.banAfter) return this.decided(attempt, 'ip', { action: 'refuse', until: new Date(now + this.settings.banSeconds * 1000), reason: 'ip banned' });
    const trusted = account !== undefined && network !== undefined && this.knownGood.has(`${account} ${network}`);
    const accountFailures = account === undefined || trusted ? 0 : this.recent(account, now).length;
    if (this.settings.accountBanAfter > 0 && accountFailures >= this.settings.accountBanAfter) {
      return this.decided(attempt, 'account', { action: 'refuse', until: new Date(now + this.settings.windowSeconds * 1000), reason: 'account locked to the networks it signed in from' });
    }
    const worst = Math.max(networkFailures, accountFailures);
    if (worst < this.settings.delayAfter) return { action: 'allow' };
    const kind = networkFailures >= accountFailures ? 'ip' : 'account';
    return this.decided(attempt, kind, { action: 'delay', seconds: Math.min(worst - this.settings.delayAfter + 1, MAX_DELAY_SECONDS) });
  }

  private settle(counted: string[], startedAt: number, outcome: AttemptOutcome, network: string | undefined, account: string | undefined): void {
    if (outcome !== 'failure') {
      for (const key of counted) this.uncount(key, startedAt);
      if (outcome === 'success' && account !== undefined) {
        this.failures.delete(account);
        if (network !== undefined) this.knownGood.set(`${account} ${network}`, startedAt);
      }
      return;
    }
    if (network !== undefined) {
      const failures = this.recent(network, startedAt).length;
      const active = this.bans.get(network);
      if (failures >= this.settings.banAfter && !(active !== undefined && active.until > startedAt)) this.ban(network, failures, startedAt);
    }
    const lockAfter = this.settings.accountBanAfter;
    if (account !== undefined && lockAfter > 0 && !this.locked.has(account) && this.recent(account, startedAt).length >= lockAfter) {
      this.locked.set(account, true);
      this.log.warn({ event: 'brute-force-account-locked', account: account.slice('account:'.length), failures: lockAfter }, 'brute force: account locked to the networks it signed in from');
      this.onEvent({ action: 'lock', kind: 'account' });
    }
  }

  /** Takes back the failure an attempt was counted as when it began. */
  private uncount(key: string, startedAt: number): void {
    const times = this.failures.get(key);
    const index = times?.indexOf(startedAt) ?? -1;
    if (times === undefined || index < 0) return;
    const rest = times.toSpliced(index, 1);
    if (rest.length === 0) this.failures.delete(key);
    else this.failures.set(key, rest);
  }

  private ban(key: string, failures: number, now: number): void {
    const previous = this.bans.get(key);
    const strikes = (previous?.strikes ?? 0) + 1;
    const lengthMs = Math.min(this.settings.banSeconds * 1000 * 2 ** (strikes - 1), DAY_MS);
    this.bans.set(key, { until: now + lengthMs, strikes });
    this.failures.delete(key);
    const ip = key.slice('ip:'.length);
    this.log.warn({ event: 'brute-force-ban', ip, failures, strikes, seconds: lengthMs / 1000, until: new Date(now + lengthMs).toISOString() }, 'brute force: ip banned');
    this.onEvent({ action: 'ban', kind: 'ip' });
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

  /** The counted network of a client; none for an allowlisted one (or an attempt without an address). */
  private networkKey(ip: string | undefined): string | undefined {
    if (ip === undefined || ip === '' || this.allowlist.contains(ip)) return undefined;
    return `ip:${clientNetwork(ip, this.settings.ipv6Prefix)}`;
  }
}

/** The ticket of an attempt when the defence is off (BRUTE_FORCE_PROTECTION=0). */
export const UNGUARDED: GuardTicket = { verdict: { action: 'allow' }, settle: () => undefined };
