import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NodemailerError, SMTPSentMessageInfo } from 'nodemailer';
import { USERS } from '../support/idp.ts';
import { curlPasswordSignIn, tokenSubmission } from '../support/mail-clients.ts';
import { assertNoSecret } from '../support/secrets.ts';
import {
  assertConfigsClean,
  assertLogged,
  CAROL_PASSWORD,
  curlInside,
  JWT_ENV,
  type Stack,
  startStack,
} from '../support/stack.ts';

/**
 * The per-account submission rate limit, as Postfix asks the helper's policy socket: small limits,
 * so that a few messages reach them. alice (token) meets the messages limit, bob (token) the
 * recipients limit, carol (password) neither: each account is counted on its own.
 */
const MESSAGES_PER_HOUR = 2;
const RECIPIENTS_PER_HOUR = 3;
const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const CAROL = 'carol@example.test';

let stack: Stack;
let aliceToken: string;
let bobToken: string;

before(async () => {
  stack = await startStack({
    ...JWT_ENV,
    SUBMISSION_MESSAGES_PER_HOUR: String(MESSAGES_PER_HOUR),
    SUBMISSION_RECIPIENTS_PER_HOUR: String(RECIPIENTS_PER_HOUR),
  });
  aliceToken = await stack.idp.token(USERS.alice, 'urn:idmail');
  bobToken = await stack.idp.token(USERS.bob, 'urn:idmail');
});
after(async () => stack?.stop());

/** Sends one message signed in with a token; the delivery report, or the SMTP failure. */
function send(user: string, token: string, to: string[]): Promise<SMTPSentMessageInfo | NodemailerError> {
  return tokenSubmission(stack.mail, user, token)
    .sendMail({ from: user, to, subject: `rate ${randomUUID()}`, text: 'hello' })
    .catch((error: NodemailerError) => error);
}

const sent = (result: SMTPSentMessageInfo | NodemailerError): SMTPSentMessageInfo => {
  assert.ok(!(result instanceof Error), result instanceof Error ? result.message : '');
  return result;
};

const metricsText = async () => (await curlInside(stack.mail, ['http://127.0.0.1:8800/metrics'])).output;

describe('the submission rate limit', () => {
  it('renders configs Postfix reads without a warning, and serves the policy socket to the helper and Postfix only', async () => {
    await assertConfigsClean(stack.mail);
    const socket = await stack.mail.exec(['stat', '-c', '%a %U:%G', '/run/idmail/postfix-policy.sock']);
    assert.equal(socket.output.trim(), '660 idmail:postfix');
  });

  it(`lets an account send ${MESSAGES_PER_HOUR} messages, then refuses the next with a temporary 450 4.7.1 naming the limit`, async () => {
    for (let i = 0; i < MESSAGES_PER_HOUR; i++)
      assert.deepEqual(sent(await send(ALICE, aliceToken, [BOB])).accepted, [BOB]);
    const refused = await send(ALICE, aliceToken, [BOB]);
    assert.ok(refused instanceof Error, 'the message past the limit was accepted');
    assert.equal(refused.responseCode, 450, refused.message);
    assert.match(
      refused.response ?? '',
      /^450 4\.7\.1 .*Rate limit: at most 2 messages per hour from this account; try again in \d+ minutes?/,
    );
    await assertLogged(
      stack.logs,
      /"event":"rate-limited","account":"alice@example\.test","limit":"messages","max":2,/,
    );
    assert.match(await metricsText(), /idmail_submission_rate_limited_total\{limit="messages"\} 1\n/);
  });

  it(`accepts recipients up to ${RECIPIENTS_PER_HOUR} an hour over all messages and defers the one past it, the others of its message delivered`, async () => {
    assert.deepEqual(sent(await send(BOB, bobToken, [ALICE, CAROL])).accepted, [ALICE, CAROL]);
    const partly = sent(await send(BOB, bobToken, [ALICE, CAROL]));
    assert.deepEqual(partly.accepted, [ALICE]);
    assert.deepEqual(partly.rejected, [CAROL]);
    const [deferred] = partly.rejectedErrors ?? [];
    assert.equal(deferred?.responseCode, 450);
    assert.match(
      deferred?.response ?? '',
      /^450 4\.7\.1 .*Rate limit: at most 3 recipients per hour from this account; /,
    );
    await assertLogged(
      stack.logs,
      /"event":"rate-limited","account":"bob@example\.test","limit":"recipients","max":3,/,
    );
    assert.match(await metricsText(), /idmail_submission_rate_limited_total\{limit="recipients"\} 1\n/);
  });

  it('leaves another account unaffected while both of those are at their limits', async () => {
    const carol = await curlPasswordSignIn(stack.mail, 'smtp', CAROL, CAROL_PASSWORD);
    assert.equal(carol.exitCode, 0, carol.output);
    for (const [user, token] of [
      [ALICE, aliceToken],
      [BOB, bobToken],
    ] as const) {
      const still = await send(user, token, [user]);
      assert.ok(still instanceof Error && still.responseCode === 450, `${user} is no longer at a limit`);
    }
  });

  it('logs no token and no password', () => {
    assertNoSecret(stack.logs(), aliceToken, "alice's token");
    assertNoSecret(stack.logs(), bobToken, "bob's token");
    assertNoSecret(stack.logs(), CAROL_PASSWORD, "carol's password");
  });
});
