import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inboundCode, tokenSignIn } from '../support/mail-clients.ts';
import { inboxReceives } from '../support/mailbox.ts';
import { scimClient } from '../support/scim-client.ts';
import { DEACTIVATE_ENTRA, FULL_USER, REACTIVATE, tourGuides } from '../support/scim-examples.ts';
import { eventually, JWT_ENV, type Stack, startStack } from '../support/stack.ts';

/** SCIM 2.0 driven as an IdP drives it, against the real appliance: mailboxes and lists appear, stop and go. */
const SCIM_TOKEN = 'scim-integration-token-0123456789abcdef';
const BARBARA = 'bjensen@example.com';
const MAILDIR = '/var/mail/example.com/bjensen';

let stack: Stack;
let scim: ReturnType<typeof scimClient>;
let userId: string;

before(async () => {
  stack = await startStack({
    ...JWT_ENV,
    MAIL_DOMAINS: 'example.test,example.com',
    SCIM_TOKEN,
    PROVISIONING_PURGE_AFTER: '8s',
  });
  scim = scimClient(stack.mail, SCIM_TOKEN);
});
after(async () => stack?.stop());

const tokenFor = (email: string) => stack.idp.mint({ aud: 'urn:idmail', email });
const maildirExists = async () => (await stack.mail.exec(['test', '-d', MAILDIR])).exitCode === 0;

describe('SCIM provisioning', () => {
  it('refuses a client without the token', async () => {
    const answer = await scimClient(stack.mail, 'not-the-token')('GET', '/Users');
    assert.equal(answer.status, 401);
    assert.equal(answer.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
  });

  it('creates the RFC 7643 full user, whose mailbox then receives mail and signs in with a token', async () => {
    assert.equal(await inboundCode(stack.mail, BARBARA), 550);
    const created = await scim('POST', '/Users', FULL_USER);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    userId = created.body.id;
    assert.equal(await inboundCode(stack.mail, BARBARA, 'welcome Barbara'), 250);
    assert.ok(
      await inboxReceives(stack.mail, { user: BARBARA, accessToken: await tokenFor(BARBARA) }, 'welcome Barbara'),
    );
  });

  it('finds the user by userName eq, as IdPs look up before they create', async () => {
    const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "BJENSEN"')}`);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, userId);
  });

  it('delivers a Group (distribution list) to its members', async () => {
    const group = await scim('POST', '/Groups', tourGuides([userId]));
    assert.equal(group.status, 201, JSON.stringify(group.body));
    assert.equal(await inboundCode(stack.mail, 'tour-guides@example.test', 'to the guides'), 250);
    assert.ok(
      await inboxReceives(stack.mail, { user: BARBARA, accessToken: await tokenFor(BARBARA) }, 'to the guides'),
    );
  });

  it('deactivated by PATCH (as Entra ID sends it): sign-in and delivery refused; reactivated: both back', async () => {
    assert.equal((await scim('PATCH', `/Users/${userId}`, DEACTIVATE_ENTRA)).body.active, false);
    assert.equal(await tokenSignIn(stack.mail, 'imap', BARBARA, await tokenFor(BARBARA)), 67);
    assert.equal(await inboundCode(stack.mail, BARBARA), 550);
    assert.equal(await inboundCode(stack.mail, 'tour-guides@example.test'), 550);
    await scim('PATCH', `/Users/${userId}`, REACTIVATE);
    assert.equal(await tokenSignIn(stack.mail, 'imap', BARBARA, await tokenFor(BARBARA)), 0);
    assert.equal(await inboundCode(stack.mail, BARBARA), 250);
  });

  it('deleted: refused at once, the mail kept for the grace period, then purged', async () => {
    assert.ok(await maildirExists());
    assert.equal((await scim('DELETE', `/Users/${userId}`)).status, 204);
    assert.equal(await tokenSignIn(stack.mail, 'imap', BARBARA, await tokenFor(BARBARA)), 67);
    assert.equal(await inboundCode(stack.mail, BARBARA), 550);
    assert.ok(await maildirExists(), 'the mail is still there right after the deletion');
    assert.equal(await eventually(maildirExists, (exists) => !exists, 30_000), false);
    // The purge is logged after the Maildir is gone, and the log reaches the engine a moment later.
    const purged = /"event":"purged","address":"bjensen@example.com"/;
    assert.match(
      await eventually(
        () => Promise.resolve(stack.logs()),
        (logs) => purged.test(logs),
        5_000,
      ),
      purged,
    );
  });
});
