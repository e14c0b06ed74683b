import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { imapAuthenticate, plain } from '../support/sasl.ts';
import { assertNoSecret } from '../support/secrets.ts';
import {
  ACCOUNTS_YAML,
  CAROL_PASSWORD,
  curlInside,
  eventually,
  JWT_ENV,
  type Stack,
  startStack,
} from '../support/stack.ts';

/** Brute-force defence: the helper counts and decides in the sign-in calls Dovecot makes to it. */
const CAROL = 'carol@example.test';
// Longer than Dovecot's own penalty for 20 failures from one address (up to 15 s) plus the helper's delays,
// so the right password is tried while the ban lasts, even on a loaded machine.
const BAN_SECONDS = 30;
let stack: Stack;

before(async () => {
  assert.match(ACCOUNTS_YAML, /carol@example\.test:\n\s+password:/);
  stack = await startStack({ ...JWT_ENV, BRUTE_FORCE_BAN_TIME: `${BAN_SECONDS}s`, METRICS_PORT: '9100' });
});
after(async () => stack?.stop());

/** IMAPS PLAIN from the test host: the tagged answer line. */
const fromHost = (password: string) =>
  imapAuthenticate(stack.mail.getHost(), stack.mail.getMappedPort(993), 'PLAIN', plain(CAROL, password));

/** IMAP with STARTTLS from inside the appliance (127.0.0.1, allowlisted by default): curl's exit code. */
const fromLoopback = async (password: string) =>
  (
    await curlInside(stack.mail, [
      '--ssl-reqd',
      '--insecure',
      '--url',
      'imap://localhost:143',
      '--user',
      `${CAROL}:${password}`,
      '--request',
      'LOGOUT',
    ])
  ).exitCode;

describe('brute-force defence', () => {
  it('never counts failures from an allowlisted network (loopback)', async () => {
    // 25 wrong passwords at once, in one exec: each curl prints its exit code.
    const curl = `curl --silent --ssl-reqd --insecure --url imap://localhost:143 --user ${CAROL}:wrong --request LOGOUT >/dev/null; echo $?`;
    const run = await stack.mail.exec(['sh', '-c', `for i in $(seq 25); do (${curl}) & done; wait`]);
    const codes = run.output.trim().split(/\s+/);
    assert.deepEqual(codes, Array(25).fill('67'));
    assert.equal(await fromLoopback(CAROL_PASSWORD), 0);
    assert.doesNotMatch(stack.logs(), /brute-force-ban/);
  });

  it('after 20 wrong passwords from one IP refuses it even the right password, and logs the ban for fail2ban', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fromHost('wrong')));
    assert.ok(
      answers.every((answer) => /^a1 NO/.test(answer)),
      answers.join('\n'),
    );
    const banned = await eventually(
      () => Promise.resolve(stack.logs()),
      (logs) => /"event":"brute-force-ban","ip":"[^"]+"/.test(logs),
      5_000,
    );
    const banLine = new RegExp(
      `"event":"brute-force-ban","ip":"[^"]+","failures":20,"strikes":1,"seconds":${BAN_SECONDS}`,
    );
    assert.match(banned, banLine);
    assert.match(await fromHost(CAROL_PASSWORD), /^a1 NO/);
  });

  it('counts sign-ins, the ban and the refusal in /metrics, on METRICS_PORT as on the helper', async () => {
    for (const url of ['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:8800/metrics']) {
      const { output } = await curlInside(stack.mail, [url]);
      assert.match(output, /idmail_brute_force_total\{action="ban",kind="ip"\} 1/);
      assert.match(output, /idmail_brute_force_total\{action="refuse",kind="ip"\} [1-9]/);
      assert.match(
        output,
        /idmail_sign_ins_total\{method="password",protocol="imap",outcome="deny"\} (4[5-9]|[5-9]\d)/,
      );
      assert.match(output, /idmail_helper_request_seconds_count\{call="\/dovecot\/passdb\/verify"\} [1-9]/);
    }
  });

  it('leaves another IP alone: the right password from another host signs in', async () => {
    const other = await stack.startMail({ ...JWT_ENV });
    const result = await curlInside(other.container, [
      '--ssl-reqd',
      '--insecure',
      '--url',
      'imap://mail:143',
      '--user',
      `${CAROL}:${CAROL_PASSWORD}`,
      '--request',
      'LOGOUT',
    ]);
    assert.equal(result.exitCode, 0, result.output);
  });

  it('lets the IP in again when the ban ends', async () => {
    await new Promise((resolve) => setTimeout(resolve, BAN_SECONDS * 1000));
    assert.match(await fromHost(CAROL_PASSWORD), /^a1 OK/);
  });

  it('never logs the passwords tried', () => {
    assertNoSecret(stack.logs(), CAROL_PASSWORD, "carol's password");
  });
});
