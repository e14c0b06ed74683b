/**
 * When to renew, and when to try again after a failure. Pure arithmetic on milliseconds since the
 * epoch, so that a 90-day certificate and a 90-second test certificate follow the same rules.
 */

/** The span a certificate is valid for, in ms since the epoch. */
export interface Validity {
  notBefore: number;
  notAfter: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The longest sleep between two looks at the certificate: a file replaced by hand is noticed within it. */
export const MAX_SLEEP_MS = 12 * HOUR;
const FIRST_RETRY_MS = MINUTE;
const MAX_RETRY_MS = HOUR;
/** Even a certificate about to expire is not asked for more often than this (a CA counts failed orders). */
export const MIN_RETRY_MS = 5 * SECOND;

/** Renew once less than a third of the lifetime is left: 30 days of Let's Encrypt's 90, as it recommends. */
export function renewalPoint({ notBefore, notAfter }: Validity): number {
  return notAfter - (notAfter - notBefore) / 3;
}

/** How long to sleep until the next look at a certificate that is not due yet. */
export function delayUntilRenewal(validity: Validity, now: number): number {
  return Math.min(Math.max(renewalPoint(validity) - now, 0), MAX_SLEEP_MS);
}

/**
 * After the nth failure in a row: 1 min, doubling, at most 1 h; but while the current certificate is
 * still valid, at most a quarter of what is left of it, so that several tries remain before it
 * expires (a short-lived certificate is renewed in time; a 90-day one never meets this cap).
 */
export function retryDelay(failures: number, current: Validity | undefined, now: number): number {
  const backoff = Math.min(FIRST_RETRY_MS * 2 ** Math.max(failures - 1, 0), MAX_RETRY_MS);
  if (current === undefined || current.notAfter <= now) return backoff;
  return Math.min(backoff, Math.max((current.notAfter - now) / 4, MIN_RETRY_MS));
}
