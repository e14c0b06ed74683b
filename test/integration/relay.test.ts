import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inboundCode, passwordSubmission } from '../support/mail-clients.ts';
import { inboxReceives } from '../support/mailbox.ts';
import { assertNoSecret } from '../support/secrets.ts';
import {
  ACCOUNTS_YAML,
  type Appliance,
  assertConfigsClean,
  assertLogged,
  CAROL_PASSWORD,
  daemonProcesses,
  eventually,
  JWT_ENV,
  type Stack,
  startAppliance,
  startStack,
} from '../support/stack.ts';

/**
 * Sending through a relay host, with docker-mailserver's variables: the stack's appliance relays mail
 * from its domains (RELAY_HOST) to a second appliance, the relay, which wants a signed-in user on 587
 * with TLS (carol, known to both through the stack's accounts file). The relay serves relay.test, where
 * dave's mailbox is. Also: postmaster@ and abuse@ reach the postmaster, and never loop.
 */
const CAROL = 'carol@example.test';
const DAVE = 'dave@relay.test';
/** The relay's name on the stack's network (not under .test: the engine's resolver answers it). */
const RELAY_ALIAS = 'relay';

let stack: Stack;
let relay: Appliance;

before(async () => {
  stack = await startStack({
    ...JWT_ENV,
    POSTMASTER_ADDRESS: CAROL,
    RELAY_HOST: RELAY_ALIAS,
    RELAY_PORT: '587',
    RELAY_USER: CAROL,
    RELAY_PASSWORD: CAROL_PASSWORD,
  });
  relay = await stack.startMail(
    { ...JWT_ENV, OVERRIDE_HOSTNAME: 'smtp.relay.test', MAIL_DOMAINS: 'relay.test', SPOOF_PROTECTION: '0' },
    [],
    [RELAY_ALIAS],
  );
  const added = await relay.container.exec(['idmail', 'account', 'add', DAVE, '--no-password']);
  assert.equal(added.exitCode, 0, added.output);
  // The relay's helper reads the accounts file again within a second: mail relayed before would bounce.
  const ready = await eventually(
    () => inboundCode(relay.container, DAVE, 'ready'),
    (code) => code === 250,
  );
  assert.equal(ready, 250);
});
after(async () => stack?.stop());

/** Submission on an appliance (the stack's by default) as carol, by password (STARTTLS on 587). */
const submitAsCarol = (to: string, subject: string, appliance = stack.mail) =>
  passwordSubmission(appliance, CAROL, CAROL_PASSWORD).sendMail({
    from: CAROL,
    to,
    subject,
    text: 'through the relay',
  });

describe('a relay host that wants a signed-in user (RELAY_HOST, RELAY_PORT, RELAY_USER, RELAY_PASSWORD)', () => {
  it('renders a configuration Postfix reads without a warning, the password in a table root alone reads', async () => {
    await assertConfigsClean(stack.mail);
    const table = await stack.mail.exec(['stat', '-c', '%a %U', '/etc/postfix/sasl_passwd']);
    assert.equal(table.output.trim(), '600 root');
    const main = await stack.mail.exec(['cat', '/etc/postfix/main.cf']);
    assert.match(main.output, /^sender_dependent_relayhost_maps = socketmap:/m);
    assertNoSecret(main.output, CAROL_PASSWORD, 'the relay password');
  });

  it("delivers mail for another domain through the relay, signed in there over TLS, into the recipient's mailbox", async () => {
    const subject = `relayed ${randomUUID()}`;
    const sent = await submitAsCarol(DAVE, subject);
    assert.deepEqual(sent.accepted, [DAVE]);
    // The sender reached the relay by its network name on 587, over TLS, and handed the message over…
    await assertLogged(stack.logs, /to=<dave@relay\.test>, relay=relay\[[^\]]+\]:587, .*status=sent/, 30_000);
    await assertLogged(stack.logs, /TLS connection established to relay\[[^\]]+\]:587/);
    // …which the relay took from a signed-in carol on submission…
    await assertLogged(
      relay.logs,
      /postfix\/submission\/smtpd\[\d+\]: [0-9A-Za-z]+: client=[^,]+, sasl_method=\w+, sasl_username=carol@example\.test/,
    );
    // …and delivered into dave's mailbox.
    const accessToken = await stack.idp.mint({ aud: 'urn:idmail', email: DAVE });
    assert.ok(await inboxReceives(relay.container, { user: DAVE, accessToken }, subject), 'not in dave@relay.test');
  });

  it('never writes the relay password into a log', () => {
    assertNoSecret(stack.logs(), CAROL_PASSWORD, 'the relay password');
  });
});

describe("docker-mailserver's relay tables in its config folder (postfix-relaymap.cf, postfix-sasl-password.cf)", () => {
  let sender: Appliance;
  before(async () => {
    // What `setup relay add-domain example.test relay 587` and `setup relay add-auth example.test carol …` write.
    sender = await startAppliance(
      stack.network,
      { ...JWT_ENV, OVERRIDE_HOSTNAME: 'mail3.example.test' },
      [
        { content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' },
        { content: `@example.test [${RELAY_ALIAS}]:587\n`, target: '/tmp/docker-mailserver/postfix-relaymap.cf' },
        {
          content: `# relay credentials\n@example.test ${CAROL}:${CAROL_PASSWORD}\n`,
          target: '/tmp/docker-mailserver/postfix-sasl-password.cf',
        },
      ],
      [],
      [],
    );
  });
  after(async () => sender?.container.stop({ timeout: 5 }));

  it('sends mail of that domain through its relay, signed in with its credentials, over TLS only', async () => {
    await assertConfigsClean(sender.container);
    const policy = await sender.container.exec(['cat', '/etc/postfix/relay_tls_policy']);
    assert.equal(policy.output, `[${RELAY_ALIAS}]:587 encrypt\n`);
    const subject = `dms tables ${randomUUID()}`;
    assert.deepEqual((await submitAsCarol(DAVE, subject, sender.container)).accepted, [DAVE]);
    await assertLogged(sender.logs, /TLS connection established to relay\[[^\]]+\]:587/, 30_000);
    await assertLogged(sender.logs, /to=<dave@relay\.test>, relay=relay\[[^\]]+\]:587, .*status=sent/, 30_000);
    const accessToken = await stack.idp.mint({ aud: 'urn:idmail', email: DAVE });
    assert.ok(await inboxReceives(relay.container, { user: DAVE, accessToken }, subject), 'not in dave@relay.test');
    assertNoSecret(sender.logs(), CAROL_PASSWORD, 'the relay password');
  });

  it('takes an edit of the tables (setup relay) up without a restart, and a table a start would refuse not at all', async () => {
    const running = await daemonProcesses(sender.container);
    const applied = () => sender.logs().match(/idmail: config folder: applied/g)?.length ?? 0;
    const setupRelay = async (...args: string[]) => {
      const done = await sender.container.exec(['setup', 'relay', ...args]);
      assert.equal(done.exitCode, 0, done.output);
      assert.match(done.output, /applies within 2 s, without a restart/);
    };
    // To the relay's port 25 instead (no sign-in there: what it answers a stranger is its business; the
    // edit took when the message went there).
    await setupRelay('add-domain', 'example.test', RELAY_ALIAS, '25');
    await eventually(
      async () => applied(),
      (count) => count === 1,
      20_000,
    );
    assert.equal(applied(), 1, 'the edit was not applied');
    assert.deepEqual((await submitAsCarol(DAVE, `port 25 ${randomUUID()}`, sender.container)).accepted, [DAVE]);
    await assertLogged(sender.logs, /to=<dave@relay\.test>, relay=relay\[[^\]]+\]:25, .*status=\w+/, 30_000);

    // A line no start would read is kept out of service: port 25 stays.
    const broken = await sender.container.exec([
      'sh',
      '-c',
      'echo "@example.test [relay]:notaport" >> /tmp/docker-mailserver/postfix-relaymap.cf',
    ]);
    assert.equal(broken.exitCode, 0, broken.output);
    await assertLogged(sender.logs, /idmail: config folder: not applied, what is in service stays: RELAY_MAP/, 20_000);
    const repaired = await sender.container.exec(['sed', '-i', '$d', '/tmp/docker-mailserver/postfix-relaymap.cf']);
    assert.equal(repaired.exitCode, 0, repaired.output);

    // Back through the relay, signed in with the credentials the table still has.
    await setupRelay('add-domain', 'example.test', RELAY_ALIAS, '587');
    await eventually(
      async () => applied(),
      (count) => count >= 2,
      20_000,
    );
    const signedIn = () =>
      relay
        .logs()
        .match(
          /postfix\/submission\/smtpd\[\d+\]: \w+: client=[^,]+, sasl_method=\w+, sasl_username=carol@example\.test/g,
        )?.length ?? 0;
    const signedInBefore = signedIn();
    const subject = `relayed again ${randomUUID()}`;
    assert.deepEqual((await submitAsCarol(DAVE, subject, sender.container)).accepted, [DAVE]);
    await eventually(
      async () => signedIn(),
      (count) => count > signedInBefore,
      30_000,
    );
    assert.ok(signedIn() > signedInBefore, 'not signed in at the relay on 587');
    const accessToken = await stack.idp.mint({ aud: 'urn:idmail', email: DAVE });
    assert.ok(await inboxReceives(relay.container, { user: DAVE, accessToken }, subject), 'not in dave@relay.test');
    assert.deepEqual(await daemonProcesses(sender.container), running, 'a daemon or the container restarted');
    assertNoSecret(sender.logs(), CAROL_PASSWORD, 'the relay password');
  });
});

describe('postmaster@ and abuse@', () => {
  for (const role of ['postmaster', 'abuse']) {
    it(`delivers ${role}@ of a served domain, which no account has, to POSTMASTER_ADDRESS`, async () => {
      const subject = `${role} ${randomUUID()}`;
      assert.equal(await inboundCode(stack.mail, `${role}@example.test`, subject), 250);
      assert.ok(await inboxReceives(stack.mail, { user: CAROL, pass: CAROL_PASSWORD }, subject));
    });
  }

  it('refuses them at RCPT where the postmaster is postmaster@ itself and has no mailbox (no loop, no bounce)', async () => {
    // The relay's POSTMASTER_ADDRESS is unset: postmaster@relay.test, which has no account there.
    assert.equal(await inboundCode(relay.container, 'postmaster@relay.test'), 550);
    assert.equal(await inboundCode(relay.container, 'abuse@relay.test'), 550);
  });
});
