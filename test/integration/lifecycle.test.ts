import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { startNamedDns } from '../support/dns-fixture.ts';
import { MAIL_IMAGE } from '../support/images.ts';
import { ACCOUNTS_YAML, BASE_RECORDS, eventually, STRANGER_HELO } from '../support/stack.ts';

const run = promisify(execFile);
/** The kill test: messages sent, how many are delivered before the burst, and at how many accepted the container is killed. */
const MESSAGES = 80;
const DELIVERED_FIRST = 10;
const KILLED_AT = 30;
const env = { OVERRIDE_HOSTNAME: 'mail.example.test', MAIL_DOMAINS: 'example.test' };

/**
 * An LMTP client run inside the appliance (`node -e LMTP_CLIENT FROM TO DATA`): one message to one
 * recipient on Dovecot's LMTP socket, as Postfix hands it over; prints every reply.
 */
const LMTP_CLIENT = `
const [from, to, data] = process.argv.slice(1);
const socket = require('node:net').connect('/var/mail-state/postfix/private/dovecot-lmtp');
const body = data.endsWith('\\r\\n') ? data : data + '\\r\\n';
const steps = ['LHLO idmail-test', 'MAIL FROM:<' + from + '>', 'RCPT TO:<' + to + '>', 'DATA', body + '.', 'QUIT'];
const replies = [];
let pending = '';
socket.setEncoding('utf8');
socket.on('data', (chunk) => {
  pending += chunk;
  for (let end = pending.indexOf('\\r\\n'); end >= 0; end = pending.indexOf('\\r\\n')) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 2);
    if (line[3] === '-') continue;
    replies.push(line);
    const next = steps.shift();
    if (next === undefined) socket.end();
    else socket.write(next + '\\r\\n');
  }
});
socket.on('close', () => console.log(replies.join('\\n')));
socket.on('error', (error) => {
  console.log(replies.join('\\n'));
  console.error(error.message);
  process.exitCode = 1;
});
// A dialogue that went wrong does not hang the test: whatever was answered is printed.
setTimeout(() => socket.destroy(), 20000).unref();
`;

describe('a bad environment', () => {
  it('stops the container with one clear message per problem, before anything starts', async () => {
    const bad = { ...env, LOG_LEVEL: 'loud', MAIL_DOMAINS: 'example.test\n}', ENABLE_OAUTH2: '1' };
    // Not --rm: Podman's Docker API then reports exit code 0 whatever the container returned.
    const name = `idmail-bad-env-${process.pid}`;
    const args = [
      'run',
      '--name',
      name,
      ...Object.entries(bad).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      MAIL_IMAGE,
    ];
    const result = await run('docker', args)
      .then(
        () => ({ code: 0, output: '' }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          output: error.stdout + error.stderr,
        }),
      )
      .finally(() => run('docker', ['rm', '-f', name]));
    assert.equal(result.code, 78);
    assert.match(
      result.output,
      /LOG_LEVEL: "loud" is not one of the choices; allowed: error, warn, info, debug, trace/,
    );
    assert.match(result.output, /MAIL_DOMAINS: "}" is not a domain name/);
    assert.match(result.output, /ENABLE_OAUTH2: is on but neither OAUTH2_ISSUER nor OAUTH2_INTROSPECTION_URL is set/);
    assert.doesNotMatch(result.output, /Dovecot|postfix/i);
  });
});

/** An appliance run with the docker CLI, so the test can stop, kill and start it (testcontainers on Podman times out waiting for this container's port bindings). */
function namedAppliance(name: string, publish: string[] = []) {
  const docker = (...args: string[]) => run('docker', args);
  const inside = (...command: string[]) => docker('exec', name, ...command);
  const healthy = () =>
    docker('inspect', '--format', '{{.State.Health.Status}}', name).then(
      (result) => result.stdout.trim(),
      () => '',
    );
  const waitHealthy = async () =>
    assert.equal(await eventually(healthy, (status) => status === 'healthy', 60_000), 'healthy');
  let dns: Awaited<ReturnType<typeof startNamedDns>> | undefined;
  const start = async () => {
    const ports = publish.flatMap((port) => ['-p', `127.0.0.1::${port}`]);
    // The test DNS, so inbound mail from the stranger's domain passes reject_unknown_sender_domain.
    dns ??= await startNamedDns(`${name}-dns`, BASE_RECORDS);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--dns',
      dns.address,
      ...ports,
      ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      MAIL_IMAGE,
    );
    await inside('sh', '-c', `cat > /etc/idmail/accounts.yaml <<'EOF'\n${ACCOUNTS_YAML}EOF`);
    await waitHealthy();
  };
  const hostPort = async (port: string) =>
    Number((await docker('port', name, port)).stdout.split('\n')[0]?.split(':').at(-1));
  const remove = async () => {
    await docker('rm', '-f', name).catch(() => undefined);
    await dns?.remove().catch(() => undefined);
  };
  return { docker, inside, start, waitHealthy, hostPort, remove };
}

describe('stopping', () => {
  const name = `idmail-stop-${process.pid}`;
  const { docker, inside, start, remove } = namedAppliance(name);
  before(start);
  after(remove);

  it('stops in order on SIGTERM within 10 s without losing queued mail', async () => {
    // Postfix cannot reach Dovecot's LMTP socket for now, so a local message waits in the queue.
    await inside('chmod', '000', '/var/mail-state/postfix/private/dovecot-lmtp');
    await inside(
      'sh',
      '-c',
      'printf "Subject: queued\\n\\nkept across a stop\\n" | sendmail -f bob@example.test alice@example.test',
    );
    const inQueue = () =>
      inside('postqueue', '-j').then(
        (result) => result.stdout.includes('alice@example.test'),
        () => false,
      );
    assert.ok(await eventually(inQueue, (found) => found), 'the message is queued');

    const started = Date.now();
    await docker('stop', '--time', '10', name);
    const stopSeconds = (Date.now() - started) / 1000;
    const logs = await docker('logs', name);
    assert.match(logs.stdout + logs.stderr, /idmail: stopping postfix, rspamd, dovecot, helper[\s\S]*idmail: stopped/);
    assert.ok(stopSeconds < 10, `stop took ${stopSeconds} s`);
    // Dovecot and Postfix started once the helper listened (its s6 readiness), never before.
    const stamped = await docker('logs', '--timestamps', name);
    const lines = `${stamped.stdout}\n${stamped.stderr}`.split('\n');
    const when = (pattern: RegExp) => Date.parse(lines.find((line) => pattern.test(line))?.split(' ')[0] ?? '');
    const helperListening = when(/Server listening at http:\/\/127\.0\.0\.1:8800/);
    assert.ok(helperListening > 0, 'the helper logged that it listens');
    assert.ok(when(/Dovecot v[\d.]+.* starting up/) >= helperListening, 'Dovecot started after the helper listened');
    assert.ok(
      when(/postfix\/master\[\d+\]: daemon started/) >= helperListening,
      'Postfix started after the helper listened',
    );

    // /run survives the restart; a stale Dovecot pid naming a live process (s6-svscan, PID 1) must not
    // keep Dovecot from starting. Dovecot then recreates its socket and the message is delivered, once.
    const stalePid = join(mkdtempSync(join(tmpdir(), 'idmail-pid-')), 'master.pid');
    writeFileSync(stalePid, '1\n');
    await docker('cp', stalePid, `${name}:/run/dovecot/master.pid`);
    await docker('start', name);
    const delivered = () =>
      inside('postqueue', '-f')
        .then(() => inside('sh', '-c', 'ls /var/mail/example.test/alice/Maildir/new | wc -l'))
        .then(
          (result) => Number(result.stdout.trim()),
          () => 0,
        );
    const count = await eventually(delivered, (found) => found > 0, 30_000);
    const tail = async () => {
      const logs = await docker('logs', '--tail', '60', name);
      return `${logs.stdout}${logs.stderr}`
        .split('\n')
        .filter((line) => /postfix|lmtp|idmail/.test(line))
        .join('\n');
    };
    assert.equal(count, 1, count === 1 ? '' : await tail());
  });
});

describe('killed while delivering', () => {
  const name = `idmail-kill-${process.pid}`;
  const { docker, inside, start, waitHealthy, hostPort, remove } = namedAppliance(name, ['25']);
  before(start);
  after(remove);

  /** How many messages with this subject bob's INBOX holds. */
  const storedForBob = async (subject: string) =>
    Number(
      (
        await inside('sh', '-c', `grep -l "^Subject: ${subject}" /var/mail/example.test/bob/Maildir/new/* | wc -l`)
      ).stdout.trim(),
    );

  it('stores two messages sharing a Message-ID both, and one message to bob+a and bob+b once for each', async () => {
    const sendmail = (subject: string, recipients: string) =>
      `printf "Message-ID: <same@elsewhere.example>\\nSubject: ${subject}\\n\\nx\\n" | sendmail -f someone@elsewhere.example ${recipients}`;
    for (let copy = 0; copy < 2; copy++) await inside('sh', '-c', sendmail('same-id', 'bob@example.test'));
    await inside('sh', '-c', sendmail('two-addresses', 'bob+a@example.test bob+b@example.test'));
    const queueEmpty = () =>
      inside('postqueue', '-j').then(
        (result) => result.stdout.trim() === '',
        () => false,
      );
    assert.ok(await eventually(queueEmpty, (empty) => empty, 30_000), 'the queue empties');
    assert.equal(await storedForBob('same-id'), 2);
    assert.equal(await storedForBob('two-addresses'), 2);
  });

  it('drops a message handed over again (the queue id of our Received header, for the same recipient), and nothing else', async () => {
    // Postfix's handover played by hand on Dovecot's LMTP socket, as it happens after a crash.
    const received = (queueId: string) =>
      `Received: from relay.elsewhere.example (relay.elsewhere.example [192.0.2.7])\r\n\tby mail.example.test (Postfix) with ESMTP id ${queueId};\r\n\tTue,  1 Dec 2026 21:03:39 +0000 (UTC)\r\n`;
    const message = (headers: string) =>
      `${headers}From: someone@elsewhere.example\r\nMessage-ID: <handover@elsewhere.example>\r\nSubject: handover\r\n\r\nx\r\n`;
    const handOver = async (data: string, recipient: string) => {
      const { stdout } = await inside('node', '-e', LMTP_CLIENT, 'someone@elsewhere.example', recipient, data);
      assert.match(stdout, /^250 2\.0\.0 /m, stdout);
    };
    const first = message(received('4bQxYz1Tg2z9sWB'));
    await handOver(first, 'bob@example.test');
    assert.equal(await storedForBob('handover'), 1);
    await handOver(first, 'bob@example.test');
    assert.equal(await storedForBob('handover'), 1, 'the same queue id for the same recipient again: dropped');
    await handOver(first, 'bob+b@example.test');
    assert.equal(await storedForBob('handover'), 2, 'the same message for another address of bob: stored');
    await handOver(message(received('4bQxZ03Lm7z9sWC')), 'bob@example.test');
    assert.equal(await storedForBob('handover'), 3, 'another queued message with the same Message-ID: stored');
    // Without Postfix's Received header nothing tells a re-delivery: never dropped.
    for (let copy = 0; copy < 2; copy++) await handOver(message(''), 'bob@example.test');
    assert.equal(await storedForBob('handover'), 5);
  });

  it('delivers every accepted message exactly once after SIGKILL and a restart', async () => {
    const port = await hostPort('25');
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      name: STRANGER_HELO,
      pool: true,
      maxConnections: 4,
    });
    const accepted = new Set<string>();
    let killed: Promise<unknown> | undefined;
    const send = async (index: number) => {
      const subject = `kill-test ${index}`;
      await transport
        .sendMail({ from: 'someone@elsewhere.example', to: 'alice@example.test', subject, text: 'x' })
        .then(
          () => accepted.add(subject),
          () => undefined,
        );
      // Kill mid-stream: later messages are in Postfix's queue or in LMTP delivery right now.
      if (accepted.size >= KILLED_AT && killed === undefined) killed = docker('kill', '--signal', 'KILL', name);
    };
    const subjects = async () => {
      const { stdout } = await inside(
        'sh',
        '-c',
        'cat /var/mail/example.test/alice/Maildir/new/* /var/mail/example.test/alice/Maildir/cur/* 2>/dev/null | grep "^Subject: kill-test" || true',
      );
      return stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.replace(/^Subject: /, ''));
    };
    const queueEmpty = () =>
      inside('postqueue', '-j').then(
        (result) => result.stdout.trim() === '',
        () => false,
      );

    // Some messages are already delivered when the kill comes: they must not come again.
    await Promise.all(Array.from({ length: DELIVERED_FIRST }, (_, index) => send(index)));
    assert.equal(
      (await eventually(subjects, (found) => found.length >= DELIVERED_FIRST, 30_000)).length,
      DELIVERED_FIRST,
    );
    // Delivery outpaces `docker kill` by far: slowed to one hand-over a second, the kill is sure to find
    // messages queued and one in LMTP. The restart renders main.cf afresh, which ends the slowdown.
    await inside('postconf', '-e', 'lmtp_destination_rate_delay=1s');
    await inside('postfix', 'reload');
    await Promise.all(Array.from({ length: MESSAGES - DELIVERED_FIRST }, (_, index) => send(DELIVERED_FIRST + index)));
    transport.close();
    assert.ok(killed !== undefined, `only ${accepted.size} accepted: the container was never killed`);
    await killed;
    const state = (await docker('inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name)).stdout.trim();
    assert.equal(state, 'false 137', 'the container died of SIGKILL');

    const restartedAt = Math.floor(Date.now() / 1000);
    await docker('start', name);
    await waitHealthy();
    // Every queued message is handed over (or bounced) before anything is counted.
    assert.ok(
      await eventually(
        async () =>
          (await inside('postqueue', '-f').then(
            () => true,
            () => false,
          )) && queueEmpty(),
        (empty) => empty,
        60_000,
      ),
      'the queue empties',
    );
    // A Maildir file's name starts with its delivery time: some messages were still to go at the kill.
    const savedSince = await inside(
      'sh',
      '-c',
      `ls /var/mail/example.test/alice/Maildir/new /var/mail/example.test/alice/Maildir/cur | awk -F. '$1 >= ${restartedAt}' | wc -l`,
    );
    assert.ok(
      Number(savedSince.stdout.trim()) > 0,
      `all ${accepted.size} accepted messages were delivered before the kill: nothing was in flight`,
    );
    const delivered = await subjects();
    const missing = [...accepted].filter((subject) => !delivered.includes(subject));
    const twice = delivered.filter((subject, index) => delivered.indexOf(subject) !== index);
    assert.deepEqual(
      { missing, twice },
      { missing: [], twice: [] },
      `${accepted.size} accepted, ${savedSince.stdout.trim()} delivered after the restart, ${delivered.length} in all`,
    );
  });
});
