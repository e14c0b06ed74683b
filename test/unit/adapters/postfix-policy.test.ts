import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type PolicyAnswer,
  parsePolicyRequest,
  policyReply,
  rateLimitPolicy,
  servePostfixPolicy,
  takePolicyRequests,
  timedPolicy,
} from '../../../src/adapters/postfix-policy.ts';
import { SubmissionRateLimit } from '../../../src/auth/rate-limit/submission-rate-limit.ts';
import { Metrics } from '../../../src/metrics/metrics.ts';
import type { LogFields, Logger } from '../../../src/vocabulary/logger.ts';

/** What Postfix 3.10's smtpd sends for one RCPT of a signed-in client (SMTPD_POLICY_README's attributes). */
function postfixRequest(overrides: Record<string, string> = {}): string {
  const attributes: Record<string, string> = {
    request: 'smtpd_access_policy',
    protocol_state: 'RCPT',
    protocol_name: 'ESMTP',
    client_address: '192.0.2.10',
    client_name: 'laptop.example.net',
    client_port: '51234',
    reverse_client_name: 'laptop.example.net',
    server_address: '172.18.0.2',
    server_port: '587',
    helo_name: 'laptop',
    sender: 'alice@example.org',
    recipient: 'bob@example.net',
    recipient_count: '0',
    queue_id: '',
    instance: '1a2b.6789abcd.1e2f.0',
    size: '0',
    etrn_domain: '',
    stress: '',
    sasl_method: 'XOAUTH2',
    sasl_username: 'alice@example.org',
    sasl_sender: '',
    ccert_subject: '',
    ccert_issuer: '',
    ccert_fingerprint: '',
    ccert_pubkey_fingerprint: '',
    encryption_protocol: 'TLSv1.3',
    encryption_cipher: 'TLS_AES_256_GCM_SHA384',
    encryption_keysize: '256',
    policy_context: '',
    compatibility_level: '3.10',
    mail_version: '3.10.5',
    ...overrides,
  };
  return `${Object.entries(attributes)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('')}\n`;
}

const endOfMessage = (overrides: Record<string, string> = {}) =>
  postfixRequest({ protocol_state: 'END-OF-MESSAGE', recipient: '', recipient_count: '1', ...overrides });

function recordingLog() {
  const lines: LogFields[] = [];
  const record = (fields: LogFields) => void lines.push(fields);
  const log: Logger = { info: record, warn: record, error: record };
  return { log, lines };
}

/** The action a request string gets, as the server would answer it. */
const actionOf = (answer: PolicyAnswer, request: string) =>
  answer(parsePolicyRequest(takePolicyRequests(Buffer.from(request)).requests[0] ?? ''));

describe('the Postfix policy protocol', () => {
  it("reads a request as Postfix sends it, ignoring the attributes it does not use, values with '=' kept whole", () => {
    const { requests, rest } = takePolicyRequests(Buffer.from(postfixRequest({ ccert_subject: 'CN=a=b' })));
    assert.equal(rest.length, 0);
    const request = parsePolicyRequest(requests[0] ?? '');
    assert.equal(request.get('sasl_username'), 'alice@example.org');
    assert.equal(request.get('protocol_state'), 'RCPT');
    assert.equal(request.get('ccert_subject'), 'CN=a=b');
    assert.equal(request.get('queue_id'), '');
  });

  it('splits several requests in one read, and keeps a partial one for the next', () => {
    const two = postfixRequest() + endOfMessage();
    const partial = postfixRequest().slice(0, 40);
    const { requests, rest } = takePolicyRequests(Buffer.from(two + partial));
    assert.equal(requests.length, 2);
    assert.equal(parsePolicyRequest(requests[1] ?? '').get('protocol_state'), 'END-OF-MESSAGE');
    assert.equal(rest.toString(), partial);
  });

  it('refuses garbled requests: a line without =, an odd name, a name twice, an empty line inside, another request type', () => {
    for (const garbled of [
      'request=smtpd_access_policy\nno equals sign',
      'request=smtpd_access_policy\n=value',
      'request=smtpd_access_policy\nSASL-USERNAME=alice',
      'request=smtpd_access_policy\nsasl_username=alice\nsasl_username=mallory',
      '\nrequest=smtpd_access_policy',
      'protocol_state=RCPT',
      'request=junk\nprotocol_state=RCPT',
      'request=smtpd_access_policy\r',
    ]) {
      assert.throws(() => parsePolicyRequest(garbled), /policy request|not an smtpd access policy request/, garbled);
    }
  });

  it('refuses to buffer a request without end', () => {
    assert.throws(() => takePolicyRequests(Buffer.alloc(64 * 1024, 'a')), /too long/);
    assert.throws(() => takePolicyRequests(Buffer.from(`a=${'x'.repeat(40_000)}\n\n`)), /too long/);
  });

  it("answers in Postfix's format: one action attribute and an empty line", () => {
    assert.equal(policyReply('DUNNO'), 'action=DUNNO\n\n');
  });
});

describe('the rate limit as a policy', () => {
  it('lets recipients and messages under the limit through with DUNNO, then refuses with a temporary 450 4.7.1 naming the limit', () => {
    const { log, lines } = recordingLog();
    const refused: string[] = [];
    const limit = new SubmissionRateLimit({ messagesPerHour: 1, recipientsPerHour: 0 });
    const answer = rateLimitPolicy(limit, log, (kind) => void refused.push(kind));
    assert.equal(actionOf(answer, postfixRequest()), 'DUNNO');
    assert.equal(actionOf(answer, endOfMessage()), 'DUNNO');
    assert.equal(
      actionOf(answer, postfixRequest()),
      '450 4.7.1 Rate limit: at most 1 messages per hour from this account; try again in 60 minutes',
    );
    assert.deepEqual(refused, ['messages']);
    assert.deepEqual(
      lines.map(({ event, account, limit: kind, max }) => ({ event, account, limit: kind, max })),
      [{ event: 'rate-limited', account: 'alice@example.org', limit: 'messages', max: 1 }],
    );
  });

  it('refuses the recipient past the recipients limit, for that account only', () => {
    const { log } = recordingLog();
    const answer = rateLimitPolicy(new SubmissionRateLimit({ messagesPerHour: 0, recipientsPerHour: 2 }), log);
    assert.equal(actionOf(answer, postfixRequest()), 'DUNNO');
    assert.equal(actionOf(answer, postfixRequest()), 'DUNNO');
    assert.match(actionOf(answer, postfixRequest()), /^450 4\.7\.1 Rate limit: at most 2 recipients per hour /);
    assert.equal(actionOf(answer, postfixRequest({ sasl_username: 'bob@example.org' })), 'DUNNO');
  });

  it('fails closed: a request of no signed-in account is refused, one at a stage it does not decide at too', () => {
    const { log } = recordingLog();
    const answer = rateLimitPolicy(new SubmissionRateLimit({ messagesPerHour: 5, recipientsPerHour: 5 }), log);
    assert.equal(
      actionOf(answer, postfixRequest({ sasl_username: '', sasl_method: '' })),
      '530 5.7.0 Authentication required',
    );
    const withoutAttribute = postfixRequest().replace(/^sasl_username=.*\n/m, '');
    assert.equal(actionOf(answer, withoutAttribute), '530 5.7.0 Authentication required');
    for (const state of ['DATA', 'CONNECT', 'VRFY', ''])
      assert.equal(
        actionOf(answer, postfixRequest({ protocol_state: state })),
        '451 4.3.5 Server configuration problem',
      );
  });

  it('counts refusals and times answers in the metrics, without the account', async () => {
    const metrics = new Metrics();
    const { log } = recordingLog();
    const limit = new SubmissionRateLimit({ messagesPerHour: 0, recipientsPerHour: 1 });
    const answer = timedPolicy(rateLimitPolicy(limit, log, metrics.rateLimitRefused), metrics);
    actionOf(answer, postfixRequest());
    actionOf(answer, postfixRequest());
    const text = await metrics.registry.metrics();
    assert.match(text, /idmail_submission_rate_limited_total\{limit="recipients"\} 1/);
    assert.match(text, /idmail_helper_request_seconds_count\{call="postfix-policy"\} 2/);
    assert.doesNotMatch(text, /alice/);
  });
});

describe('the policy server, in-process over a unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-policy-'));
  const path = join(dir, 'run', 'policy.sock');
  let server: Server;
  const { log, lines } = recordingLog();

  before(async () => {
    const limit = new SubmissionRateLimit({ messagesPerHour: 2, recipientsPerHour: 0 });
    server = await servePostfixPolicy(path, rateLimitPolicy(limit, log), log);
  });
  after(() => server.close());

  /** A client like Postfix's: sends, and reads answers (each ended by an empty line) until it has `count`. */
  async function exchange(socket: Socket, data: string, count: number): Promise<string[]> {
    let received = '';
    const answers = new Promise<string[]>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        received += chunk.toString();
        const complete = received.split('\n\n').slice(0, -1);
        if (complete.length >= count) {
          socket.off('data', onData);
          resolve(complete.map((answer) => `${answer}\n\n`));
        }
      };
      socket.on('data', onData).once('error', reject);
    });
    socket.write(data);
    return answers;
  }

  const open = () => {
    const socket = connect(path);
    socket.on('error', () => undefined);
    return socket;
  };

  it('is a socket only its owner and group may use', () => {
    assert.equal(statSync(path).mode & 0o777, 0o660);
  });

  it('answers several requests on one connection in order, whole or cut anywhere', async () => {
    const socket = open();
    try {
      const message = postfixRequest() + endOfMessage();
      assert.deepEqual(await exchange(socket, message, 2), ['action=DUNNO\n\n', 'action=DUNNO\n\n']);
      // The second message, written in pieces that split a line and the empty line that ends it.
      const pieces = [
        message.slice(0, 17),
        message.slice(17, postfixRequest().length - 1),
        message.slice(postfixRequest().length - 1),
      ];
      const answers = exchange(socket, pieces[0] ?? '', 2);
      for (const piece of pieces.slice(1)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        socket.write(piece);
      }
      assert.deepEqual(await answers, ['action=DUNNO\n\n', 'action=DUNNO\n\n']);
      const [over] = await exchange(socket, postfixRequest(), 1);
      assert.match(over ?? '', /^action=450 4\.7\.1 Rate limit: at most 2 messages per hour from this account; /);
    } finally {
      socket.destroy();
    }
  });

  it('closes a connection that sends a garbled request, after answering the good one before it, and serves on', async () => {
    const socket = open();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const before = lines.length;
    const [answer] = await exchange(socket, `${postfixRequest({ sasl_username: 'carol@example.org' })}garbage\n\n`, 1);
    assert.equal(answer, 'action=DUNNO\n\n');
    await closed;
    assert.match(String(lines.slice(before).at(-1)?.err), /no name=value/);
    const next = open();
    try {
      assert.deepEqual(await exchange(next, postfixRequest({ sasl_username: 'dave@example.org' }), 1), [
        'action=DUNNO\n\n',
      ]);
    } finally {
      next.destroy();
    }
  });

  it('closes a connection flooding it with a request that never ends', async () => {
    const socket = open();
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.write(`request=smtpd_access_policy\nsender=${'x'.repeat(40_000)}`);
    assert.equal(await closed, true);
  });
});
