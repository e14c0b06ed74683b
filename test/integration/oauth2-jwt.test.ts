import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import nodemailer from 'nodemailer';
import { ISSUER, USERS } from '../support/idp.ts';
import { curlTokenSignIn, tokenSubmission } from '../support/mail-clients.ts';
import { inboxReceives } from '../support/mailbox.ts';
import { imapAuthenticate, LineClient, manageSieveAuthenticate, oauthbearer, xoauth2 } from '../support/sasl.ts';
import { assertNoSecret } from '../support/secrets.ts';
import {
  assertConfigsClean,
  assertLogged,
  CAROL_PASSWORD,
  curlInside,
  eventually,
  JWT_ENV,
  STRANGER_HELO,
  type Stack,
  startStack,
} from '../support/stack.ts';

/** The appliance with JWT access tokens validated locally against the test IdP's JWKS. */
let stack: Stack;
let aliceToken: string;

before(async () => {
  stack = await startStack(JWT_ENV);
  aliceToken = await stack.idp.token(USERS.alice, 'urn:idmail');
});
after(async () => stack?.stop());

const host = () => stack.mail.getHost();
const port = (inside: number) => stack.mail.getMappedPort(inside);

const curlLogin = (protocol: 'imap' | 'pop3', mechanism: string, user: string, token: string) =>
  curlTokenSignIn(stack.mail, protocol, user, token, mechanism);

function curlSubmit(mechanism: string, token: string) {
  return curlInside(stack.mail, [
    '--ssl-reqd',
    '--insecure',
    '--url',
    'smtp://localhost:587',
    '--login-options',
    `AUTH=${mechanism}`,
    '--user',
    USERS.alice.address,
    '--oauth2-bearer',
    token,
    '--mail-from',
    USERS.alice.address,
    '--mail-rcpt',
    USERS.alice.address,
    '--upload-file',
    '/etc/hostname',
  ]);
}

/** A sign-in that must be refused: curl reports "login denied" (67). */
async function assertRefused(token: string, user = USERS.alice.address) {
  const result = await curlLogin('imap', 'XOAUTH2', user, token);
  assert.equal(result.exitCode, 67, result.output);
}

describe('OAuth2 sign-in with JWT access tokens', () => {
  for (const mechanism of ['XOAUTH2', 'OAUTHBEARER']) {
    it(`IMAP ${mechanism} succeeds (in-container curl, as docker-mailserver documents)`, async () => {
      const result = await curlLogin('imap', mechanism, USERS.alice.address, aliceToken);
      assert.equal(result.exitCode, 0, result.output);
    });
    it(`POP3 ${mechanism} succeeds`, async () => {
      const result = await curlLogin('pop3', mechanism, USERS.alice.address, aliceToken);
      assert.equal(result.exitCode, 0, result.output);
    });
    it(`SMTP submission ${mechanism} on 587 succeeds`, async () => {
      const result = await curlSubmit(mechanism, aliceToken);
      assert.equal(result.exitCode, 0, result.output);
    });
    it(`ManageSieve ${mechanism} succeeds after STARTTLS`, async () => {
      const initial =
        mechanism === 'XOAUTH2'
          ? xoauth2(USERS.alice.address, aliceToken)
          : oauthbearer(USERS.alice.address, aliceToken);
      assert.match(await manageSieveAuthenticate(host(), port(4190), mechanism, initial), /^OK/);
    });
  }

  it('refuses a token for another user', async () => {
    await assertRefused(await stack.idp.token(USERS.bob, 'urn:idmail'));
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(
      await stack.idp.mint({ aud: 'urn:idmail', email: USERS.alice.address, iat: now - 7200, exp: now - 3600 }),
    );
    assert.match(stack.logs(), /token expired/);
  });

  it('refuses a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ iss: ISSUER, aud: 'urn:idmail', email: USERS.alice.address, exp: now + 600 })
      .setProtectedHeader({ alg: 'RS256', kid: 'rogue' })
      .sign(privateKey);
    await assertRefused(forged);
    assert.match(stack.logs(), /signed by a key the IdP does not publish/);
  });

  it('refuses a token for another audience', async () => {
    await assertRefused(await stack.idp.token(USERS.alice, 'urn:other'));
    assert.match(stack.logs(), /wrong audience/);
  });

  it('refuses a token from another issuer', async () => {
    await assertRefused(
      await stack.idp.mint({ iss: 'http://evil.example', aud: 'urn:idmail', email: USERS.alice.address }),
    );
    assert.match(stack.logs(), /claim iss rejected/);
  });

  it('refuses garbage base64 cleanly and keeps serving', async () => {
    assert.match(await imapAuthenticate(host(), port(993), 'XOAUTH2', '!!!not-base64!!!'), /^a1 (NO|BAD)/);
    assert.match(
      await imapAuthenticate(host(), port(993), 'XOAUTH2', xoauth2(USERS.alice.address, 'garbage')),
      /^a1 NO/,
    );
    assert.match(
      await imapAuthenticate(host(), port(993), 'XOAUTH2', xoauth2(USERS.alice.address, aliceToken)),
      /^a1 OK/,
    );
  });

  it('renders configs that doveconf and postfix check accept without a warning', async () => {
    await assertConfigsClean(stack.mail);
  });

  it('renders a Dovecot config that Dovecot accepts with ALLOW_PLAINTEXT_AUTH=1', async () => {
    const script =
      'ALLOW_PLAINTEXT_AUTH=1 idmail config render --out /tmp/cleartext >/dev/null && doveconf -n -c /tmp/cleartext/etc/dovecot/dovecot.conf >/dev/null';
    const result = await stack.mail.exec(['sh', '-c', script]);
    assert.equal(result.exitCode, 0, result.output);
  });

  it('never writes a token into the logs', async () => {
    assertNoSecret(stack.logs(), aliceToken, 'a token');
  });

  it('signs in a local account by password (PLAIN) and refuses a token-only account', async () => {
    const ok = await curlInside(stack.mail, [
      '--url',
      'imap://localhost:143',
      '--user',
      `carol@example.test:${CAROL_PASSWORD}`,
      '--request',
      'LOGOUT',
    ]);
    assert.equal(ok.exitCode, 0, ok.output);
    const refused = await curlInside(stack.mail, [
      '--url',
      'imap://localhost:143',
      '--user',
      `alice@example.test:${CAROL_PASSWORD}`,
      '--request',
      'LOGOUT',
    ]);
    assert.equal(refused.exitCode, 67, refused.output);
  });
});

/** The EHLO answer, optionally after STARTTLS. */
async function ehlo(smtpPort: number, startTls = false): Promise<string> {
  const client = await LineClient.connect(host(), smtpPort);
  try {
    await client.readUntil(/^220 /);
    if (startTls) {
      client.send('STARTTLS');
      await client.readUntil(/^220 /);
      await client.startTls();
    }
    client.send('EHLO test.example');
    const answer = await client.readUntil(/^250 /);
    assert.match(answer, /^250 /m, `no EHLO answer: ${answer}`);
    return answer;
  } finally {
    client.close();
  }
}

describe('mail flow', () => {
  // A token of its own: the flow must not lean on a verdict cached for a token of an earlier test.
  let senderToken: string;
  before(async () => {
    senderToken = await stack.idp.token(USERS.alice, 'urn:idmail');
  });
  const submission = () => tokenSubmission(stack.mail, USERS.alice.address, senderToken);
  const inbound = () =>
    nodemailer.createTransport({ host: host(), port: port(25), secure: false, ignoreTLS: true, name: STRANGER_HELO });

  it('delivers a message submitted with a token to the recipient INBOX (read over IMAP)', async () => {
    const subject = `hello ${randomUUID()}`;
    await submission().sendMail({ from: USERS.alice.address, to: USERS.bob.address, subject, text: 'hi bob' });
    const bobToken = await stack.idp.token(USERS.bob, 'urn:idmail');
    assert.ok(await inboxReceives(stack.mail, { user: USERS.bob.address, accessToken: bobToken }, subject));
  });

  it('rejects an unknown recipient on port 25 at RCPT', async () => {
    await assert.rejects(
      inbound().sendMail({ from: 'someone@elsewhere.example', to: 'nobody@example.test', subject: 'x', text: 'x' }),
      (error: Error & { responseCode?: number }) => error.responseCode === 550,
    );
  });

  it('accepts mail for an alias on port 25 and refuses relaying elsewhere', async () => {
    const info = await inbound().sendMail({
      from: 'someone@elsewhere.example',
      to: 'team@example.test',
      subject: 'x',
      text: 'x',
    });
    assert.equal(info.rejected.length, 0);
    await assert.rejects(
      inbound().sendMail({
        from: 'someone@elsewhere.example',
        to: 'victim@elsewhere.example',
        subject: 'x',
        text: 'x',
      }),
      (error: Error & { responseCode?: number }) => error.responseCode === 554,
    );
  });

  it('offers no AUTH on port 25, and AUTH on 587 only after STARTTLS', async () => {
    assert.doesNotMatch(await ehlo(port(25)), /AUTH/);
    assert.doesNotMatch(await ehlo(port(587)), /AUTH/);
    assert.match(await ehlo(port(587), true), /250[ -]AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2/);
  });

  it('lets a user send as their alias but not as someone else', async () => {
    const asAlias = await submission().sendMail({
      from: 'team@example.test',
      to: USERS.bob.address,
      subject: 'x',
      text: 'x',
    });
    assert.equal(asAlias.rejected.length, 0);
    await assert.rejects(
      submission().sendMail({ from: USERS.bob.address, to: USERS.bob.address, subject: 'x', text: 'x' }),
      (error: Error & { responseCode?: number }) => error.responseCode === 553,
    );
  });

  it('applies an account added with the CLI without a restart', async () => {
    const added = await stack.mail.exec(['idmail', 'account', 'add', 'dave@example.test', '--no-password']);
    assert.equal(added.exitCode, 0, added.output);
    const info = await eventually(
      () =>
        inbound()
          .sendMail({ from: 'someone@elsewhere.example', to: 'dave@example.test', subject: 'x', text: 'x' })
          .catch((error: Error) => error),
      (result) => !(result instanceof Error),
    );
    assert.ok(!(info instanceof Error), String(info));
  });
});

describe('one account, one IdP identity', () => {
  const minted = (sub: string) => stack.idp.mint({ aud: 'urn:idmail', email: USERS.bob.address, sub });

  it("binds an account to the subject that first signed in, refuses another subject with the same address, and rebinds on an admin's word", async () => {
    // bob's real tokens name the subject the IdP gave him; a token for his address with another subject is someone else.
    assert.equal(
      (await curlLogin('imap', 'XOAUTH2', USERS.bob.address, await stack.idp.token(USERS.bob, 'urn:idmail'))).exitCode,
      0,
    );
    const stranger = await minted('the-next-bob');
    assert.equal((await curlLogin('imap', 'XOAUTH2', USERS.bob.address, stranger)).exitCode, 67);
    await assertLogged(
      stack.logs,
      /"event":"identity-mismatch","account":"bob@example.test","issuer":"http:\/\/idp:8080","subject":"the-next-bob","boundIssuer":"http:\/\/idp:8080","boundSubject":"bob@example.test"/,
    );
    const rebound = await stack.mail.exec(['idmail', 'account', 'rebind', USERS.bob.address]);
    assert.match(rebound.output, /no longer bound to bob@example\.test of http:\/\/idp:8080/);
    assert.equal((await curlLogin('imap', 'XOAUTH2', USERS.bob.address, await minted('the-next-bob'))).exitCode, 0);
    assert.equal(
      (await curlLogin('imap', 'XOAUTH2', USERS.bob.address, await stack.idp.token(USERS.bob, 'urn:idmail'))).exitCode,
      67,
    );
    await stack.mail.exec(['idmail', 'account', 'rebind', USERS.bob.address]);
  });
});

// Last: the rotation retires the key every earlier token was signed with.
describe('signing key rotation', () => {
  it('picks up a rotation of the IdP signing key without a restart', async () => {
    await stack.idp.rotateKeys();
    const rotated = await stack.idp.token(USERS.alice, 'urn:idmail');
    const result = await eventually(
      () => curlLogin('imap', 'XOAUTH2', USERS.alice.address, rotated),
      (r) => r.exitCode === 0,
    );
    assert.equal(result.exitCode, 0, result.output);
  });
});
