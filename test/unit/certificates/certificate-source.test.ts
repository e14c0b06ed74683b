import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SourcedPair } from '../../../src/certificates/certificate-check.ts';
import {
  type FileSnapshot,
  fingerprintOf,
  pairFrom,
  snapshotFiles,
  watchedFiles,
} from '../../../src/certificates/certificate-source.ts';
import type { CertificateFiles, LetsencryptFiles } from '../../../src/config/tls-settings.ts';

const manual: CertificateFiles = {
  kind: 'files',
  certPath: '/certs/fullchain.pem',
  keyPath: '/certs/privkey.pem',
  certName: 'SSL_CERT_PATH',
  keyName: 'SSL_KEY_PATH',
};
const letsencrypt: LetsencryptFiles = {
  kind: 'letsencrypt',
  names: ['*.example.org', 'mail.example.org', 'example.org'],
  acmeJson: '/le/acme.json',
  liveDirectory: '/le/live',
};
const snapshot = (files: Record<string, string>): FileSnapshot =>
  new Map(
    watchedFiles(letsencrypt)
      .concat(watchedFiles(manual))
      .map((path) => [path, path in files ? Buffer.from(files[path] as string) : 'ENOENT']),
  );
const pair = (result: SourcedPair | string) => {
  assert.ok(typeof result !== 'string', result as string);
  return { cert: result.cert.toString(), key: result.key.toString(), certLabel: result.certLabel };
};
const acmeJson = (main: string) =>
  JSON.stringify({
    le: {
      Certificates: [
        {
          domain: { main },
          certificate: Buffer.from('json cert').toString('base64'),
          key: Buffer.from('k').toString('base64'),
        },
      ],
    },
  });

describe('where each SSL_TYPE finds its pair', () => {
  it('watches the two files, or every place letsencrypt may look (acme.json, then each live folder)', () => {
    assert.deepEqual(watchedFiles(manual), ['/certs/fullchain.pem', '/certs/privkey.pem']);
    assert.deepEqual(watchedFiles(letsencrypt), [
      '/le/acme.json',
      '/le/live/example.org/fullchain.pem',
      '/le/live/example.org/privkey.pem',
      '/le/live/example.org/key.pem',
      '/le/live/mail.example.org/fullchain.pem',
      '/le/live/mail.example.org/privkey.pem',
      '/le/live/mail.example.org/key.pem',
    ]);
  });

  it('names the variable and path of a file that cannot be read', () => {
    assert.equal(
      pairFrom(manual, snapshot({ '/certs/fullchain.pem': 'c' })),
      'SSL_KEY_PATH: "/certs/privkey.pem" cannot be read (ENOENT); allowed: a readable PEM file',
    );
  });

  it("takes acme.json first, as docker-mailserver does, then certbot's live folders in the names' order", () => {
    const live = {
      '/le/live/mail.example.org/fullchain.pem': 'host chain',
      '/le/live/mail.example.org/privkey.pem': 'host key',
      '/le/live/example.org/fullchain.pem': 'domain chain',
      '/le/live/example.org/privkey.pem': 'domain key',
    };
    assert.equal(
      pair(pairFrom(letsencrypt, snapshot({ ...live, '/le/acme.json': acmeJson('mail.example.org') }))).cert,
      'json cert',
    );
    // acme.json without one of the names: the live folders; `*.example.org` lives in live/example.org/.
    const fromLive = pair(pairFrom(letsencrypt, snapshot({ ...live, '/le/acme.json': acmeJson('www.example.net') })));
    assert.deepEqual(fromLive, {
      cert: 'domain chain',
      key: 'domain key',
      certLabel: 'SSL_TYPE=letsencrypt: "/le/live/example.org/fullchain.pem"',
    });
  });

  it('takes key.pem where there is no privkey.pem, and refuses a chain with neither beside it', () => {
    const keyPem = { '/le/live/mail.example.org/fullchain.pem': 'chain', '/le/live/mail.example.org/key.pem': 'key' };
    assert.equal(pair(pairFrom(letsencrypt, snapshot(keyPem))).key, 'key');
    assert.match(
      pairFrom(letsencrypt, snapshot({ '/le/live/mail.example.org/fullchain.pem': 'chain' })) as string,
      /^SSL_TYPE=letsencrypt: "\/le\/live\/mail\.example\.org\/fullchain\.pem" has no privkey\.pem \(nor key\.pem\) beside it/,
    );
  });

  it('says every place it looked when there is nothing', () => {
    assert.equal(
      pairFrom(letsencrypt, snapshot({ '/le/acme.json': '{' })),
      'SSL_TYPE=letsencrypt: no certificate for *.example.org, mail.example.org, example.org: "/le/acme.json" is not JSON ' +
        `(${errorOf('{')}), and there is no /le/live/<name>/fullchain.pem; allowed: certbot's /etc/letsencrypt mounted, or ` +
        "Traefik's acme.json at /etc/letsencrypt/acme.json, with a certificate for one of these names (SSL_DOMAIN adds one)",
    );
  });

  it("computes the checksum the certificates service's shell loop computes, a missing file left out", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'idmail-watch-'));
    mkdirSync(join(directory, 'live'));
    const files = [join(directory, 'a.pem'), join(directory, 'live', 'missing.pem'), join(directory, 'b.pem')];
    writeFileSync(files[0] as string, 'first\n');
    writeFileSync(files[2] as string, 'second\n');
    const shell = execFileSync('sh', ['-c', 'cat -- "$@" 2>/dev/null | sha256sum', 'sh', ...files], {
      encoding: 'utf8',
    });
    assert.equal(fingerprintOf(await snapshotFiles(files), files), shell.split(' ')[0]);
  });
});

function errorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}
