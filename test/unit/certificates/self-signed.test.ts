import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ensureSelfSignedCertificate, selfSignedReplacementReason } from '../../../src/certificates/self-signed.ts';
import { issuedPair, selfSignedPair } from '../../support/certificates.ts';

const buffers = (pair: { cert: string; key: string }) => [Buffer.from(pair.cert), Buffer.from(pair.key)] as const;

describe('the self-signed certificate', () => {
  beforeEach(() => mock.method(console, 'log', () => undefined));
  afterEach(() => mock.restoreAll());

  it('is made anew when missing, broken, or naming another host; kept when it names the hostname', () => {
    const mine = selfSignedPair(['mail.example.org', 'localhost']);
    assert.equal(selfSignedReplacementReason(...buffers(mine), 'mail.example.org'), undefined);
    assert.equal(selfSignedReplacementReason(undefined, undefined, 'mail.example.org'), 'there was none');
    assert.equal(
      selfSignedReplacementReason(Buffer.from(mine.cert), Buffer.from(selfSignedPair(['x']).key), 'mail.example.org'),
      'the key there was not its own',
    );
    assert.equal(
      selfSignedReplacementReason(...buffers(mine), 'mx.example.net'),
      'the one there named DNS:mail.example.org, DNS:localhost',
    );
  });

  it("keeps a CA's certificate whatever it names: renewing it is its issuer's business (SSL_TYPE=acme)", () => {
    assert.equal(
      selfSignedReplacementReason(...buffers(issuedPair(['old.example.org'])), 'mail.example.org'),
      undefined,
    );
  });

  it('is made for the hostname with a 0600 key, kept at the next start, and remade when the hostname changes', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'idmail-self-signed-'));
    const paths = { certPath: join(directory, 'tls', 'cert.pem'), keyPath: join(directory, 'tls', 'key.pem') };
    await ensureSelfSignedCertificate(paths, 'mail.example.org');
    const first = readFileSync(paths.certPath);
    assert.ok(new X509Certificate(first).checkHost('mail.example.org'));
    assert.equal(statSync(paths.keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(join(directory, 'tls')).mode & 0o777, 0o700);

    await ensureSelfSignedCertificate(paths, 'mail.example.org');
    assert.deepEqual(readFileSync(paths.certPath), first);

    await ensureSelfSignedCertificate(paths, 'mx.example.net');
    const remade = new X509Certificate(readFileSync(paths.certPath));
    assert.ok(remade.checkHost('mx.example.net'));
    assert.equal(remade.checkHost('mail.example.org'), undefined);
    assert.ok(remade.checkPrivateKey(createPrivateKey(readFileSync(paths.keyPath, 'utf8'))));
  });

  it('replaces a pair that does not parse', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'idmail-self-signed-'));
    const paths = { certPath: join(directory, 'cert.pem'), keyPath: join(directory, 'key.pem') };
    writeFileSync(paths.certPath, 'half a certificate');
    writeFileSync(paths.keyPath, 'half a key');
    await ensureSelfSignedCertificate(paths, 'mail.example.org');
    assert.ok(new X509Certificate(readFileSync(paths.certPath)).checkHost('mail.example.org'));
  });
});
