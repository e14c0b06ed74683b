import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenCache } from '../../../src/auth/tokens/token-cache.ts';

const limits = { maxEntries: 100, maxSeconds: 3600, revalidateAfterSeconds: 300, negativeSeconds: 5 };

function clock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('token cache', () => {
  it('keeps a valid verdict until the token expires, not after', () => {
    const { now, advance } = clock();
    const cache = new TokenCache(limits, now);
    cache.remember('t', {
      outcome: 'valid',
      username: 'a@b.org',
      identity: { issuer: 'https://idp.example', subject: 'a' },
      expiresAt: now() + 60_000,
    });
    advance(59_000);
    assert.equal(cache.get('t')?.verdict.outcome, 'valid');
    advance(2_000);
    assert.equal(cache.get('t'), undefined);
  });

  it('bounds a long-lived token by the maximum TTL', () => {
    const { now, advance } = clock();
    const cache = new TokenCache({ ...limits, maxSeconds: 10 }, now);
    cache.remember('t', {
      outcome: 'valid',
      username: 'a@b.org',
      identity: { issuer: 'https://idp.example', subject: 'a' },
      expiresAt: now() + 86_400_000,
    });
    advance(11_000);
    assert.equal(cache.get('t'), undefined);
  });

  it('marks a valid verdict for revalidation after the revalidation period', () => {
    const { now } = clock();
    const cache = new TokenCache(limits, now);
    cache.remember('t', {
      outcome: 'valid',
      username: 'a@b.org',
      identity: { issuer: 'https://idp.example', subject: 'a' },
      expiresAt: now() + 3_600_000,
    });
    assert.equal(cache.get('t')?.revalidateAt, now() + 300_000);
  });

  it('keeps a refusal only briefly', () => {
    const { now, advance } = clock();
    const cache = new TokenCache(limits, now);
    cache.remember('t', { outcome: 'invalid', code: 'token_signature', reason: 'bad signature' });
    advance(4_000);
    assert.equal(cache.get('t')?.verdict.outcome, 'invalid');
    advance(2_000);
    assert.equal(cache.get('t'), undefined);
  });

  it('never keeps a temporary failure or an already expired token', () => {
    const { now } = clock();
    const cache = new TokenCache(limits, now);
    cache.remember('down', { outcome: 'unavailable', code: 'idp_unavailable', reason: 'IdP unreachable' });
    cache.remember('old', {
      outcome: 'valid',
      username: 'a@b.org',
      identity: { issuer: 'https://idp.example', subject: 'a' },
      expiresAt: now() - 1,
    });
    assert.equal(cache.size, 0);
  });
});
