import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USERS } from '../support/idp.ts';
import { inboundCode, tokenSubmission } from '../support/mail-clients.ts';
import { CLOSED, imapAuthenticate, LineClient, oauthbearer, plain, xoauth2 } from '../support/sasl.ts';
import { assertNoSecret } from '../support/secrets.ts';
import { assertLogged, CAROL_PASSWORD, curlInside, JWT_ENV, type Stack, startStack } from '../support/stack.ts';

/** Malformed SASL, hostile helper requests and mail-level abuse against the real appliance: each a clean refusal, the service up after. */
let stack: Stack;
let aliceToken: string;

before(async () => {
  // Many refusals from one IP in a row: the brute-force defence would only slow this test down.
  stack = await startStack({ ...JWT_ENV, BRUTE_FORCE_PROTECTION: '0' });
  aliceToken = await stack.idp.mint({ aud: 'urn:idmail', email: USERS.alice.address });
});
after(async () => stack?.stop());

// After many refusals from one IP, Dovecot's own auth penalty delays answers by up to 15 s.
const imaps = (mechanism: string, initial: string) =>
  imapAuthenticate(stack.mail.getHost(), stack.mail.getMappedPort(993), mechanism, initial, 40_000);
const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64');

/** The EHLO answer on a port, from the test host, before any STARTTLS; fails unless the server answered it. */
async function ehlo(port: number): Promise<string> {
  const client = await LineClient.connect(stack.mail.getHost(), stack.mail.getMappedPort(port));
  try {
    await client.readUntil(/^220 /);
    client.send('EHLO attacker.example');
    const answer = await client.readUntil(/^250 /);
    assert.match(answer, /^250 /m, `no EHLO answer on ${port}: ${answer}`);
    return answer;
  } finally {
    client.close();
  }
}

/** The EHLO answer on 587 after STARTTLS (openssl inside the appliance). */
async function ehloAfterStartTls(): Promise<string> {
  const script =
    '(sleep 1; printf "EHLO attacker.example\\r\\n"; sleep 1; printf "QUIT\\r\\n") | openssl s_client -starttls smtp -connect 127.0.0.1:587 -quiet 2>/dev/null';
  const answer = (await stack.mail.exec(['sh', '-c', script])).output;
  assert.match(answer, /^250 /m, `no EHLO answer after STARTTLS: ${answer}`);
  return answer;
}

describe('hostile SASL payloads', () => {
  const payloads: Array<[string, string, string]> = [
    ['XOAUTH2 without separators', 'XOAUTH2', b64(`user=${USERS.alice.address} auth=Bearer ${'x'.repeat(40)}`)],
    ['XOAUTH2 in bad base64', 'XOAUTH2', '!!!not*base64!!!'],
    ['XOAUTH2 with NUL bytes', 'XOAUTH2', b64(`user=alice\0@example.test\x01auth=Bearer tok\0en\x01\x01`)],
    ['XOAUTH2 not UTF-8', 'XOAUTH2', b64(Buffer.from([0x75, 0x73, 0x65, 0x72, 0x3d, 0xff, 0xfe, 0x01, 0x01]))],
    ['OAUTHBEARER without the GS2 header', 'OAUTHBEARER', b64(`auth=Bearer x\x01\x01`)],
    ['OAUTHBEARER with a garbage token', 'OAUTHBEARER', oauthbearer(USERS.alice.address, '\u00ff\u0000garbage')],
  ];
  for (const [name, mechanism, initial] of payloads) {
    it(`refuses ${name} cleanly: the protocol's own refusal, and the auth service answers after`, async () => {
      assert.match(await imaps(mechanism, initial), /^a1 (NO|BAD) /);
      assert.match(await imaps('XOAUTH2', xoauth2(USERS.alice.address, aliceToken)), /^a1 OK/);
    });
  }

  it('cuts off an XOAUTH2 response of 60 KiB at once (Dovecot answers none past 8 KiB), and the auth service answers after', async () => {
    const started = Date.now();
    assert.equal(await imaps('XOAUTH2', xoauth2(USERS.alice.address, 'a'.repeat(60 * 1024))), CLOSED);
    assert.ok(Date.now() - started < 10_000, 'closed by the server, not after a wait');
    await assertLogged(stack.logs, /Login aborted: Authentication response too large/);
    assert.match(await imaps('XOAUTH2', xoauth2(USERS.alice.address, aliceToken)), /^a1 OK/);
  });

  it("refuses a valid token for alice presented with bob's authzid or login", async () => {
    assert.match(await imaps('OAUTHBEARER', oauthbearer(USERS.bob.address, aliceToken)), /^a1 NO/);
    assert.match(await imaps('XOAUTH2', xoauth2(USERS.bob.address, aliceToken)), /^a1 NO/);
  });

  it('is still up: the valid token signs in after all of it', async () => {
    assert.match(await imaps('XOAUTH2', xoauth2(USERS.alice.address, aliceToken)), /^a1 OK/);
  });
});

describe("hostile requests to the helper's endpoints", () => {
  const helper = (args: string[]) => curlInside(stack.mail, ['--write-out', '\n%{http_code}', ...args]);

  it('answers random, oversized and mistyped bodies with a 4xx and no internals', async () => {
    const cases = [
      [
        '-H',
        'content-type: application/json',
        '--data-binary',
        '{"user": [1,2',
        'http://127.0.0.1:8800/dovecot/passdb/verify',
      ],
      [
        '-H',
        'content-type: application/json',
        '--data-binary',
        `{"user":"${'a'.repeat(70 * 1024)}"}`,
        'http://127.0.0.1:8800/dovecot/passdb/verify',
      ],
      ['-H', 'content-type: text/plain', '--data-binary', 'user=alice', 'http://127.0.0.1:8800/dovecot/passdb/verify'],
      [
        '-H',
        'content-type: application/json',
        '--data-binary',
        '{"user": {"$ne": 1}}',
        'http://127.0.0.1:8800/dovecot/userdb/lookup',
      ],
      [
        '-H',
        'content-type: application/x-www-form-urlencoded',
        '--data-binary',
        `token=${'%ff'.repeat(30000)}`,
        'http://127.0.0.1:8800/dovecot/introspect',
      ],
    ];
    for (const args of cases) {
      const { output } = await helper(args);
      const status = output.trim().split('\n').at(-1) ?? '';
      assert.match(status, /^4\d\d$|^200$/, output.slice(0, 300));
      assert.doesNotMatch(output, /\bat \S+\.(ts|js):\d+|node_modules|Error: /, output.slice(0, 300));
      if (status === '200') assert.match(output, /"active":false/);
    }
    assert.match((await helper(['http://127.0.0.1:8800/health'])).output, /"ok"/);
  });
});

/** Milliseconds the helper takes to refuse a password for this user (its passdb call, timed by curl inside the appliance; Dovecot's own failure delay is the same for all). */
async function verifyTimes(user: string, samples = 9): Promise<number[]> {
  const body = JSON.stringify({ user, password: 'wrong-password', protocol: 'imap', remote_ip: '127.0.0.1' });
  const script = `for i in $(seq ${samples}); do curl -s -o /dev/null -w '%{time_total}\\n' -H 'content-type: application/json' --data-binary '${body}' http://127.0.0.1:8800/dovecot/passdb/verify; done`;
  const { output } = await stack.mail.exec(['sh', '-c', script]);
  return output
    .trim()
    .split('\n')
    .map((seconds) => Number(seconds) * 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe('mail-level abuse', () => {
  it('is no open relay: mail from a stranger to another domain is refused on 25', async () => {
    assert.equal(await inboundCode(stack.mail, 'victim@elsewhere.example'), 554);
  });

  it('offers AUTH on 587 only after STARTTLS, and never on 25', async () => {
    assert.match(await ehlo(25), /^250 /m);
    assert.doesNotMatch(await ehlo(25), /AUTH/);
    assert.doesNotMatch(await ehlo(587), /AUTH/);
    assert.match(await ehloAfterStartTls(), /250-AUTH .*OAUTHBEARER/);
  });

  it('refuses a signed-in user sending as somebody else (spoofing)', async () => {
    await assert.rejects(
      tokenSubmission(stack.mail, USERS.alice.address, aliceToken).sendMail({
        from: USERS.bob.address,
        to: USERS.bob.address,
        subject: 'x',
        text: 'x',
      }),
      (error: Error & { responseCode?: number }) => error.responseCode === 553,
    );
  });

  it('answers an unknown user exactly as a wrong password (no enumeration)', async () => {
    const unknown = await imaps('PLAIN', plain('nobody@example.test', CAROL_PASSWORD));
    const wrong = await imaps('PLAIN', plain('carol@example.test', 'wrong-password'));
    assert.match(wrong, /^a1 NO/);
    assert.equal(unknown, wrong);
  });

  it('takes as long to refuse an unknown user as a wrong password (same timing class: both verify a hash)', async () => {
    const unknown = median(await verifyTimes('nobody@example.test'));
    const wrong = median(await verifyTimes('carol@example.test'));
    // A shortcut for unknown users would answer in about a millisecond, against tens for an Argon2id check.
    assert.ok(unknown > wrong / 2 && unknown < wrong * 2, `unknown user ${unknown} ms, wrong password ${wrong} ms`);
  });

  it('never logs the tokens and passwords it was given, in any encoding', () => {
    for (const secret of [aliceToken, CAROL_PASSWORD, 'wrong-password']) assertNoSecret(stack.logs(), secret);
  });
});

describe('hostile configuration', () => {
  const hostile: Array<[string, string, RegExp]> = [
    [
      'OVERRIDE_HOSTNAME',
      'mail.example.test\nsmtpd_relay_restrictions = permit',
      /OVERRIDE_HOSTNAME: .*is not a host name/,
    ],
    ['OAUTH2_AUDIENCE', 'urn:idmail" }\npassdb x {', /OAUTH2_AUDIENCE: contains/],
    ['OAUTH2_USERNAME_CLAIM', 'email}%{passwd}', /OAUTH2_USERNAME_CLAIM: contains/],
    ['SSL_CERT_PATH', "/etc/ssl/cert.pem'\nssl = no", /SSL_CERT_PATH: contains/],
    [
      'OAUTH2_INTROSPECTION_URL',
      'http://idp:8080/introspect\n}\npassdb static {',
      /OAUTH2_INTROSPECTION_URL: contains/,
    ],
  ];
  for (const [variable, value, problem] of hostile) {
    it(`refuses ${variable} with config-breaking characters before writing any file`, async () => {
      const out = `/tmp/render-${variable}`;
      const script = `${variable}="$(printf '%s' "$HOSTILE")" idmail config render --out ${out} 2>&1; echo "exit=$?"; ls -A ${out} 2>/dev/null | wc -l`;
      const { output } = await stack.mail.exec(['sh', '-c', script], { env: { HOSTILE: value } });
      assert.match(output, /exit=78/, output);
      assert.match(output, problem, output);
      assert.match(output, /^0$/m, `files were written: ${output}`);
    });
  }
});
