import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubmissionRateLimit } from '../../../../src/auth/rate-limit/submission-rate-limit.ts';

const MINUTE = 60_000;
/** On a minute's boundary, so that "n minutes later" lands in the n-th next minute. */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const ALICE = 'alice@example.org';

/** A message of `recipients` recipients, as Postfix asks: each RCPT, then the end of the message. */
function send(limit: SubmissionRateLimit, account: string, recipients: number, now: number) {
  const verdicts = Array.from({ length: recipients }, () => limit.recipient(account, now));
  return { verdicts, message: limit.message(account, now) };
}

describe('the submission rate limit', () => {
  it('lets the messages through up to the limit, then refuses the next at its first recipient', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 2, recipientsPerHour: 0 });
    assert.deepEqual(send(limit, ALICE, 1, T0).message, { outcome: 'allow' });
    assert.deepEqual(send(limit, ALICE, 1, T0 + MINUTE).message, { outcome: 'allow' });
    assert.deepEqual(limit.recipient(ALICE, T0 + 2 * MINUTE), {
      outcome: 'refuse',
      limit: 'messages',
      max: 2,
      // The first message leaves the window 60 minutes after its minute began.
      retryAfterSeconds: 58 * 60,
    });
  });

  it('counts a message once, however many recipients it has', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 2, recipientsPerHour: 0 });
    const first = send(limit, ALICE, 50, T0);
    assert.ok(first.verdicts.every((verdict) => verdict.outcome === 'allow'));
    assert.equal(first.message.outcome, 'allow');
    assert.equal(send(limit, ALICE, 50, T0).message.outcome, 'allow');
    assert.equal(limit.message(ALICE, T0).outcome, 'refuse');
  });

  it('refuses at the end of a message when parallel sessions passed their recipients on the last free message', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 1, recipientsPerHour: 0 });
    assert.equal(limit.recipient(ALICE, T0).outcome, 'allow');
    assert.equal(limit.recipient(ALICE, T0).outcome, 'allow');
    assert.equal(limit.message(ALICE, T0).outcome, 'allow');
    assert.deepEqual(limit.message(ALICE, T0), {
      outcome: 'refuse',
      limit: 'messages',
      max: 1,
      retryAfterSeconds: 3600,
    });
  });

  it('counts recipients over all messages and refuses the one past the limit, not the message before it', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 0, recipientsPerHour: 3 });
    const first = send(limit, ALICE, 2, T0);
    assert.deepEqual(
      [...first.verdicts, first.message].map(({ outcome }) => outcome),
      ['allow', 'allow', 'allow'],
    );
    assert.equal(limit.recipient(ALICE, T0 + MINUTE).outcome, 'allow');
    assert.deepEqual(limit.recipient(ALICE, T0 + MINUTE), {
      outcome: 'refuse',
      limit: 'recipients',
      max: 3,
      retryAfterSeconds: 59 * 60,
    });
    // The message with the one recipient let through is still accepted: the recipient limit was not passed.
    assert.equal(limit.message(ALICE, T0 + MINUTE).outcome, 'allow');
  });

  it('does not count refused recipients: room opens exactly as the counted ones leave the window', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 0, recipientsPerHour: 2 });
    limit.recipient(ALICE, T0);
    limit.recipient(ALICE, T0 + 30 * MINUTE);
    for (let minute = 31; minute < 60; minute++)
      assert.equal(limit.recipient(ALICE, T0 + minute * MINUTE).outcome, 'refuse');
    assert.equal(limit.recipient(ALICE, T0 + 60 * MINUTE).outcome, 'allow');
    assert.equal(limit.recipient(ALICE, T0 + 60 * MINUTE).outcome, 'refuse');
    assert.equal(limit.recipient(ALICE, T0 + 90 * MINUTE).outcome, 'allow');
  });

  it('slides by the minute: what was sent counts for 60 minutes from the start of its minute, no longer', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 1, recipientsPerHour: 0 });
    assert.equal(limit.message(ALICE, T0 + 59_999).outcome, 'allow');
    assert.equal(limit.recipient(ALICE, T0 + 60 * MINUTE - 1).outcome, 'refuse');
    assert.equal(limit.recipient(ALICE, T0 + 60 * MINUTE).outcome, 'allow');
  });

  it('is no fixed clock hour: a burst at 10:59 still counts at 11:00', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 2, recipientsPerHour: 0 });
    send(limit, ALICE, 1, T0 + 59 * MINUTE);
    send(limit, ALICE, 1, T0 + 59 * MINUTE);
    assert.equal(limit.recipient(ALICE, T0 + 61 * MINUTE).outcome, 'refuse');
  });

  it('keeps accounts apart, whatever the case of the sign-in name', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 1, recipientsPerHour: 1 });
    assert.equal(send(limit, ALICE, 1, T0).message.outcome, 'allow');
    assert.equal(limit.recipient('Alice@Example.org', T0).outcome, 'refuse');
    assert.equal(send(limit, 'bob@example.org', 1, T0).message.outcome, 'allow');
  });

  it('limits nothing of a kind set to 0', () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 0, recipientsPerHour: 0 });
    for (let i = 0; i < 1000; i++) assert.equal(send(limit, ALICE, 5, T0).message.outcome, 'allow');
  });
});
