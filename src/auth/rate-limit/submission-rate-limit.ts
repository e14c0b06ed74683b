import type { LRUCache } from 'lru-cache';
import type { SubmissionRateLimits } from '../../config/rate-limit-settings.ts';
import { asciiLower } from '../../vocabulary/address.ts';
import { boundedCache } from '../bounded-cache.ts';

/** Which limit a refusal is for. */
export type RateLimitKind = 'messages' | 'recipients';

export type RateVerdict =
  | { outcome: 'allow' }
  | { outcome: 'refuse'; limit: RateLimitKind; max: number; retryAfterSeconds: number };

/** What one account sent in one minute. */
interface MinuteCount {
  minute: number;
  messages: number;
  recipients: number;
}

const MINUTE_MS = 60_000;
const WINDOW_MINUTES = 60;
/** Accounts tracked at once; an hour's senders on one appliance are far fewer. */
const MAX_TRACKED = 100_000;

/**
 * The per-account submission limit, decided in memory (a restart forgets the counts). The window
 * slides by the minute: what was sent counts for the next hour, so no boundary lets twice the
 * limit through (as a fixed clock hour would, at 10:59 and 11:00). Recipients are counted as each
 * RCPT is let through, messages once each, when complete; a recipient is also refused once the
 * messages are used up, so that nobody uploads a message only to have it refused at its end.
 */
export class SubmissionRateLimit {
  private readonly limits: SubmissionRateLimits;
  private readonly counts: LRUCache<string, MinuteCount[]>;

  constructor(limits: SubmissionRateLimits) {
    this.limits = limits;
    this.counts = boundedCache(MAX_TRACKED, { ttl: WINDOW_MINUTES * MINUTE_MS });
  }

  /** A recipient of a message on its way: counted when let through. */
  recipient(account: string, now = Date.now()): RateVerdict {
    const recent = this.recent(account, now);
    const verdict =
      this.check(recent, 'messages', this.limits.messagesPerHour, now) ??
      this.check(recent, 'recipients', this.limits.recipientsPerHour, now);
    if (verdict !== undefined) return verdict;
    this.add(account, recent, now, { messages: 0, recipients: 1 });
    return { outcome: 'allow' };
  }

  /** A message complete and about to be accepted: counted when let through. */
  message(account: string, now = Date.now()): RateVerdict {
    const recent = this.recent(account, now);
    const verdict = this.check(recent, 'messages', this.limits.messagesPerHour, now);
    if (verdict !== undefined) return verdict;
    this.add(account, recent, now, { messages: 1, recipients: 0 });
    return { outcome: 'allow' };
  }

  /** A refusal when the window already holds `max` of this kind; none when there is room (or no limit). */
  private check(recent: MinuteCount[], limit: RateLimitKind, max: number, now: number): RateVerdict | undefined {
    if (max === 0) return undefined;
    let used = recent.reduce((sum, count) => sum + count[limit], 0);
    if (used < max) return undefined;
    // Room opens when enough of the oldest minutes have left the window.
    for (const count of recent) {
      used -= count[limit];
      if (used < max) {
        const opensAt = (count.minute + WINDOW_MINUTES) * MINUTE_MS;
        return { outcome: 'refuse', limit, max, retryAfterSeconds: Math.ceil((opensAt - now) / 1000) };
      }
    }
    throw new Error('unreachable: an emptied window is below any limit');
  }

  private add(account: string, recent: MinuteCount[], now: number, sent: Omit<MinuteCount, 'minute'>): void {
    const minute = Math.floor(now / MINUTE_MS);
    const last = recent.at(-1);
    const current = last?.minute === minute ? last : { minute, messages: 0, recipients: 0 };
    current.messages += sent.messages;
    current.recipients += sent.recipients;
    this.counts.set(asciiLower(account), current === last ? recent : [...recent, current]);
  }

  /** The account's counts of the minutes still in the window, oldest first. */
  private recent(account: string, now: number): MinuteCount[] {
    const oldest = Math.floor(now / MINUTE_MS) - WINDOW_MINUTES + 1;
    return (this.counts.get(asciiLower(account)) ?? []).filter((count) => count.minute >= oldest);
  }
}
