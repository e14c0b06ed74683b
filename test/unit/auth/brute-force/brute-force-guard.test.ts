import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { type Attempt, BruteForceGuard } from '../../../../src/auth/brute-force/brute-force-guard.ts';
import type { BruteForceSettings } from '../../../../src/config/settings.ts';

const SETTINGS: BruteForceSettings = {
  windowSeconds: 600,
  delayAfter: 3,
  banAfter: 6,
  accountBanAfter: 10,
  banSeconds: 60,
  allowlist: ['127.0.0.0/8', '10.1.0.0/16'],
  ipv6Prefix: 64,
};

function guardWithLog(settings: Partial<BruteForceSettings> = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = {
    info: (line: Record<string, unknown>) => lines.push(line),
    warn: (line: Record<string, unknown>) => lines.push(line),
  } as unknown as FastifyBaseLogger;
  return { guard: new BruteForceGuard({ ...SETTINGS, ...settings }, log), lines };
}

const attacker = { ip: '203.0.113.9', account: 'alice@example.org' };
const T0 = 1_000_000_000_000;

function fail(guard: BruteForceGuard, attempt: Attempt, times: number, now = T0) {
  for (let i = 0; i < times; i++) guard.begin(attempt, now + i).settle('failure');
}

/** What the guard would answer now, without counting the question as an attempt. */
function verdictFor(guard: BruteForceGuard, attempt: Attempt, now: number) {
  const ticket = guard.begin(attempt, now);
  ticket.settle('neutral');
  return ticket.verdict;
}

describe('brute-force guard', () => {
  it('allows, then delays past the delay threshold, growing to at most 5 s', () => {
    const { guard } = guardWithLog({ banAfter: 100, accountBanAfter: 0 });
    fail(guard, attacker, 2);
    assert.deepEqual(verdictFor(guard, attacker, T0 + 10), { outcome: 'allow' });
    fail(guard, attacker, 1, T0 + 20);
    assert.deepEqual(verdictFor(guard, attacker, T0 + 30), { outcome: 'delay', seconds: 1 });
    fail(guard, attacker, 20, T0 + 40);
    assert.deepEqual(verdictFor(guard, attacker, T0 + 100), { outcome: 'delay', seconds: 5 });
  });

  it('bans an IP past the ban threshold, even for another account, and lets it go when the ban ends', () => {
    const { guard, lines } = guardWithLog();
    fail(guard, attacker, 6);
    const verdict = verdictFor(guard, { ip: attacker.ip, account: 'bob@example.org' }, T0 + 100);
    assert.equal(verdict.outcome, 'refuse');
    assert.equal(verdictFor(guard, { ip: '198.51.100.7', account: 'bob@example.org' }, T0 + 100).outcome, 'allow');
    assert.equal(verdictFor(guard, { ip: attacker.ip, account: 'bob@example.org' }, T0 + 61_000).outcome, 'allow');
    assert.ok(lines.some((line) => line.event === 'brute-force-ban' && line.ip === attacker.ip && line.seconds === 60));
  });

  it('doubles the ban on each repeat', () => {
    const { guard, lines } = guardWithLog({ accountBanAfter: 0 });
    fail(guard, attacker, 6);
    fail(guard, attacker, 6, T0 + 120_000);
    assert.equal(verdictFor(guard, attacker, T0 + 120_000 + 90_000).outcome, 'refuse');
    assert.equal(
      verdictFor(guard, { ip: attacker.ip, account: 'zed@example.org' }, T0 + 120_000 + 121_000).outcome,
      'allow',
    );
    assert.deepEqual(
      lines.filter((line) => line.event === 'brute-force-ban' && line.ip === attacker.ip).map((line) => line.seconds),
      [60, 120],
    );
  });

  it('counts an attempt from its start: of 50 parallel guesses only as many as the ban threshold get through', () => {
    const { guard } = guardWithLog({ delayAfter: 100 });
    const tickets = Array.from({ length: 50 }, () => guard.begin(attacker, T0));
    const through = tickets.filter((ticket) => ticket.verdict.outcome !== 'refuse');
    assert.equal(through.length, SETTINGS.banAfter);
    for (const ticket of through) ticket.settle('failure');
    assert.equal(verdictFor(guard, attacker, T0 + 1).outcome, 'refuse');
  });

  it('takes back a success or a temporary failure: neither is a guess', () => {
    const { guard } = guardWithLog({ delayAfter: 100 });
    for (let i = 0; i < 20; i++) guard.begin(attacker, T0 + i).settle(i % 2 === 0 ? 'neutral' : 'success');
    assert.deepEqual(verdictFor(guard, attacker, T0 + 100), { outcome: 'allow' });
  });

  it('counts an IPv6 client by its /64, and IPv4-mapped IPv6 as the IPv4 address', () => {
    const { guard } = guardWithLog();
    for (let i = 0; i < 6; i++)
      guard.begin({ ip: `2001:db8:1:2::${i + 1}`, account: `user${i}@example.org` }, T0 + i).settle('failure');
    assert.equal(
      verdictFor(guard, { ip: '2001:db8:1:2:ffff::9', account: 'x@example.org' }, T0 + 10).outcome,
      'refuse',
    );
    assert.equal(verdictFor(guard, { ip: '2001:db8:1:3::1', account: 'x@example.org' }, T0 + 10).outcome, 'allow');
    fail(guard, { ip: '::ffff:198.51.100.20', account: 'y@example.org' }, 6);
    assert.equal(verdictFor(guard, { ip: '198.51.100.20', account: 'z@example.org' }, T0 + 10).outcome, 'refuse');
  });

  it('locks an account guessed at from many IPs to the networks it signed in from, so its owner keeps access', () => {
    const { guard, lines } = guardWithLog({ delayAfter: 100 });
    const owner = { ip: '192.0.2.1', account: 'carol@example.org' };
    guard.begin(owner, T0).settle('success');
    for (let i = 0; i < 10; i++)
      guard.begin({ ip: `198.51.100.${i}`, account: 'Carol@example.org' }, T0 + 1 + i).settle('failure');
    const stranger = verdictFor(guard, { ip: '203.0.113.50', account: 'carol@example.org' }, T0 + 100);
    assert.equal(stranger.outcome, 'refuse');
    assert.deepEqual(verdictFor(guard, owner, T0 + 100), { outcome: 'allow' });
    assert.ok(
      lines.some((line) => line.event === 'brute-force-account-locked' && line.account === 'carol@example.org'),
    );
  });

  it('a success clears only the account count', () => {
    const { guard } = guardWithLog();
    const other = { ip: '192.0.2.50', account: 'dave@example.org' };
    fail(guard, other, 4);
    guard.begin(other, T0 + 10).settle('success');
    assert.deepEqual(verdictFor(guard, { ip: '192.0.2.51', account: 'dave@example.org' }, T0 + 20), {
      outcome: 'allow',
    });
    assert.equal(verdictFor(guard, { ip: other.ip, account: 'erin@example.org' }, T0 + 20).outcome, 'delay');
  });

  it('exempts allowlisted networks from the IP count and ban, not from the account count', () => {
    const { guard } = guardWithLog({ delayAfter: 100 });
    fail(guard, { ip: '10.1.2.3', account: 'frank@example.org' }, 50);
    assert.deepEqual(verdictFor(guard, { ip: '10.1.2.3', account: 'grace@example.org' }, T0 + 100), {
      outcome: 'allow',
    });
    assert.equal(verdictFor(guard, { ip: '10.1.2.3', account: 'frank@example.org' }, T0 + 100).outcome, 'refuse');
    assert.deepEqual(verdictFor(guard, { ip: '127.0.0.1', account: 'x' }, T0), { outcome: 'allow' });
  });

  it('counts failures only within the window', () => {
    const { guard } = guardWithLog();
    fail(guard, attacker, 5);
    fail(guard, attacker, 1, T0 + 601_000);
    assert.deepEqual(verdictFor(guard, attacker, T0 + 601_001), { outcome: 'allow' });
  });
});
