import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { CertificateIssuer } from '../../../src/acme/acme-issuer.ts';
import { CertificateRenewer } from '../../../src/acme/certificate-renewer.ts';
import { MAX_SLEEP_MS } from '../../../src/acme/renewal-schedule.ts';
import type { AcmeFiles } from '../../../src/config/acme-settings.ts';
import { certificateMetrics } from '../../../src/metrics/certificate-metrics.ts';
import type { LogFields } from '../../../src/vocabulary/logger.ts';
import { selfSignedPair, type TestPair, testCa } from '../../support/acme-certificates.ts';

const NAMES = ['mail.example.org', 'imap.example.org'];
const DIRECTORY = 'https://acme.example.net/directory';
const DAY = 86_400_000;
const ca = testCa();

/** A fake CA: answers each order with the next pair, or throws what it is given. */
class FakeIssuer implements CertificateIssuer {
  readonly orders: (readonly string[])[] = [];
  readonly answers: (TestPair | Error)[];
  constructor(answers: (TestPair | Error)[]) {
    this.answers = answers;
  }
  async issue(names: readonly string[]): Promise<TestPair> {
    this.orders.push(names);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/** A directory with this pair in place, recorded as issued by `issuedBy` (none: prepare's placeholder). */
function filesIn(pair?: TestPair, issuedBy?: string): AcmeFiles {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-acme-'));
  const files = {
    chain: join(dir, 'fullchain.pem'),
    key: join(dir, 'privkey.pem'),
    accountKey: join(dir, 'account.pem'),
    issuedBy: join(dir, 'issued-by'),
  };
  if (pair !== undefined) {
    writeFileSync(files.chain, pair.chain);
    writeFileSync(files.key, pair.key, { mode: 0o600 });
  }
  if (issuedBy !== undefined) writeFileSync(files.issuedBy, `${issuedBy}\n`);
  return files;
}

/** A certificate the configured CA issued earlier, in place. */
const fromOurCa = (pair: TestPair) => filesIn(pair, DIRECTORY);

function renewer(files: AcmeFiles, issuer: CertificateIssuer, now: () => number = Date.now) {
  const lines: (LogFields & { level: string; message: string })[] = [];
  const record = (level: string) => (fields: LogFields, message: string) => lines.push({ ...fields, level, message });
  const log = { info: record('info'), warn: record('warn'), error: record('error') };
  const registry = new Registry();
  const subject = new CertificateRenewer({
    directoryUrl: DIRECTORY,
    names: NAMES,
    files,
    issuer,
    observer: certificateMetrics(registry),
    log,
    now,
  });
  return { subject, lines, metrics: () => registry.metrics() };
}

const serialOf = (chain: string) => new X509Certificate(chain).serialNumber;
const read = (files: AcmeFiles) => ({ chain: readFileSync(files.chain, 'utf8'), key: readFileSync(files.key, 'utf8') });

describe('the certificate renewal', () => {
  it("replaces prepare's placeholder at once: key (0600) and chain written, logged, counted, expiry exported", async () => {
    const files = filesIn(selfSignedPair(NAMES));
    const issued = ca.issue(NAMES);
    const issuer = new FakeIssuer([issued]);
    const { subject, lines, metrics } = renewer(files, issuer);
    const delay = await subject.check();
    assert.deepEqual(issuer.orders, [NAMES]);
    assert.deepEqual(read(files), issued);
    assert.equal(statSync(files.key).mode & 0o777, 0o600);
    assert.equal(readFileSync(files.issuedBy, 'utf8'), `${DIRECTORY}\n`);
    // 60 days until the renewal point: sleep the longest allowed, then look again.
    assert.equal(delay, MAX_SLEEP_MS);
    const line = lines.find((entry) => entry.event === 'certificate-issued');
    assert.equal(line?.reason, 'placeholder');
    assert.equal(line?.serial, serialOf(issued.chain));
    const text = await metrics();
    assert.match(text, /idmail_certificate_renewals_total\{outcome="success"\} 1/);
    assert.match(text, /idmail_certificate_renewals_total\{outcome="failure"\} 0/);
    const notAfter = new X509Certificate(issued.chain).validToDate.getTime() / 1000;
    assert.match(text, new RegExp(`idmail_certificate_expiry_timestamp_seconds ${notAfter}`));
  });

  it('orders when there is no certificate at all', async () => {
    const files = filesIn();
    const { subject, lines } = renewer(files, new FakeIssuer([ca.issue(NAMES)]));
    await subject.check();
    assert.equal(lines[0]?.reason, 'missing');
    assert.equal(serialOf(read(files).chain), lines[0]?.serial);
  });

  it('leaves a current certificate alone until a third of its life is left, then renews it', async () => {
    const current = ca.issue(NAMES, 90);
    const files = fromOurCa(current);
    const renewed = ca.issue(NAMES, 90);
    const issuer = new FakeIssuer([renewed]);
    const issuedAt = new X509Certificate(current.chain).validFromDate.getTime();
    let now = issuedAt + 59 * DAY + 23 * 3_600_000;
    const { subject, lines } = renewer(files, issuer, () => now);
    assert.equal(await subject.check(), 3_600_000);
    assert.deepEqual(issuer.orders, []);
    now = issuedAt + 61 * DAY;
    await subject.check();
    assert.equal(lines[0]?.reason, 'due');
    assert.deepEqual(read(files), renewed);
  });

  it('renews a certificate that does not name exactly the configured names (the hostname changed)', async () => {
    const files = fromOurCa(ca.issue(['old.example.org', 'imap.example.org']));
    const { subject, lines } = renewer(files, new FakeIssuer([ca.issue(NAMES)]));
    await subject.check();
    assert.equal(lines[0]?.reason, 'names');
  });

  it("replaces a certificate from another ACME directory (Let's Encrypt's staging, before production)", async () => {
    const files = filesIn(ca.issue(NAMES), 'https://acme-staging-v02.api.letsencrypt.org/directory');
    const { subject, lines } = renewer(files, new FakeIssuer([ca.issue(NAMES)]));
    await subject.check();
    assert.equal(lines[0]?.reason, 'directory');
    assert.equal(readFileSync(files.issuedBy, 'utf8'), `${DIRECTORY}\n`);
  });

  it('renews a certificate whose key is not its own', async () => {
    const files = fromOurCa({ chain: ca.issue(NAMES).chain, key: ca.issue(NAMES).key });
    const { subject, lines } = renewer(files, new FakeIssuer([ca.issue(NAMES)]));
    await subject.check();
    assert.equal(lines[0]?.reason, 'key-mismatch');
  });

  it('keeps the old files on a failure, logs one line, counts it, and backs off: 1 min, 2 min, then reset by a success', async () => {
    const placeholder = selfSignedPair(NAMES);
    const files = filesIn(placeholder);
    const issuer = new FakeIssuer([
      new Error('urn:ietf:params:acme:error:connection: port 80 unreachable'),
      new Error('again'),
    ]);
    const { subject, lines, metrics } = renewer(files, issuer);
    assert.equal(await subject.check(), 60_000);
    assert.equal(await subject.check(), 120_000);
    assert.deepEqual(read(files), placeholder);
    const failures = lines.filter((entry) => entry.event === 'certificate-renewal-failed');
    assert.equal(failures.length, 2);
    assert.equal(failures[0]?.level, 'error');
    assert.equal(failures[0]?.err, 'urn:ietf:params:acme:error:connection: port 80 unreachable');
    assert.equal(failures[0]?.retryInSeconds, 60);
    assert.match(String(failures[0]?.currentNotAfter), /^\d{4}-\d\d-\d\dT/);
    assert.match(await metrics(), /idmail_certificate_renewals_total\{outcome="failure"\} 2/);
    issuer.answers.push(ca.issue(NAMES), new Error('after the success'));
    await subject.check();
    writeFileSync(files.chain, placeholder.chain);
    writeFileSync(files.key, placeholder.key);
    assert.equal(await subject.check(), 60_000);
  });

  it('refuses what the CA sent when it names other names, or is for another key, and keeps the old files', async () => {
    const current = ca.issue(['old.example.org']);
    const files = fromOurCa(current);
    const otherNames = ca.issue(['mail.example.org']);
    const otherKey = { chain: ca.issue(NAMES).chain, key: ca.issue(NAMES).key };
    const { subject, lines } = renewer(files, new FakeIssuer([otherNames, otherKey]));
    await subject.check();
    await subject.check();
    assert.deepEqual(read(files), current);
    assert.match(String(lines[0]?.err), /names mail\.example\.org, not mail\.example\.org, imap\.example\.org/);
    assert.match(String(lines[1]?.err), /not for the key/);
  });

  it('looks again on its own schedule (here: the retry after a failure) until stopped', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const issuer = new FakeIssuer([new Error('down'), new Error('down'), new Error('down')]);
    const { subject, lines } = renewer(filesIn(selfSignedPair(NAMES)), issuer);
    subject.start();
    await settled(() => lines.length === 1);
    t.mock.timers.tick(59_000);
    await settled(() => false);
    assert.equal(issuer.orders.length, 1);
    t.mock.timers.tick(1_000);
    await settled(() => lines.length === 2);
    subject.stop();
    t.mock.timers.tick(10 * 60_000);
    await settled(() => false);
    assert.equal(issuer.orders.length, 2);
  });
});

/** Lets file reads and promise chains run (timers are mocked) until the condition holds, then a few turns more. */
async function settled(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2000 && !condition(); turn++) await new Promise((resolve) => setImmediate(resolve));
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}
