import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { StartedTestContainer } from 'testcontainers';
import { dnsRecords } from '../support/dns-fixture.ts';
import { passwordSubmission } from '../support/mail-clients.ts';
import { imapClient } from '../support/mailbox.ts';
import {
  ACCOUNTS_YAML,
  type Appliance,
  assertLogged,
  BASE_RECORDS,
  CAROL_PASSWORD,
  eventually,
  JWT_ENV,
  STRANGER_DOMAIN,
  STRANGER_HELO,
  type Stack,
  startAppliance,
  startStack,
} from '../support/stack.ts';

/**
 * The mail flow between real peers: the appliance (example.test) and a second one as the receiving
 * MTA (other.test), both resolving through the test DNS, which publishes what `idmail dkim show`
 * printed; inbound mail from strangers whose domains publish SPF, DKIM and DMARC records.
 */
let stack: Stack;
let receiver: Appliance;
/** The zone the tests share; a test that adds records sets it with them. */
let flowRecords: string[] = [];

const CAROL = { user: 'carol@example.test', pass: CAROL_PASSWORD };
const DAVE = { user: 'dave@other.test', pass: CAROL_PASSWORD };
// A stranger's signing key (signed.example) and a key nobody published (the broken signature).
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 1024 });
const forgerKey = generateKeyPairSync('rsa', { modulusLength: 1024 });
const publicKeyOf = (pair: typeof strangerKey) =>
  pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const pemOf = (pair: typeof strangerKey) => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const RECEIVER_ACCOUNTS = `accounts:
  dave@other.test:
    password: "{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$gOvlCXHPUsTYcmqlQ/54bw$g3wUFDeNrzCLAgupCAtNZsVGPM3t3DjSOvNuTShicwQ"
`;

/** The zone-file lines `idmail dkim show` printed, as [name, value] (the quoted strings joined). */
function parseZoneLines(output: string): [string, string][] {
  return output
    .split('\n')
    .filter((line) => / IN TXT /.test(line) && !line.startsWith(';'))
    .map((line) => {
      const [name, strings] = line.split(' IN TXT ') as [string, string];
      const value = [...strings.matchAll(/"([^"]*)"/g)].map((part) => part[1]).join('');
      return [name.replace(/\.$/, ''), value];
    });
}

const ipOf = (container: StartedTestContainer) => container.getIpAddress(stack.network.getName());

/** docker-mailserver's subject prefix for spam, quoted as its docs write it to keep the trailing space. */
const SPAM_SUBJECT = '[SPAM] ';

before(async () => {
  stack = await startStack({ ...JWT_ENV, SPAM_SUBJECT: `'${SPAM_SUBJECT}'` });
  receiver = await startAppliance(
    stack.network,
    { OVERRIDE_HOSTNAME: 'mail.other.test', MAIL_DOMAINS: 'other.test', LOG_LEVEL: 'debug' },
    [{ content: RECEIVER_ACCOUNTS, target: '/etc/idmail/accounts.yaml' }],
    [],
    [],
  );
  const shown = await stack.mail.exec(['idmail', 'dkim', 'show', 'example.test']);
  assert.equal(shown.exitCode, 0, shown.output);
  const dkim = parseZoneLines(shown.stdout);
  assert.deepEqual(
    dkim.map(([name]) => name),
    ['mail._domainkey.example.test'],
  );
  const { address, mx, txt } = dnsRecords;
  flowRecords = [
    ...BASE_RECORDS,
    address('mail.example.test', ipOf(stack.mail)),
    mx('example.test', 'mail.example.test'),
    txt('example.test', `v=spf1 ip4:${ipOf(stack.mail)} -all`),
    txt('_dmarc.example.test', 'v=DMARC1; p=reject'),
    ...dkim.map(([name, value]) => txt(name, value)),
    address('mail.other.test', ipOf(receiver.container)),
    mx('other.test', 'mail.other.test'),
    address('signed.example', '192.0.2.26'),
    txt('test._domainkey.signed.example', `v=DKIM1; k=rsa; p=${publicKeyOf(strangerKey)}`),
    address('spf-fail.example', '192.0.2.27'),
    txt('spf-fail.example', 'v=spf1 -all'),
    address('dmarc-reject.example', '192.0.2.28'),
    txt('dmarc-reject.example', 'v=spf1 -all'),
    txt('_dmarc.dmarc-reject.example', 'v=DMARC1; p=reject'),
    address('dmarc-quarantine.example', '192.0.2.29'),
    txt('dmarc-quarantine.example', 'v=spf1 -all'),
    txt('_dmarc.dmarc-quarantine.example', 'v=DMARC1; p=quarantine'),
  ];
  await stack.dns.setRecords(flowRecords);
});
after(async () => {
  await receiver?.container.stop({ timeout: 5 }).catch(() => undefined);
  await stack?.stop();
});

/**
 * The headers of the message with this subject in the first of these mailboxes that has it, once it is
 * there (undefined if it never comes).
 */
async function headersOf(
  mail: StartedTestContainer,
  auth: { user: string; pass: string },
  mailboxes: string | readonly string[],
  subject: string,
): Promise<string | undefined> {
  const imap = await imapClient(mail, auth);
  const inMailbox = async (mailbox: string) => {
    const lock = await imap.getMailboxLock(mailbox);
    try {
      const [uid] = (await imap.search({ subject }, { uid: true })) || [];
      if (uid === undefined) return undefined;
      const message = await imap.fetchOne(String(uid), { headers: true }, { uid: true });
      return message ? message.headers?.toString() : undefined;
    } finally {
      lock.release();
    }
  };
  try {
    return await eventually(
      async () => {
        for (const mailbox of typeof mailboxes === 'string' ? [mailboxes] : mailboxes) {
          const headers = await inMailbox(mailbox);
          if (headers !== undefined) return headers;
        }
        return undefined;
      },
      (headers) => headers !== undefined,
      20_000,
    );
  } finally {
    await imap.logout();
  }
}

/**
 * Where a stranger's accepted message may land: the inbox, or Junk when rspamd's score for it (a client
 * without reverse DNS, an SPF failure…) passed the junk score; which one is rspamd's business, not these tests'.
 */
const DELIVERED = ['INBOX', 'Junk'] as const;

/** A stranger's message to carol on port 25: the reply code (250 accepted) and the subject to look for. */
async function inbound(
  from: string,
  options: { dkim?: { domainName: string; keySelector: string; privateKey: string }; text?: string } = {},
): Promise<{ code: number; subject: string; message: string }> {
  const subject = `flow ${randomUUID()}`;
  const transport = nodemailer.createTransport({
    host: stack.mail.getHost(),
    port: stack.mail.getMappedPort(25),
    secure: false,
    ignoreTLS: true,
    name: STRANGER_HELO,
    ...(options.dkim && { dkim: options.dkim }),
  });
  return transport.sendMail({ from, to: CAROL.user, subject, text: options.text ?? 'Hello Carol, see you soon.' }).then(
    () => ({ code: 250, subject, message: '' }),
    (error: Error & { responseCode?: number; response?: string }) => ({
      code: error.responseCode ?? 0,
      subject,
      message: error.response ?? error.message,
    }),
  );
}

/** rspamd's verdict on the last message it scanned, for a failure's message. */
const lastScan = () =>
  stack
    .logs()
    .split('\n')
    .filter((line) => line.includes('rspamd_task_write_log'))
    .at(-1) ?? 'no scan logged';

const authenticationResults = (headers: string | undefined) =>
  /^Authentication-Results: .*(?:\r?\n[ \t].*)*/im.exec(headers ?? '')?.[0].replace(/\r?\n[ \t]+/g, ' ') ?? '';

describe('outbound: signed with the key idmail dkim show printed', () => {
  it('reaches the receiving MTA, which finds a valid DKIM signature of example.test and SPF and DMARC passing', async () => {
    const subject = `dkim ${randomUUID()}`;
    await passwordSubmission(stack.mail, CAROL.user, CAROL.pass).sendMail({
      from: CAROL.user,
      to: DAVE.user,
      subject,
      text: 'Signed, sealed, delivered.',
    });
    const headers = await headersOf(receiver.container, DAVE, 'INBOX', subject);
    assert.ok(headers, 'the message reached dave@other.test');
    assert.match(headers, /^DKIM-Signature: .*\bd=example\.test;/im);
    const results = authenticationResults(headers);
    assert.match(results, /^Authentication-Results: mail\.other\.test;/);
    assert.match(results, /\bdkim=pass header\.d=example\.test header\.s=mail\b/);
    assert.match(results, /\bspf=pass\b/);
    assert.match(results, /\bdmarc=pass\b/);
  });
});

describe("outbound: signed with docker-mailserver's ed25519 key (setup config dkim keytype ed25519)", () => {
  it('signs with the key from its config folder, which the receiving MTA verifies by the k=ed25519 record idmail dkim show printed', async () => {
    // Made by the image's `rspamadm dkim_keygen -t ed25519`, as docker-mailserver's setup makes it.
    const rspamdKey = 'HhEgW0nlH8iVPwqQiIDzmKEKUHTTMBgZyp9sXouiLutp1dp570YAAqYTGtN2gmkoPwtiu7omKk0Jbcy1tUaa9A==';
    const dms = await startAppliance(
      stack.network,
      { ...JWT_ENV, OVERRIDE_HOSTNAME: 'mail.dms.test', MAIL_DOMAINS: 'dms.test' },
      [
        // The stack's accounts, in dms.test: carol@dms.test signs in with carol's password.
        { content: ACCOUNTS_YAML.replaceAll('@example.test', '@dms.test'), target: '/etc/idmail/accounts.yaml' },
        { content: `${rspamdKey}\n`, target: '/tmp/docker-mailserver/rspamd/dkim/ed25519-mail-dms.test.private.txt' },
      ],
      [],
      [],
    );
    try {
      const shown = await dms.container.exec(['idmail', 'dkim', 'show', 'dms.test']);
      const dkim = parseZoneLines(shown.stdout);
      assert.deepEqual(dkim, [
        ['mail._domainkey.dms.test', 'v=DKIM1; k=ed25519; p=adXaee9GAAKmExrTdoJpKD8LYru6JipNCW3MtbVGmvQ='],
      ]);
      const { address, mx, txt } = dnsRecords;
      await stack.dns.setRecords([
        ...flowRecords,
        address('mail.dms.test', ipOf(dms.container)),
        mx('dms.test', 'mail.dms.test'),
        txt('dms.test', `v=spf1 ip4:${ipOf(dms.container)} -all`),
        ...dkim.map(([name, value]) => txt(name, value)),
      ]);
      const subject = `ed25519 ${randomUUID()}`;
      await passwordSubmission(dms.container, 'carol@dms.test', CAROL_PASSWORD).sendMail({
        from: 'carol@dms.test',
        to: DAVE.user,
        subject,
        text: 'Signed with an elliptic curve.',
      });
      const headers = await headersOf(receiver.container, DAVE, DELIVERED, subject);
      assert.ok(
        headers,
        `not delivered to dave@other.test: ${dms
          .logs()
          .split('\n')
          .filter((line) => /postfix\/smtp\[/.test(line))
          .slice(-3)
          .join('\n')}`,
      );
      assert.match(headers, /^DKIM-Signature: .*\ba=ed25519-sha256;/im);
      assert.match(authenticationResults(headers), /\bdkim=pass header\.d=dms\.test header\.s=mail\b/);
    } finally {
      await dms.container.stop({ timeout: 5 });
    }
  });
});

describe('inbound on port 25: SPF, DKIM and DMARC checked, the policy honoured, spam refused or filed', () => {
  it('delivers a message with a good signature, dkim=pass in Authentication-Results', async () => {
    const { code, subject } = await inbound('news@signed.example', {
      dkim: { domainName: 'signed.example', keySelector: 'test', privateKey: pemOf(strangerKey) },
    });
    assert.equal(code, 250);
    assert.match(
      authenticationResults(await headersOf(stack.mail, CAROL, DELIVERED, subject)),
      /\bdkim=pass header\.d=signed\.example\b/,
    );
  });

  it('delivers one whose signature does not verify, marked dkim=fail', async () => {
    const { code, subject } = await inbound('news@signed.example', {
      dkim: { domainName: 'signed.example', keySelector: 'test', privateKey: pemOf(forgerKey) },
    });
    assert.equal(code, 250);
    assert.match(
      authenticationResults(await headersOf(stack.mail, CAROL, DELIVERED, subject)),
      /\bdkim=fail\b/,
      lastScan(),
    );
  });

  it('delivers an SPF failure without a DMARC policy, marked spf=fail', async () => {
    const { code, subject } = await inbound('someone@spf-fail.example');
    assert.equal(code, 250);
    const headers = await headersOf(stack.mail, CAROL, DELIVERED, subject);
    assert.match(authenticationResults(headers), /\bspf=fail\b/, lastScan());
  });

  it("refuses at SMTP time what the sender domain's DMARC policy (p=reject) rejects", async () => {
    const { code } = await inbound('someone@dmarc-reject.example');
    assert.equal(code, 554);
  });

  it('files what DMARC quarantines (p=quarantine) into Junk, not the inbox, its subject prefixed (SPAM_SUBJECT)', async () => {
    const { code, subject } = await inbound('someone@dmarc-quarantine.example');
    assert.equal(code, 250);
    const headers = await headersOf(stack.mail, CAROL, 'Junk', subject);
    assert.match(headers ?? '', /^X-Spam: Yes/im);
    assert.equal(/^Subject: (.*)$/im.exec(headers ?? '')?.[1]?.trim(), `${SPAM_SUBJECT}${subject}`);
    assert.match(authenticationResults(headers), /\bdmarc=fail\b/);
  });

  it('refuses the GTUBE spam sample', async () => {
    const gtube = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
    const { code, message } = await inbound('someone@elsewhere.example', { text: `Buy now\n${gtube}\n` });
    assert.equal(code, 554, message);
  });

  it('refuses a stranger claiming one of our domains as envelope sender, a sender domain that does not exist, and one not fully qualified', async () => {
    const forged = await inbound('ceo@example.test');
    assert.equal(forged.code, 554, forged.message);
    assert.match(forged.message, /5\.7\.1 .*this domain sends its mail signed in/);
    assert.equal((await inbound('someone@nowhere.example')).code, 550);
    assert.equal((await inbound('someone@localhost')).code, 504);
  });

  it('refuses the mail of a client that talks before the greeting (postscreen, POSTSCREEN_ACTION=enforce)', async () => {
    // From a client postscreen has not seen (this host passed its test already, and is remembered for a
    // day): the receiving appliance, which speaks at once, then waits out postscreen's 6 s before going on.
    const talk = [
      `exec 3<>/dev/tcp/${ipOf(stack.mail)}/25`,
      `printf 'EHLO ${STRANGER_HELO}\\r\\n' >&3`,
      'sleep 8',
      "printf 'MAIL FROM:<someone@elsewhere.example>\\r\\nRCPT TO:<carol@example.test>\\r\\nQUIT\\r\\n' >&3",
      'timeout 10 cat <&3',
    ].join('; ');
    const { output } = await receiver.container.exec(['bash', '-c', talk]);
    assert.match(output, /^550 5\.\d\.\d /m, output);
    await assertLogged(
      stack.logs,
      new RegExp(
        `postfix/postscreen\\[\\d+\\]: PREGREET \\d+ after [\\d.]+ from \\[${ipOf(receiver.container).replaceAll('.', '\\.')}\\]:\\d+: EHLO `,
      ),
    );
  });
});

describe('rspamd with Redis (ENABLE_RSPAMD_REDIS=1, RSPAMD_GREYLISTING=1)', () => {
  it("runs Valkey as its own user on a socket only, and rspamd's controller for learning on a socket root alone may use", async () => {
    const withRedis = await startAppliance(
      stack.network,
      { ...JWT_ENV, OVERRIDE_HOSTNAME: 'mail2.example.test', ENABLE_RSPAMD_REDIS: '1', RSPAMD_GREYLISTING: '1' },
      [{ content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' }],
      [],
      [],
    );
    try {
      const sh = async (script: string) => (await withRedis.container.exec(['sh', '-c', script])).output.trim();
      assert.equal(await sh("stat -c '%U %a' /run/rspamd/controller.sock"), 'root 600');
      assert.match(await sh('rspamc -h /run/rspamd/controller.sock stat'), /Messages scanned: \d+/);
      const valkey = await sh(
        'for d in /proc/[0-9]*; do [ "$(cat $d/comm)" = valkey-server ] && stat -c \'%U\' $d; done',
      );
      assert.equal(valkey, 'valkey');
      assert.equal(await sh("grep -c ':6379 ' /proc/net/tcp /proc/net/tcp6 | grep -v ':0$' || true"), '');
      // rspamd keeps what it learns of a scanned message (its history, reputation) in Valkey.
      const accepted = await nodemailer
        .createTransport({
          host: withRedis.container.getHost(),
          port: withRedis.container.getMappedPort(25),
          secure: false,
          ignoreTLS: true,
          name: STRANGER_HELO,
        })
        .sendMail({ from: `news@${STRANGER_DOMAIN}`, to: CAROL.user, subject: 'redis', text: 'Hello.' })
        .then(
          () => 'accepted',
          // Greylisting may defer a first message from a stranger: it was scanned all the same.
          (error: Error & { responseCode?: number }) => String(error.responseCode),
        );
      assert.match(accepted, /^(accepted|451)$/);
      const keys = await eventually(
        () => sh('valkey-cli -s /run/valkey/valkey.sock dbsize'),
        (count) => Number(count) > 0,
      );
      assert.ok(Number(keys) > 0, `Valkey holds ${keys} keys`);
    } finally {
      await withRedis.container.stop({ timeout: 5 });
    }
  });
});
