import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { ISSUER } from '../support/idp.ts';
import { curlPasswordSignIn } from '../support/mail-clients.ts';
import { type ImapAuth, inboxReceives } from '../support/mailbox.ts';
import { LineClient, manageSieveAuthenticate, plain } from '../support/sasl.ts';
import { assertNoSecret } from '../support/secrets.ts';
import {
  type Appliance,
  assertConfigsClean,
  curlInside,
  eventually,
  LDAP_CA_FILE,
  STRANGER_HELO,
  type Stack,
  startStack,
} from '../support/stack.ts';

/** The seed of image/ldap: the same passwords as the test IdP's users, so one person has one credential. */
const PEOPLE = {
  alice: {
    address: 'alice@example.test',
    uid: 'alice',
    password: 'alice-password',
    dn: 'uid=alice,ou=people,dc=example,dc=test',
  },
  bob: {
    address: 'bob@example.test',
    uid: 'bob',
    password: 'bob-password',
    dn: 'uid=bob,ou=people,dc=example,dc=test',
  },
  carol: {
    address: 'carol@example.test',
    uid: 'carol',
    password: 'carol-password',
    dn: 'uid=carol,ou=people,dc=example,dc=test',
  },
  dave: {
    address: 'dave@example.test',
    uid: 'dave',
    password: 'dave-password',
    dn: 'uid=dave,ou=people,dc=example,dc=test',
  },
};
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

const SERVICE = { LDAP_BIND_DN: 'cn=idmail,ou=services,dc=example,dc=test', LDAP_BIND_PW: 'idmail-service-password' };
const OAUTH2 = { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: ISSUER, OAUTH2_AUDIENCE: 'urn:idmail', OAUTH2_ALLOW_HTTP: '1' };
const CACHE_SECONDS = 3;

/** A docker-mailserver compose file's LDAP block, as its docs write it (quotes included). */
const DMS_ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.test',
  LOG_LEVEL: 'debug',
  ...OAUTH2,
  ACCOUNT_PROVISIONER: 'LDAP',
  LDAP_SERVER_HOST: 'ldap',
  LDAP_SEARCH_BASE: 'dc=example,dc=test',
  ...SERVICE,
  LDAP_QUERY_FILTER_USER: '"(&(mail=%s)(mailEnabled=TRUE))"',
  LDAP_QUERY_FILTER_GROUP: '"(&(mailGroupMember=%s)(mailEnabled=TRUE))"',
  LDAP_QUERY_FILTER_ALIAS:
    '"(|(&(mailAlias=%s)(objectClass=PostfixBookMailForward))(&(mailAlias=%s)(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)))"',
  LDAP_QUERY_FILTER_DOMAIN:
    '"(|(&(mail=*@%s)(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE))(&(mailGroupMember=*@%s)(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE))(&(mailAlias=*@%s)(objectClass=PostfixBookMailForward)))"',
  LDAP_QUERY_FILTER_SENDERS: '"(|(&(mail=%s)(mailEnabled=TRUE))(&(mailAlias=%s)(mailEnabled=TRUE)))"',
  LDAP_ATTRIBUTE_QUOTA: 'mailQuota',
  LDAP_CACHE_TTL: String(CACHE_SECONDS),
  LDAP_TIMEOUT: '2',
};

/** Login by uid, StartTLS with the test CA, distribution lists as groupOfNames, and a dead server first in the list. */
const INETORGPERSON_ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.test',
  ...OAUTH2,
  ACCOUNT_PROVISIONER: 'ldap',
  LDAP_SCHEMA: 'inetorgperson',
  LDAP_SERVER_HOST: 'ldap://nowhere.invalid ldap://ldap',
  LDAP_SEARCH_BASE: 'dc=example,dc=test',
  ...SERVICE,
  LDAP_START_TLS: '1',
  LDAP_TLS_CA_FILE: LDAP_CA_FILE,
  LDAP_ATTRIBUTE_UID: 'uid',
};

let stack: Stack;
let ldap: StartedTestContainer;

before(async () => {
  stack = await startStack(DMS_ENV, { ldap: true });
  ldap = stack.ldap as StartedTestContainer;
});
after(async () => stack?.stop());

const LOGIN_DENIED = 67;

/**
 * Another appliance on the stack, once it reaches the directory's port: on this engine a container just
 * started may not reach another one for some seconds (its LDAP connections then time out, and the
 * sign-in is a temporary failure as it should be), which is the engine's, not what these tests test.
 */
async function startReachingDirectory(env: Record<string, string>): Promise<Appliance> {
  const appliance = await stack.startMail(env);
  const reached = await eventually(
    async () => (await appliance.container.exec(['bash', '-c', 'timeout 2 bash -c "</dev/tcp/ldap/389"'])).exitCode,
    (exitCode) => exitCode === 0,
    60_000,
  );
  assert.equal(reached, 0, 'the appliance never reached ldap:389');
  return appliance;
}

const curlSignIn = (
  mail: StartedTestContainer,
  protocol: 'imap' | 'pop3' | 'smtp',
  mechanism: string,
  user: string,
  password: string,
) => curlPasswordSignIn(mail, protocol, user, password, mechanism);

const imapLogin = (user: string, password: string, mail = stack.mail) =>
  curlSignIn(mail, 'imap', 'PLAIN', user, password);

/** The tagged answer to an IMAP LOGIN, read from the wire (to see [UNAVAILABLE] vs [AUTHENTICATIONFAILED]). */
async function imapLoginAnswer(user: string, password: string): Promise<string> {
  const client = await LineClient.connect(stack.mail.getHost(), stack.mail.getMappedPort(993), true);
  try {
    await client.readUntil(/^\* OK/);
    client.send(`a1 LOGIN "${user}" "${password}"`);
    return (await client.readUntil(/^a1 /, 30_000)).split('\r\n').at(-1) ?? '';
  } finally {
    client.close();
  }
}

const inbound = (mail = stack.mail) =>
  nodemailer.createTransport({
    host: mail.getHost(),
    port: mail.getMappedPort(25),
    secure: false,
    ignoreTLS: true,
    name: STRANGER_HELO,
  });
const submission = (person: Person) =>
  nodemailer.createTransport({
    host: stack.mail.getHost(),
    port: stack.mail.getMappedPort(587),
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: person.address, pass: person.password },
  });

type SmtpError = Error & { responseCode?: number };
/** The last refusal sendInbound met, for a failure's message. */
let lastRefusal = '';

const sendInbound = (
  to: string,
  subject = `t ${randomUUID()}`,
  mail = stack.mail,
  from = 'someone@elsewhere.example',
) =>
  inbound(mail)
    .sendMail({ from, to, subject, text: 'hello' })
    .then(
      () => 250,
      (error: SmtpError & { response?: string }) => {
        lastRefusal = error.response ?? error.message;
        return error.responseCode ?? 0;
      },
    );

const inboxHas = (auth: ImapAuth, subject: string, mail = stack.mail) => inboxReceives(mail, auth, subject);

const withPassword = (person: Person) => ({ user: person.address, pass: person.password });

/** Changes the directory as its administrator would (ldapmodify as the rootDN inside slapd's container). */
async function ldapModify(ldif: string): Promise<void> {
  const result = await ldap.exec([
    'sh',
    '-c',
    `printf '%s\\n' "$0" | ldapmodify -x -H ldap://127.0.0.1 -D cn=admin,dc=example,dc=test -w admin-password`,
    ldif,
  ]);
  assert.equal(result.exitCode, 0, result.output);
}

const setMailEnabled = (person: Person, enabled: boolean) =>
  ldapModify(`dn: ${person.dn}\nchangetype: modify\nreplace: mailEnabled\nmailEnabled: ${enabled ? 'TRUE' : 'FALSE'}`);

async function setPassword(person: Person, password: string): Promise<void> {
  const result = await ldap.exec([
    'ldappasswd',
    '-x',
    '-H',
    'ldap://127.0.0.1',
    '-D',
    'cn=admin,dc=example,dc=test',
    '-w',
    'admin-password',
    '-s',
    password,
    person.dn,
  ]);
  assert.equal(result.exitCode, 0, result.output);
}

describe('LDAP password sign-in (docker-mailserver environment block)', () => {
  for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
    for (const mechanism of ['PLAIN', 'LOGIN']) {
      it(`${protocol.toUpperCase()} ${mechanism} with the directory password`, async () => {
        const result = await curlSignIn(stack.mail, protocol, mechanism, PEOPLE.alice.address, PEOPLE.alice.password);
        assert.equal(result.exitCode, 0, result.output);
      });
    }
  }

  it('ManageSieve PLAIN with the directory password, after STARTTLS', async () => {
    const initial = plain(PEOPLE.bob.address, PEOPLE.bob.password);
    assert.match(
      await manageSieveAuthenticate(stack.mail.getHost(), stack.mail.getMappedPort(4190), 'PLAIN', initial),
      /^OK/,
    );
  });

  it('refuses a wrong password, an unknown user and an empty password', async () => {
    assert.equal((await imapLogin(PEOPLE.alice.address, 'bob-password')).exitCode, LOGIN_DENIED);
    assert.equal((await imapLogin('nobody@example.test', 'alice-password')).exitCode, LOGIN_DENIED);
    assert.match(await imapLoginAnswer(PEOPLE.alice.address, ''), /^a1 NO/);
  });

  it('refuses a user the directory disables, for sign-in and for delivery', async () => {
    assert.equal((await imapLogin(PEOPLE.dave.address, PEOPLE.dave.password)).exitCode, LOGIN_DENIED);
    assert.equal(await sendInbound(PEOPLE.dave.address), 550);
  });

  it('matches nothing with filter injection attempts, nor a bare uid when no uid attribute is configured', async () => {
    const logins = [
      '*',
      '*)(mail=*',
      'alice@example.test)(|(mail=*',
      '*@example.test',
      'alice@example.test\\29',
      PEOPLE.alice.uid,
    ];
    // In parallel: Dovecot's per-IP penalty after each failure would otherwise make this take a minute.
    const results = await Promise.all(logins.map((login) => imapLogin(login, PEOPLE.alice.password)));
    results.forEach((result, index) => {
      assert.equal(result.exitCode, LOGIN_DENIED, `${logins[index]}: ${result.output}`);
    });
    assert.equal(await sendInbound('*@example.test'), 550);
    assert.doesNotMatch(stack.logs(), /Bad search filter|invalid filter/i);
  });

  it("escapes the login in every filter: an asterisk that would match alice's entry alone finds no one, at the helper itself", async () => {
    // Dovecot refuses "*" in a login before it asks; the helper must not depend on that. Unescaped, the
    // login filter's (mail=ali*@example.test) would match alice alone and her password would sign in.
    const body = JSON.stringify({
      user: 'ali*@example.test',
      password: PEOPLE.alice.password,
      protocol: 'imap',
      remote_ip: '192.0.2.50',
    });
    const { output } = await curlInside(stack.mail, [
      '-H',
      'content-type: application/json',
      '--data-binary',
      body,
      'http://127.0.0.1:8800/dovecot/passdb/verify',
    ]);
    assert.equal(JSON.parse(output).result, 'user_unknown', output);
    const control = JSON.stringify({
      user: PEOPLE.alice.address,
      password: PEOPLE.alice.password,
      protocol: 'imap',
      remote_ip: '192.0.2.50',
    });
    assert.equal(
      JSON.parse(
        (
          await curlInside(stack.mail, [
            '-H',
            'content-type: application/json',
            '--data-binary',
            control,
            'http://127.0.0.1:8800/dovecot/passdb/verify',
          ])
        ).output,
      ).result,
      'ok',
    );
  });

  it('answers a disabled flag within the cache lifetime, and enabling again as quickly', async () => {
    await setMailEnabled(PEOPLE.carol, false);
    try {
      const refused = await eventually(
        () => imapLogin(PEOPLE.carol.address, PEOPLE.carol.password),
        (r) => r.exitCode === LOGIN_DENIED,
        (CACHE_SECONDS + 12) * 1000,
      );
      assert.equal(refused.exitCode, LOGIN_DENIED, refused.output);
      assert.equal(
        await eventually(
          () => sendInbound(PEOPLE.carol.address),
          (code) => code === 550,
          (CACHE_SECONDS + 12) * 1000,
        ),
        550,
      );
    } finally {
      await setMailEnabled(PEOPLE.carol, true);
    }
    const again = await eventually(
      () => imapLogin(PEOPLE.carol.address, PEOPLE.carol.password),
      (r) => r.exitCode === 0,
      (CACHE_SECONDS + 12) * 1000,
    );
    assert.equal(again.exitCode, 0, again.output);
  });

  it('takes a password change at once: the old password fails at the very next sign-in, at idmail and at the IdP', async () => {
    assert.equal((await imapLogin(PEOPLE.carol.address, PEOPLE.carol.password)).exitCode, 0);
    await setPassword(PEOPLE.carol, 'carol-new-password');
    try {
      assert.equal((await imapLogin(PEOPLE.carol.address, PEOPLE.carol.password)).exitCode, LOGIN_DENIED);
      assert.equal((await imapLogin(PEOPLE.carol.address, 'carol-new-password')).exitCode, 0);
      // The IdP federates the same directory: one credential for token and password sign-in.
      await assert.rejects(stack.idp.token(PEOPLE.carol, 'urn:idmail'), /invalid_grant/);
      const token = await stack.idp.token(
        { address: PEOPLE.carol.address, password: 'carol-new-password' },
        'urn:idmail',
      );
      assert.equal(
        (
          await curlInside(stack.mail, [
            '--url',
            'imap://localhost:143',
            '--login-options',
            'AUTH=XOAUTH2',
            '--user',
            PEOPLE.carol.address,
            '--oauth2-bearer',
            token,
            '--request',
            'LOGOUT',
          ])
        ).exitCode,
        0,
      );
    } finally {
      await setPassword(PEOPLE.carol, PEOPLE.carol.password);
    }
  });

  it('gives the mailbox the quota of the directory entry', async () => {
    const imap = new ImapFlow({
      host: stack.mail.getHost(),
      port: stack.mail.getMappedPort(993),
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: withPassword(PEOPLE.alice),
      logger: false,
    });
    await imap.connect();
    try {
      const quota = await imap.getQuota('INBOX');
      assert.ok(quota, 'QUOTA extension missing');
      assert.equal(quota.storage?.limit, 1024 ** 3);
    } finally {
      await imap.logout();
    }
  });
});

describe('LDAP recipients, aliases, groups and senders', () => {
  it('delivers to a directory user, an alias and every member of a group; rejects an unknown address at RCPT', async () => {
    const subject = `group ${randomUUID()}`;
    assert.equal(await sendInbound('team@example.test', subject), 250);
    assert.ok(await inboxHas(withPassword(PEOPLE.alice), subject));
    assert.ok(await inboxHas(withPassword(PEOPLE.bob), subject));
    const aliased = `alias ${randomUUID()}`;
    assert.equal(await sendInbound('builder@example.test', aliased), 250);
    assert.ok(await inboxHas(withPassword(PEOPLE.bob), aliased));
    assert.equal(await sendInbound('nobody@example.test'), 550);
  });

  it('lets a user send as their own alias, not as another user nor as their alias', async () => {
    const own = await submission(PEOPLE.alice).sendMail({
      from: 'alice.liddell@example.test',
      to: PEOPLE.bob.address,
      subject: 'x',
      text: 'x',
    });
    assert.equal(own.rejected.length, 0);
    for (const from of [PEOPLE.bob.address, 'builder@example.test']) {
      await assert.rejects(
        submission(PEOPLE.alice).sendMail({ from, to: PEOPLE.bob.address, subject: 'x', text: 'x' }),
        (error: SmtpError) => error.responseCode === 553,
        from,
      );
    }
  });

  it('reaches the same mailbox by token (IdP) and by directory password', async () => {
    const subject = `same ${randomUUID()}`;
    assert.equal(await sendInbound(PEOPLE.alice.address, subject), 250);
    const token = await stack.idp.token(PEOPLE.alice, 'urn:idmail');
    assert.ok(await inboxHas({ user: PEOPLE.alice.address, accessToken: token }, subject));
    assert.ok(await inboxHas(withPassword(PEOPLE.alice), subject));
  });

  it('renders configs that doveconf and postfix check accept without a warning', async () => {
    await assertConfigsClean(stack.mail);
  });

  it('never logs a password', () => {
    for (const person of Object.values(PEOPLE))
      assertNoSecret(stack.logs(), person.password, `${person.address}'s password`);
    assertNoSecret(stack.logs(), SERVICE.LDAP_BIND_PW, 'the bind password');
  });
});

/** The appliance's last warnings and errors, for a failure message. */
function recentTrouble(): string {
  return stack
    .logs()
    .split('\n')
    .filter((line) => /warning|error|fatal|"level":[456]0/i.test(line))
    .slice(-40)
    .join('\n');
}

describe('LDAP outage', () => {
  // Paused, not stopped: a stopped container comes back at another address, which some engines' DNS
  // carries only after a while; a frozen one is the same outage (no answer at all) at the same address.
  it('answers a directory that stops answering with a temporary failure, then recovers when it answers again', async () => {
    const runtime = await getContainerRuntimeClient();
    const container = runtime.container.getById(ldap.getId());
    await container.pause();
    try {
      assert.match(await imapLoginAnswer(PEOPLE.alice.address, PEOPLE.alice.password), /^a1 NO \[UNAVAILABLE\]/);
      // Past the cache lifetime, recipient lookups need the directory too.
      await new Promise((resolve) => setTimeout(resolve, (CACHE_SECONDS + 1) * 1000));
      const code = await sendInbound(PEOPLE.bob.address);
      assert.ok(code >= 400 && code < 500, `RCPT answered ${code}`);
    } finally {
      await container.unpause();
    }
    const back = await eventually(
      () => imapLoginAnswer(PEOPLE.alice.address, PEOPLE.alice.password),
      (answer) => answer.startsWith('a1 OK'),
      30_000,
    );
    assert.match(back, /^a1 OK/, recentTrouble());
    // From another sender: smtpd keeps a sender address it could not resolve during the outage as a
    // temporary failure for the rest of its process's life (a minute or two), which retries outlast.
    const delivered = await eventually(
      () => sendInbound(PEOPLE.bob.address, undefined, stack.mail, `after-${randomUUID()}@elsewhere.example`),
      (code) => code === 250,
      30_000,
    );
    assert.equal(delivered, 250, `${lastRefusal}\n${recentTrouble()}`);
  });
});

describe('LDAP with the inetOrgPerson preset, uid login, StartTLS and fail-over', () => {
  let preset: Appliance;
  before(async () => {
    preset = await startReachingDirectory(INETORGPERSON_ENV);
  });

  it('signs in by uid and by address, over StartTLS verified with the test CA, past a dead first server', async () => {
    assert.equal((await imapLogin(PEOPLE.alice.uid, PEOPLE.alice.password, preset.container)).exitCode, 0);
    assert.equal((await imapLogin(PEOPLE.alice.address, PEOPLE.alice.password, preset.container)).exitCode, 0);
    assert.equal((await imapLogin(PEOPLE.alice.uid, PEOPLE.bob.password, preset.container)).exitCode, LOGIN_DENIED);
    assert.match(
      preset.logs(),
      /LDAP server did not answer.*nowhere\.invalid|nowhere\.invalid.*LDAP server did not answer/,
    );
  });

  it('makes an app password for a directory user named by uid, which signs in by uid and by address', async () => {
    const created = await preset.container.exec([
      'idmail',
      'app-password',
      'create',
      PEOPLE.alice.uid,
      '--name',
      'desktop',
      '--protocols',
      'imap',
    ]);
    assert.equal(created.exitCode, 0, created.output);
    assert.match(created.output, /for alice@example\.test \(imap\)/);
    const appPassword = created.output.trim().split('\n').at(-1) ?? '';
    assert.equal((await imapLogin(PEOPLE.alice.uid, appPassword, preset.container)).exitCode, 0);
    assert.equal((await imapLogin(PEOPLE.alice.address, appPassword, preset.container)).exitCode, 0);
  });

  it('delivers a groupOfNames list to its members and refuses what the directory lacks', async () => {
    const subject = `list ${randomUUID()}`;
    assert.equal(await sendInbound('team@example.test', subject, preset.container), 250);
    assert.ok(await inboxHas(withPassword(PEOPLE.bob), subject, preset.container));
    assert.equal(await sendInbound('nobody@example.test', undefined, preset.container), 550);
  });

  it("names a token's account exactly, even where the login filter matches any domain's local part to the uid", async () => {
    const loose = await startReachingDirectory({
      ...INETORGPERSON_ENV,
      LDAP_SERVER_HOST: 'ldap://ldap',
      LDAP_QUERY_FILTER_LOGIN: '(&(objectClass=inetOrgPerson)(|(mail=%s)(uid=%u)))',
    });
    const tokenSignIn = async (login: string, email: string) =>
      (
        await curlInside(loose.container, [
          '--url',
          'imap://localhost:143',
          '--login-options',
          'AUTH=XOAUTH2',
          '--user',
          login,
          '--oauth2-bearer',
          await stack.idp.mint({ aud: 'urn:idmail', email }),
          '--request',
          'LOGOUT',
        ])
      ).exitCode;
    // The login filter finds alice's entry for "alice@elsewhere.example": a password sign-in by that name is hers by design…
    assert.equal((await imapLogin('alice@elsewhere.example', PEOPLE.alice.password, loose.container)).exitCode, 0);
    // …but a token for alice@elsewhere.example is someone else's, and never opens alice@example.test.
    assert.equal(await tokenSignIn(PEOPLE.alice.address, 'alice@elsewhere.example'), LOGIN_DENIED);
    assert.equal(await tokenSignIn(PEOPLE.alice.address, PEOPLE.alice.address), 0);
  });

  it('fails closed when the directory certificate cannot be verified', async () => {
    const { LDAP_TLS_CA_FILE: _ca, ...withoutCa } = INETORGPERSON_ENV;
    const untrusting = await startReachingDirectory({ ...withoutCa, LDAP_SERVER_HOST: 'ldap://ldap' });
    const result = await imapLogin(PEOPLE.alice.address, PEOPLE.alice.password, untrusting.container);
    assert.notEqual(result.exitCode, 0, result.output);
    assert.match(untrusting.logs(), /"server":"ldap:\/\/ldap","err":"self-signed certificate in certificate chain"/);
    assert.match(untrusting.logs(), /"outcome":"tempfail"/);
  });
});

describe("LDAP with docker-mailserver's Dovecot filters (DOVECOT_PASS_FILTER, DOVECOT_USER_FILTER)", () => {
  let narrowed: Appliance;
  before(async () => {
    narrowed = await startReachingDirectory({
      ...DMS_ENV,
      // As docker-mailserver's own LDAP test writes them: Dovecot 2.4's variables, white space between parts.
      DOVECOT_PASS_FILTER: '(&(objectClass=PostfixBookMailAccount) (uid=%{user | username}))',
      DOVECOT_USER_FILTER: '(&(objectClass=PostfixBookMailAccount) (!(uid=bob)))',
    });
  });

  it('finds the login by the pass filter: by uid, and by an address whose local part is the uid', async () => {
    assert.equal((await imapLogin(PEOPLE.alice.uid, PEOPLE.alice.password, narrowed.container)).exitCode, 0);
    assert.equal((await imapLogin(PEOPLE.alice.address, PEOPLE.alice.password, narrowed.container)).exitCode, 0);
    assert.equal((await imapLogin(PEOPLE.alice.uid, PEOPLE.bob.password, narrowed.container)).exitCode, LOGIN_DENIED);
  });

  it('keeps out of sign-in and delivery whom the user filter excludes, with the right password', async () => {
    assert.equal((await imapLogin(PEOPLE.bob.uid, PEOPLE.bob.password, narrowed.container)).exitCode, LOGIN_DENIED);
    assert.equal((await imapLogin(PEOPLE.bob.address, PEOPLE.bob.password, narrowed.container)).exitCode, LOGIN_DENIED);
    assert.equal(await sendInbound(PEOPLE.bob.address, undefined, narrowed.container), 550);
    assert.equal(await sendInbound(PEOPLE.alice.address, `narrowed ${randomUUID()}`, narrowed.container), 250);
  });
});
