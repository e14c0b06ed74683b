import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLIENT, ISSUER, USERS } from '../support/idp.ts';
import { curlTokenSignIn } from '../support/mail-clients.ts';
import { assertNoSecret } from '../support/secrets.ts';
import { assertLogged, curlInside, eventually, type Stack, startStack } from '../support/stack.ts';

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

  // docker-mailserver's docs (config/account-management/supplementary/oauth2.md, "Verify authentication works"):
  // their curl as written; their grep as DMS's own test (test/tests/serial/mail_with_oauth2.bats) has it for
  // Dovecot 2.4, which says "Logged in:" where the docs' 2.3 said "Login:".
  const DMS_IMAP_CHECK = `curl --silent --url 'imap://localhost:143' \\
    --login-options "AUTH=\${AUTH_METHOD}" --user "\${USER_ACCOUNT}" --oauth2-bearer "\${ACCESS_TOKEN}" \\
    --request 'LOGOUT' \\
    && grep "dovecot: imap-login: Logged in: user=<\${USER_ACCOUNT}>, method=\${AUTH_METHOD}" /var/log/mail/mail.log`;
  const DMS_SMTP_CHECK = `curl --silent --ssl-reqd --insecure --url 'smtp://localhost:587' \\
    --login-options "AUTH=\${AUTH_METHOD}" --user "\${USER_ACCOUNT}" --oauth2-bearer "\${ACCESS_TOKEN}" \\
    --mail-from "\${USER_ACCOUNT}" --mail-rcpt "\${USER_ACCOUNT}" --upload-file - <<< 'RFC 5322 content - not important' \\
    && grep "postfix/submission/smtpd.*, sasl_method=\${AUTH_METHOD}, sasl_username=\${USER_ACCOUNT}" /var/log/mail/mail.log`;

  it("passes docker-mailserver's documented curl-and-grep check: the sign-in's line is in /var/log/mail/mail.log", async () => {
    const token = await stack.idp.token(USERS.alice);
    for (const method of ['OAUTHBEARER', 'XOAUTH2']) {
      const variables = `export AUTH_METHOD='${method}' USER_ACCOUNT='${USERS.alice.address}' ACCESS_TOKEN='${token}'`;
      for (const check of [DMS_IMAP_CHECK, DMS_SMTP_CHECK]) {
        // The line reaches the file a moment after curl's answer: the check is run again until it does.
        const result = await eventually(
          () => stack.mail.exec(['bash', '-c', `${variables}\n${check}`]),
          ({ exitCode }) => exitCode === 0,
          10_000,
        );
        assert.equal(result.exitCode, 0, `${method}: ${check}\n${result.output}`);
      }
    }
  });

  it('turns the mail log over as logrotate is told (LOGROTATE_*), and rsyslog goes on in a new mail.log', async () => {
    const sh = async (script: string) => (await stack.mail.exec(['sh', '-c', script])).output.trim();
    // What the logrotate service runs every hour, forced: the week is not over yet.
    await sh(
      'cd /run/idmail-s6/service/logrotate && logrotate --force --state /var/log/mail/.logrotate.state mail-log.conf',
    );
    assert.match(await sh('grep -c "dovecot: imap-login: Logged in: " /var/log/mail/mail.log.1'), /^[1-9]\d*$/);
    assert.equal((await imapLogin(stack, USERS.bob.address, await stack.idp.token(USERS.bob))).exitCode, 0);
    const fresh = await eventually(
      () => sh('cat /var/log/mail/mail.log 2>/dev/null'),
      (log) => log.includes(`Logged in: user=<${USERS.bob.address}>`),
      10_000,
    );
    assert.match(fresh, /dovecot: imap-login: Logged in: user=<bob@example\.test>/);
    assert.doesNotMatch(fresh, /user=<alice@example\.test>/);
    assert.equal(await sh("stat -c '%a %U' /var/log/mail/mail.log"), '640 root');
  });

  it("refuses a token the endpoint refuses, and another user's token", async () => {
    assert.equal((await imapLogin(stack, USERS.alice.address, 'NotAnIssuedToken0123456789')).exitCode, 67);
    assert.equal((await imapLogin(stack, USERS.alice.address, await stack.idp.token(USERS.bob))).exitCode, 67);
  });
});
