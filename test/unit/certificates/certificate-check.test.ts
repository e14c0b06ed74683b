import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type CheckedPair, checkPair, type SourcedPair } from '../../../src/certificates/certificate-check.ts';
import { issuedPair, selfSignedPair, type TestPair } from '../../support/certificates.ts';

const HOST = 'mail.example.org';
const labels = { certLabel: 'SSL_CERT_PATH: "/certs/fullchain.pem"', keyLabel: 'SSL_KEY_PATH: "/certs/privkey.pem"' };
const sourced = (cert: string, key: string): SourcedPair => ({
  cert: Buffer.from(cert),
  key: Buffer.from(key),
  ...labels,
});

const problems = (pair: SourcedPair): string[] => {
  const checked = checkPair(pair, HOST);
  assert.ok(Array.isArray(checked), 'expected problems');
  return checked;
};
const accepted = (pair: SourcedPair): CheckedPair => {
  const checked = checkPair(pair, HOST);
  assert.ok(!Array.isArray(checked), Array.isArray(checked) ? checked.join('\n') : '');
  return checked;
};

describe('checking a certificate and its key before the daemons get them', () => {
  let mine: TestPair;
  let other: TestPair;
  let issued: TestPair & { caCert: string };
  before(() => {
    mine = selfSignedPair([HOST]);
    other = selfSignedPair([HOST]);
    issued = issuedPair([HOST]);
  });

  it('accepts a pair that fits, the chain read whole, and says nothing more', () => {
    const checked = accepted(sourced(issued.cert, issued.key));
    assert.equal(checked.leaf.fingerprint256, issued.fingerprint256);
    assert.deepEqual(checked.warnings, []);
  });

  it('refuses a certificate file that holds no PEM certificate, naming the variable and the path', () => {
    assert.deepEqual(problems(sourced(mine.key, mine.key)), [
      'SSL_CERT_PATH: "/certs/fullchain.pem" is not a PEM certificate; allowed: the chain, server certificate first, each -----BEGIN CERTIFICATE-----',
    ]);
    const garbled = mine.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!');
    assert.match(problems(sourced(garbled, mine.key))[0] as string, /^SSL_CERT_PATH: .* does not parse/);
  });

  it('refuses a key file that holds no key, or an encrypted one', () => {
    assert.deepEqual(problems(sourced(mine.cert, mine.cert)), [
      'SSL_KEY_PATH: "/certs/privkey.pem" is not a PEM private key; allowed: a -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) file',
    ]);
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n';
    assert.match(
      problems(sourced(mine.cert, encrypted))[0] as string,
      /^SSL_KEY_PATH: .* is encrypted with a passphrase/,
    );
  });

  it("refuses another certificate's key (certbot wrote the certificate, not yet the key)", () => {
    assert.deepEqual(problems(sourced(mine.cert, other.key)), [
      'SSL_KEY_PATH: "/certs/privkey.pem" is not the key of the certificate in SSL_CERT_PATH: "/certs/fullchain.pem"; allowed: the private key the certificate was issued for',
    ]);
  });

  it('refuses a chain that does not start with the server certificate', () => {
    const reversed = `${issued.caCert}${issued.cert.slice(0, issued.cert.indexOf(issued.caCert))}`;
    assert.match(
      problems(sourced(reversed, issued.key))[0] as string,
      /^SSL_CERT_PATH: .* does not start with the server certificate/,
    );
  });

  it('takes an expired certificate with a warning: a stop would take the mail down too', () => {
    const expired = selfSignedPair([HOST], { expired: true });
    const checked = accepted(sourced(expired.cert, expired.key));
    assert.deepEqual(checked.warnings, [
      'SSL_CERT_PATH: "/certs/fullchain.pem": the certificate expired 2020-01-02T00:00:00.000Z; clients will refuse it',
    ]);
  });

  it('warns of a certificate that does not name the hostname; a wildcard names it', () => {
    const elsewhere = selfSignedPair(['imap.example.net']);
    assert.match(
      accepted(sourced(elsewhere.cert, elsewhere.key)).warnings.join('\n'),
      /the certificate does not name the hostname mail\.example\.org \(DNS:imap\.example\.net\)/,
    );
    const wildcard = selfSignedPair(['*.example.org']);
    assert.deepEqual(accepted(sourced(wildcard.cert, wildcard.key)).warnings, []);
  });
});
