import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { BruteForceGuard, type BruteForceSettings } from '../../../../src/auth/brute-force/brute-force-guard.ts';

const SETTINGS: BruteForceSettings = { windowSeconds: 600, delayAfter: 3, banAfter: 6, accountBanAfter: 10, banSeconds: 60, allowlist: ['127.0.0.0/8', '10.1.0.0/16'] };

function guardWithLog(settings: Partial<BruteForceSettings> = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = { info: (line: Record<string, unknown>) => lines.push(line), warn: (line: Record<string, unknown>) => lines.push(line) } as unknown as FastifyBaseLogger;
  return { guard: new BruteForceGuard({ ...SETTINGS, ...settings }, log), lines };
}

const attacker = { ip: '203.0.113.9', account: 'alice@example.org' };
const T0 = 1_000_000_000_000;

function fail(guard: BruteForceGuard, attempt: { ip: string; account: string }, times: number, now = T0) {
  for (let i = 0; i < times; i++) guard.report(attempt, false, now + i);
}

describe('brute-force guard', () => {
  it('allows, then delays past the delay threshold, growing to at most 5 s', () => {
    const { guard } = guardWithLog({ banAfter: 100, accountBanAfter: 0 });
    fail(guard, attacker, 2);
    assert.deepEqual(guard.check(attacker, T0 + 10), { action: 'allow' });
    fail(guard, attacker, 1, T0 + 20);
    assert.deepEqual(guard.check(attacker, T0 + 30), { action: 'delay', seconds: 1 });
    fail(guard, attacker, 20, T0 + 40);
    assert.deepEqual(guard.check(attacker, T0 + 100), { action: 'delay', seconds: 5 });
  });

  it('bans an IP past the ban threshold, even for another account, and lets it go when the ban ends', () => {
    const { guard, lines } = guardWithLog();
    fail(guard, attacker, 6);
    const verdict = guard.check({ ip: attacker.ip, account: 'bob@example.org' }, T0 + 100);
    assert.equal(verdict.action, 'refuse');
    assert.equal(guard.check({ ip: '198.51.100.7', account: 'bob@example.org' }, T0 + 100).action, 'allow');
    assert.equal(guard.check({ ip: attacker.ip, account: 'bob@example.org' }, T0 + 61_000).action, 'allow');
    assert.ok(lines.some((line) => line['event'] === 'brute-force-ban' && line['ip'] === attacker.ip && line['seconds'] === 60));
  });

  it('doubles the ban on each repeat', () => {
    const { guard, lines } = guardWithLog();
    fail(guard, attacker, 6);
    fail(guard, attacker, 6, T0 + 120_000);
    assert.equal(guard.check(attacker, T0 + 120_000 + 90_000).action, 'refuse');
    assert.equal(guard.check(attacker, T0 + 120_000 + 121_000).action, 'allow');
    assert.deepEqual(lines.filter((line) => line['event'] === 'brute-force-ban' && line['ip'] === attacker.ip).map((line) => line['seconds']), [60, 120]);
  });

  it('bans an account guessed at from many IPs, and a success clears only the account count', () => {
    const { guard } = guardWithLog();
    for (let i = 0; i < 10; i++) guard.report({ ip: `198.51.100.${i}`, account: 'Carol@example.org' }, false, T0 + i);
    assert.equal(guard.check({ ip: '192.0.2.1', account: 'carol@example.org' }, T0 + 100).action, 'refuse');
    const other = { ip: '192.0.2.50', account: 'dave@example.org' };
    fail(guard, other, 4);
    guard.report(other, true, T0 + 10);
    assert.deepEqual(guard.check({ ip: '192.0.2.51', account: 'dave@example.org' }, T0 + 20), { action: 'allow' });
    assert.equal(guard.check({ ip: other.ip, account: 'erin@example.org' }, T0 + 20).action, 'delay');
  });

  it('exempts allowlisted networks entirely', () => {
    const { guard } = guardWithLog();
    fail(guard, { ip: '10.1.2.3', account: attacker.account }, 50);
    assert.deepEqual(guard.check({ ip: '10.1.2.3', account: attacker.account }, T0 + 100), { action: 'allow' });
    assert.deepEqual(guard.check({ ip: '127.0.0.1', account: 'x' }, T0), { action: 'allow' });
  });

  it('counts failures only within the window', () => {
    const { guard } = guardWithLog();
    fail(guard, attacker, 5);
    fail(guard, attacker, 1, T0 + 601_000);
    assert.deepEqual(guard.check(attacker, T0 + 601_001), { action: 'allow' });
  });
});
