import type { LRUCache } from 'lru-cache';
import type { BruteForceSettings } from '../../config/settings.ts';
import { asciiLower } from '../../vocabulary/address.ts';
import type { LogFields, Logger } from '../../vocabulary/logger.ts';
import { clientNetwork, type NetworkList, networkList } from '../../vocabulary/networks.ts';
import { boundedCache } from '../bounded-cache.ts';
import type { ReasonCode } from '../reason-codes.ts';

export type GuardVerdict =
  | { outcome: 'allow' }
  | { outcome: 'delay'; seconds: number }
  | { outcome: 'refuse'; until: Date; reason: string; code: ReasonCode };

/** A verdict the guard logs and counts: it did something. */
type GuardAction = Exclude<GuardVerdict, { outcome: 'allow' }>;

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
    this.failures = boundedCache(MAX_TRACKED, { ttl: settings.windowSeconds * 1000 });
    this.bans = boundedCache(MAX_TRACKED, { ttl: DAY_MS + settings.banSeconds * 1000 });
    this.knownGood = boundedCache(MAX_TRACKED, { ttl: KNOWN_GOOD_MS });
    this.locked = boundedCache(MAX_TRACKED, { ttl: settings.windowSeconds * 1000 });
  }

  /** Before the credentials are checked: go ahead (counted as a failure until settled), wait, or refuse (even the right password). */
  begin(attempt: Attempt, now = Date.now()): GuardTicket {
    const network = this.networkKey(attempt.ip);
    const account =
      attempt.account === undefined || attempt.account === '' ? undefined : `account:${asciiLower(attempt.account)}`;
    const verdict = this.decide(attempt, network, account, now);
    if (verdict.outcome === 'refuse') return { verdict, settle: () => undefined };
    const counted = [network, account].filter((key) => key !== undefined);
    for (const key of counted) this.failures.set(key, [...this.recent(key, now), now]);
    let settled = false;
    return {
      verdict,
      settle: (outcome, signedIn) => {
        if (settled) return;
        settled = true;
        this.settle(
          counted,
          now,
          outcome,
          network,
          signedIn === undefined ? account : `account:${asciiLower(signedIn)}`,
        );
      },
    };
  }

  private decide(
    attempt: Attempt,
    network: string | undefined,
    account: string | undefined,
    now: number,
  ): GuardVerdict {
    const ban = network === undefined ? undefined : this.bans.get(network);
    if (ban !== undefined && ban.until > now) return this.decided(attempt, 'ip', ipBanned(ban.until));
    const networkFailures = network === undefined ? 0 : this.recent(network, now).length;
    if (networkFailures >= this.settings.banAfter) {
      return this.decided(attempt, 'ip', ipBanned(now + this.settings.banSeconds * 1000));
    }
    const trusted = account !== undefined && network !== undefined && this.knownGood.has(`${account} ${network}`);
    const accountFailures = account === undefined || trusted ? 0 : this.recent(account, now).length;
    if (this.settings.accountBanAfter > 0 && accountFailures >= this.settings.accountBanAfter) {
      const until = new Date(now + this.settings.windowSeconds * 1000);
      const reason = 'account locked to the networks it signed in from';
      return this.decided(attempt, 'account', { outcome: 'refuse', until, reason, code: 'account_locked' });
    }
    const worst = Math.max(networkFailures, accountFailures);
    if (worst < this.settings.delayAfter) return { outcome: 'allow' };
    const kind = networkFailures >= accountFailures ? 'ip' : 'account';
    const seconds = Math.min(worst - this.settings.delayAfter + 1, MAX_DELAY_SECONDS);
    return this.decided(attempt, kind, { outcome: 'delay', seconds });
  }

  private settle(
    counted: string[],
    startedAt: number,
    outcome: AttemptOutcome,
    network: string | undefined,
    account: string | undefined,
  ): void {
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
      if (failures >= this.settings.banAfter && !(active !== undefined && active.until > startedAt))
        this.ban(network, failures, startedAt);
    }
    const lockAfter = this.settings.accountBanAfter;
    if (
      account !== undefined &&
      lockAfter > 0 &&
      !this.locked.has(account) &&
      this.recent(account, startedAt).length >= lockAfter
    ) {
      this.locked.set(account, true);
      this.log.warn(
        { event: 'brute-force-account-locked', account: account.slice('account:'.length), failures: lockAfter },
        'brute force: account locked to the networks it signed in from',
      );
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
    this.log.warn(
      {
        event: 'brute-force-ban',
        ip,
        failures,
        strikes,
        seconds: lengthMs / 1000,
        until: new Date(now + lengthMs).toISOString(),
      },
      'brute force: ip banned',
    );
    this.onEvent({ action: 'ban', kind: 'ip' });
  }

  private decided(attempt: Attempt, kind: GuardEvent['kind'], verdict: GuardAction): GuardVerdict {
    // The log line keeps its documented word "action", which fail2ban filters may match.
    const { outcome: action, ...details } = verdict;
    const line: LogFields = { event: 'brute-force', ip: attempt.ip, account: attempt.account, action, ...details };
    this.log.info(line, `brute force: ${action}`);
    this.onEvent({ action, kind });
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
export const UNGUARDED: GuardTicket = { verdict: { outcome: 'allow' }, settle: () => undefined };

/** A banned network is refused every sign-in until the ban ends. */
const ipBanned = (until: number): GuardAction => ({
  outcome: 'refuse',
  until: new Date(until),
  reason: 'ip banned',
  code: 'ip_banned',
});
