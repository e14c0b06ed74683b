import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { selfSignedPair, type TestPair } from '../support/certificates.ts';
import { LineClient } from '../support/sasl.ts';
import {
  assertLogged,
  CAROL_PASSWORD,
  daemonProcesses,
  eventually,
  JWT_ENV,
  type Stack,
  startStack,
} from '../support/stack.ts';
import { servedFingerprint, type TlsStart } from '../support/tls-probe.ts';

/**
 * SSL_TYPE=manual with files in the container, replaced while it runs: every TLS port serves the new
 * certificate within a minute, with no restart of the container or of a daemon, an open IMAP session
 * still answering afterwards.
 */
const CERT = '/etc/idmail/fullchain.pem';
const KEY = '/etc/idmail/privkey.pem';
/** Implicit TLS on IMAP, POP3, submission and the HTTPS listener (self-service); STARTTLS on 587. */
const PORTS: Array<[number, TlsStart]> = [
  [993, 'implicit'],
  [995, 'implicit'],
  [465, 'implicit'],
  [587, 'smtp-starttls'],
  [8443, 'implicit'],
];
/** Dovecot ends the sessions of an old configuration this long after a reload unless shutdown_clients = no. */
const DOVECOT_KILL_AFTER_RELOAD_MS = 35_000;

let stack: Stack;
let first: TestPair;

before(async () => {
  first = selfSignedPair([JWT_ENV.OVERRIDE_HOSTNAME]);
  stack = await startStack(
    { ...JWT_ENV, SSL_TYPE: 'manual', SSL_CERT_PATH: CERT, SSL_KEY_PATH: KEY },
    {
      files: [
        { content: first.cert, target: CERT },
        { content: first.key, target: KEY },
      ],
    },
  );
});
after(async () => stack?.stop());

/** The fingerprint each port serves now ('' where the handshake failed), in PORTS' order. */
const served = () =>
  Promise.all(
    PORTS.map(([port, start]) =>
      servedFingerprint(stack.mail.getHost(), stack.mail.getMappedPort(port), start).catch(() => ''),
    ),
  );

describe('certificates taken up without a restart', () => {
  it('serves the mounted certificate on every TLS port', async () => {
    assert.deepEqual(
      await served(),
      PORTS.map(() => first.fingerprint256),
    );
    await assertLogged(stack.logs, new RegExp(`idmail: certificate: .*sha256 ${first.fingerprint256}`));
    // The daemons' copy is root's alone, outside /run/idmail (the helper's directory).
    const modes = await stack.mail.exec(['sh', '-c', 'stat -c "%n %a %U:%G" /run/idmail-tls /run/idmail-tls/*.pem']);
    assert.match(modes.output, /^\/run\/idmail-tls 700 root:root$/m);
    for (const file of ['fullchain', 'privkey', 'chain'])
      assert.match(modes.output, new RegExp(`^/run/idmail-tls/${file}\\.pem 600 root:root$`, 'm'));
  });

  it('takes a replaced pair up on every port within a minute, keeping open sessions, the container and each daemon', async () => {
    const before = await daemonProcesses(stack.mail);
    assert.match(before.dovecot, /^\d+$/);
    assert.match(before.postfix, /^\d+$/);
    assert.equal(before.helper.length, 1);
    const session = await LineClient.connect(stack.mail.getHost(), stack.mail.getMappedPort(993), true);
    assert.match(await session.readUntil(/^\* OK/), /^\* OK/m);
    session.send(`a LOGIN carol@example.test ${CAROL_PASSWORD}`);
    assert.match(await session.readUntil(/^a /), /^a OK/m);

    const second = selfSignedPair([JWT_ENV.OVERRIDE_HOSTNAME]);
    // The key first, as a renewal caught halfway: the files do not fit together, which must change nothing.
    await writeFile(KEY, second.key);
    await assertLogged(
      stack.logs,
      /idmail: certificates: not installed, the one in use stays: SSL_KEY_PATH: "\/etc\/idmail\/privkey\.pem" is not the key of the certificate in SSL_CERT_PATH/,
      30_000,
    );
    assert.deepEqual(
      await served(),
      PORTS.map(() => first.fingerprint256),
    );

    await writeFile(CERT, second.cert);
    const fingerprints = await eventually(
      served,
      (list) => list.every((fingerprint) => fingerprint === second.fingerprint256),
      60_000,
    );
    const takenUp = Date.now();
    assert.deepEqual(
      fingerprints,
      PORTS.map(() => second.fingerprint256),
      `ports ${PORTS.map(([port]) => port).join(', ')}`,
    );
    await assertLogged(
      stack.logs,
      new RegExp(
        `idmail: certificates: installed .*sha256 ${second.fingerprint256}.*; reloaded dovecot, postfix, https`,
      ),
    );

    // Past the moment Dovecot would have ended it, the session opened before still answers.
    await sleep(Math.max(0, takenUp + DOVECOT_KILL_AFTER_RELOAD_MS + 5_000 - Date.now()));
    session.send('b NOOP');
    assert.match(await session.readUntil(/^b /), /^b OK/m);
    session.close();
    assert.deepEqual(await daemonProcesses(stack.mail), before);
  });
});

/** Writes a file inside the container in one step (a here-document, then a rename over the old one). */
async function writeFile(path: string, content: string): Promise<void> {
  const script = `cat > ${path}.new <<'PEM'\n${content.trimEnd()}\nPEM\nmv ${path}.new ${path}`;
  const written = await stack.mail.exec(['sh', '-c', script]);
  assert.equal(written.exitCode, 0, written.output);
}
