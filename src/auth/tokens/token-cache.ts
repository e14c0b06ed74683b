import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../bounded-cache.ts';
import type { TokenVerdict } from './verdict.ts';

export interface CachedVerdict {
  verdict: TokenVerdict;
  /** After this (ms), a positive verdict is checked again with the IdP; kept if the IdP is down. */
  revalidateAt: number;
}

export interface TokenCacheLimits {
  maxEntries: number;
  maxSeconds: number;
  revalidateAfterSeconds: number;
  negativeSeconds: number;
}

/**
 * Verdicts by token fingerprint (never the token). Positive ones live until the token's own
 * expiry (bounded), negative ones briefly; temporary failures are not remembered.
 */
export class TokenCache {
  private readonly entries: LRUCache<string, CachedVerdict>;
  private readonly limits: TokenCacheLimits;
  private readonly now: () => number;

  constructor(limits: TokenCacheLimits, now: () => number = Date.now) {
    this.limits = limits;
    this.now = now;
    this.entries = boundedCache(limits.maxEntries, { ttlResolution: 0, perf: { now } });
  }

  get(fingerprint: string): CachedVerdict | undefined {
    return this.entries.get(fingerprint);
  }

  remember(fingerprint: string, verdict: TokenVerdict): void {
    const now = this.now();
    if (verdict.outcome === 'valid') {
      const ttl = Math.min(verdict.expiresAt - now, this.limits.maxSeconds * 1000);
      if (ttl <= 0) return;
      this.entries.set(
        fingerprint,
        { verdict, revalidateAt: now + this.limits.revalidateAfterSeconds * 1000 },
        { ttl },
      );
    } else if (verdict.outcome === 'invalid' && this.limits.negativeSeconds > 0) {
      this.entries.set(fingerprint, { verdict, revalidateAt: Infinity }, { ttl: this.limits.negativeSeconds * 1000 });
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
