import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer, Wait } from 'testcontainers';
import { PEBBLE_IMAGE } from '../support/images.ts';
import {
  ACCOUNTS_YAML,
  type Appliance,
  assertLogged,
  curlInside,
  eventually,
  nodeProcessIds,
  startAppliance,
  startNetwork,
} from '../support/stack.ts';
import { servedFingerprint } from '../support/tls-probe.ts';

/**
 * SSL_TYPE=acme against a real ACME server (pebble, certificates of 120 s): the appliance gets its
 * certificate over HTTP-01 on port 80, serves it, renews it before it expires without a restart, and
 * keeps it when the CA is gone (a failed renewal logged and counted).
 */
const HOSTNAME = 'mail.example.test';
const EXTRA_NAME = 'imap.example.test';
const CA_FILE = '/etc/idmail/pebble-ca.pem';
const CHAIN = '/var/mail-state/idmail/acme/fullchain.pem';

let stop: (() => Promise<void>) | undefined;
let pebble: StartedTestContainer;
let pebbleLogs: () => string;
let mail: Appliance;

before(async () => {
  const net = await startNetwork(10);
  stop = net.stop;
  let output = '';
  pebble = await new GenericContainer(PEBBLE_IMAGE)
    .withNetwork(net.network)
    .withNetworkAliases('pebble')
    .withLogConsumer((stream) => stream.on('data', (chunk) => (output += chunk.toString())))
    .withWaitStrategy(Wait.forLogMessage(/Listening on: 0\.0\.0\.0:14000/))
    .start();
  net.started.push(pebble);
  pebbleLogs = () => output;
  const ca = await pebble.exec(['cat', '/etc/pebble/ca.pem']);
  assert.equal(ca.exitCode, 0, ca.output);
  // Pebble validates each name on port 80 through the engine's DNS: the appliance answers to both.
  mail = await startAppliance(
    net.network,
    {
      OVERRIDE_HOSTNAME: HOSTNAME,
      MAIL_DOMAINS: 'example.test',
      SSL_TYPE: 'acme',
      ACME_DIRECTORY_URL: 'https://pebble:14000/dir',
      ACME_CA_FILE: CA_FILE,
      ACME_EMAIL: 'postmaster@example.test',
      ACME_DOMAINS: EXTRA_NAME,
    },
    [
      { content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' },
      { content: ca.output, target: CA_FILE },
    ],
    [HOSTNAME, EXTRA_NAME],
    [],
  );
  net.started.push(mail.container);
});
after(async () => stop?.());

/** The chain the helper wrote (leaf first), and the fingerprint IMAPS serves now ('' when no handshake). */
async function current(): Promise<{ chain: X509Certificate[]; served: string }> {
  const file = await mail.container.exec(['cat', CHAIN]);
  const pems = file.output.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const served = await servedFingerprint(mail.container.getHost(), mail.container.getMappedPort(993), 'implicit').catch(
    () => '',
  );
  return { chain: pems.map((pem) => new X509Certificate(pem)), served };
}

/** A leaf from a CA (not prepare's self-signed placeholder) that IMAPS serves. */
const servedFromCa = ({ chain, served }: { chain: X509Certificate[]; served: string }) =>
  chain[0] !== undefined && !chain[0].checkIssued(chain[0]) && served === chain[0].fingerprint256;

/** What a restart of the container or of the helper would change. */
async function processes() {
  const client = await getContainerRuntimeClient();
  const inspected = await client.container.inspect(client.container.getById(mail.container.getId()));
  return {
    startedAt: inspected.State.StartedAt,
    restartCount: inspected.RestartCount,
    helper: await nodeProcessIds(mail.container, 'cli.js serve'),
  };
}

let first: X509Certificate;
let second: X509Certificate;
let unchanged: Awaited<ReturnType<typeof processes>>;

describe('SSL_TYPE=acme', () => {
  it('gets a certificate from the CA for the hostname and ACME_DOMAINS over HTTP-01 and serves it on 993 within a minute', async () => {
    const state = await eventually(current, servedFromCa, 60_000);
    const [leaf, intermediate] = state.chain;
    assert.ok(leaf !== undefined && intermediate !== undefined, `a chain in ${CHAIN}`);
    assert.ok(servedFromCa(state), `993 serves ${state.served}, not the CA's ${leaf.fingerprint256}`);
    assert.match(leaf.issuer, /CN=Pebble Intermediate CA/);
    assert.ok(leaf.verify(intermediate.publicKey), 'signed by the intermediate in the chain');
    assert.equal(leaf.checkHost(HOSTNAME), HOSTNAME);
    assert.equal(leaf.checkHost(EXTRA_NAME), EXTRA_NAME);
    for (const name of [HOSTNAME, EXTRA_NAME]) {
      const validated = new RegExp(`Attempting to validate w/ HTTP: http://${name.replaceAll('.', '\\.')}:80/`);
      assert.match(pebbleLogs(), validated);
    }
    assert.doesNotMatch(pebbleLogs(), /set INVALID/);
    await assertLogged(mail.logs, /"event":"certificate-issued","reason":"placeholder"/);
    // Port 80 answers the CA's challenges and nothing else.
    const port80 = `http://${mail.container.getHost()}:${mail.container.getMappedPort(80)}`;
    for (const path of ['/', '/.well-known/acme-challenge/not-a-pending-token'])
      assert.equal((await fetch(`${port80}${path}`, { redirect: 'manual' })).status, 404, path);
    first = leaf;
    unchanged = await processes();
    assert.equal(unchanged.helper.length, 1);
  });

  it('renews it before it expires (a new serial served on 993), without a restart', async () => {
    const expiry = first.validToDate.getTime();
    const state = await eventually(
      current,
      (now) => servedFromCa(now) && now.chain[0]?.serialNumber !== first.serialNumber,
      expiry - Date.now() + 5_000,
    );
    const seenAt = Date.now();
    const leaf = state.chain[0];
    assert.ok(leaf !== undefined && servedFromCa(state), 'a renewed certificate served');
    assert.notEqual(leaf.serialNumber, first.serialNumber);
    assert.ok(seenAt < expiry, `served ${seenAt - expiry} ms after the first one expired`);
    assert.ok(leaf.checkHost(HOSTNAME) !== undefined && leaf.checkHost(EXTRA_NAME) !== undefined);
    await assertLogged(mail.logs, /"event":"certificate-issued","reason":"due"/);
    assert.deepEqual(await processes(), unchanged);
    second = leaf;
  });

  it('keeps serving the certificate when the CA is gone; the failed renewal is logged and counted', async () => {
    await pebble.stop();
    // The next renewal point is a third of the lifetime before expiry; a name that no longer resolves may take a while.
    const until = second.validToDate.getTime() - Date.now() + 90_000;
    await assertLogged(
      mail.logs,
      /"event":"certificate-renewal-failed","reason":"due",.*"err":"cannot reach the ACME server: /,
      until,
    );
    const metrics = await curlInside(mail.container, ['http://127.0.0.1:8800/metrics']);
    assert.match(metrics.output, /idmail_certificate_renewals_total\{outcome="failure"\} [1-9]/);
    assert.match(metrics.output, /idmail_certificate_renewals_total\{outcome="success"\} ([2-9]|\d\d)/);
    const expirySeconds = second.validToDate.getTime() / 1000;
    assert.match(metrics.output, new RegExp(`idmail_certificate_expiry_timestamp_seconds ${expirySeconds}\\b`));
    const state = await current();
    assert.equal(state.chain[0]?.serialNumber, second.serialNumber);
    assert.equal(state.served, second.fingerprint256);
    assert.deepEqual(await processes(), unchanged);
  });
});
