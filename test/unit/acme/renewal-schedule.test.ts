import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  delayUntilRenewal,
  MAX_SLEEP_MS,
  MIN_RETRY_MS,
  renewalPoint,
  retryDelay,
} from '../../../src/acme/renewal-schedule.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const issuedAt = Date.UTC(2026, 0, 1);
/** Let's Encrypt's 90 days. */
const longLived = { notBefore: issuedAt, notAfter: issuedAt + 90 * DAY };
/** Pebble's in the integration test: 90 seconds. */
const shortLived = { notBefore: issuedAt, notAfter: issuedAt + 90 * SECOND };

describe('the renewal schedule', () => {
  it('renews when a third of the lifetime is left: after 60 of 90 days, after 60 of 90 seconds', () => {
    assert.equal(renewalPoint(longLived), issuedAt + 60 * DAY);
    assert.equal(renewalPoint(shortLived), issuedAt + 60 * SECOND);
  });

  it('sleeps until the renewal point, at most 12 h, and not at all once it is past', () => {
    assert.equal(delayUntilRenewal(longLived, issuedAt), MAX_SLEEP_MS);
    assert.equal(delayUntilRenewal(longLived, issuedAt + 60 * DAY - 5 * MINUTE), 5 * MINUTE);
    assert.equal(delayUntilRenewal(shortLived, issuedAt + 10 * SECOND), 50 * SECOND);
    assert.equal(delayUntilRenewal(longLived, issuedAt + 61 * DAY), 0);
  });

  it('backs off after failures: 1 min doubling to 1 h', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((failures) => retryDelay(failures, longLived, issuedAt + 61 * DAY));
    assert.deepEqual(
      delays.map((ms) => ms / MINUTE),
      [1, 2, 4, 8, 16, 32, 60, 60, 60],
    );
    assert.equal(retryDelay(3, undefined, issuedAt), 4 * MINUTE);
  });

  it('retries a short-lived certificate within a quarter of what is left of it, never more often than every 5 s', () => {
    const atRenewalPoint = renewalPoint(shortLived);
    assert.equal(retryDelay(1, shortLived, atRenewalPoint), 7.5 * SECOND);
    assert.ok(retryDelay(4, shortLived, atRenewalPoint) < shortLived.notAfter - atRenewalPoint);
    assert.equal(retryDelay(1, shortLived, shortLived.notAfter - 2 * SECOND), MIN_RETRY_MS);
  });

  it('once the certificate has expired, backs off as without one', () => {
    assert.equal(retryDelay(2, shortLived, shortLived.notAfter + SECOND), 2 * MINUTE);
  });
});
