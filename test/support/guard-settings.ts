import type { BruteForceSettings } from '../../src/config/settings.ts';

/** Brute-force settings for in-process tests: a ban after 3 failures from one address, no delays. */
export function guardSettings(overrides: Partial<BruteForceSettings> = {}): BruteForceSettings {
  const settings = { windowSeconds: 600, delayAfter: 100, banAfter: 3, accountBanAfter: 0, banSeconds: 60 };
  return { ...settings, allowlist: [], ipv6Prefix: 64, ...overrides };
}
