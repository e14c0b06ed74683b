import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLIENT, ISSUER, USERS } from '../support/idp.ts';
import { curlTokenSignIn } from '../support/mail-clients.ts';
import { assertNoSecret } from '../support/secrets.ts';
import { assertLogged, curlInside, type Stack, startStack } from '../support/stack.ts';

const base = {
  OVERRIDE_HOSTNAME: 'mail.example.test',
  MAIL_DOMAINS: 'example.test',
  ENABLE_OAUTH2: '1',
  OAUTH2_ALLOW_HTTP: '1',
};

const imapLogin = (stack: Stack, user: string, token: string) => curlTokenSignIn(stack.mail, 'imap', user, token);

describe('opaque tokens by RFC 7662 introspection (issuer + client credentials)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      ...base,
      OAUTH2_ISSUER: ISSUER,
      OAUTH2_AUDIENCE: 'urn:idmail',
      OAUTH2_CLIENT_ID: CLIENT.id,
      OAUTH2_CLIENT_SECRET: CLIENT.secret,
    });
  });
  after(async () => stack?.stop());
  const opaqueFor = (user: typeof USERS.alice, resource = 'urn:idmail') => stack.idp.token(user, resource, 'opaque');

  it('signs in with an opaque token meant for the mail server', async () => {
    const result = await imapLogin(stack, USERS.alice.address, await opaqueFor(USERS.alice));
    assert.equal(result.exitCode, 0, result.output);
  });

  it('refuses an opaque token the IdP issued for another audience, or for none', async () => {
    assert.equal((await imapLogin(stack, USERS.alice.address, await opaqueFor(USERS.alice, 'urn:other'))).exitCode, 67);
    assert.equal((await imapLogin(stack, USERS.alice.address, await stack.idp.token(USERS.alice))).exitCode, 67);
    await assertLogged(
      stack.logs,
      /"method":"token".*"outcome":"deny","reason":"wrong audience \(expected urn:idmail\)"/,
    );
  });

  it('still validates JWTs locally beside introspection', async () => {
    const result = await imapLogin(stack, USERS.alice.address, await stack.idp.token(USERS.alice, 'urn:idmail'));
    assert.equal(result.exitCode, 0, result.output);
  });

  it('refuses an opaque token of another user and an unknown one', async () => {
    assert.equal((await imapLogin(stack, USERS.alice.address, await opaqueFor(USERS.bob))).exitCode, 67);
    assert.equal((await imapLogin(stack, USERS.alice.address, 'NotAnIssuedToken0123456789')).exitCode, 67);
    assert.match(stack.logs(), /IdP says the token is not active/);
  });

  it('never writes the client secret into the logs', () => {
    assertNoSecret(stack.logs(), CLIENT.secret, 'the client secret');
  });
});

describe('docker-mailserver compatible: OAUTH2_INTROSPECTION_URL alone (userinfo-style Bearer call)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ ...base, OAUTH2_INTROSPECTION_URL: `${ISSUER}/me` });
  });
  after(async () => stack?.stop());

  it('signs in with a token the endpoint accepts', async () => {
    const result = await imapLogin(stack, USERS.alice.address, await stack.idp.token(USERS.alice));
    assert.equal(result.exitCode, 0, result.output);
  });

  it('warns at start that the audience cannot be checked, and keeps the self-service API off', async () => {
    assert.match(
      stack.logs(),
      /idmail: warning: OAUTH2_INTROSPECTION_URL without OAUTH2_CLIENT_ID: opaque tokens are checked by a userinfo call, which cannot tell whom a token was issued to/,
    );
    const api = await curlInside(stack.mail, ['--insecure', 'https://localhost:8443/api/app-passwords']);
    assert.equal(api.exitCode, 7, `the HTTPS listener answered: ${api.output}`);
    const check = await stack.mail.exec(['idmail', 'config', 'check']);
    assert.match(check.output, /warning: OAUTH2_INTROSPECTION_URL without OAUTH2_CLIENT_ID/);
  });

  it("refuses a token the endpoint refuses, and another user's token", async () => {
    assert.equal((await imapLogin(stack, USERS.alice.address, 'NotAnIssuedToken0123456789')).exitCode, 67);
    assert.equal((await imapLogin(stack, USERS.alice.address, await stack.idp.token(USERS.bob))).exitCode, 67);
  });
});
