import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { letsencryptNames } from '../../../src/config/tls-settings.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const paths = { SSL_CERT_PATH: '/certs/fullchain.pem', SSL_KEY_PATH: '/certs/privkey.pem' };

describe('SSL_TYPE: where the certificate comes from', () => {
  it('is self-signed when nothing is set, and manual when both paths are (as before SSL_TYPE)', () => {
    assert.equal(loadSettings(base).tls.source, 'self-signed');
    assert.deepEqual(loadSettings(base).tls.origin, {
      kind: 'files',
      certPath: '/var/mail-state/tls/cert.pem',
      keyPath: '/var/mail-state/tls/key.pem',
      certName: 'SSL_TYPE=self-signed',
      keyName: 'SSL_TYPE=self-signed',
    });
    assert.equal(loadSettings({ ...base, ...paths }).tls.source, 'manual');
  });

  it('reads manual paths from SSL_CERT_PATH and SSL_KEY_PATH, named in problems by those variables', () => {
    const { tls } = loadSettings({ ...base, SSL_TYPE: 'manual', ...paths });
    assert.deepEqual(tls.origin, {
      kind: 'files',
      certPath: '/certs/fullchain.pem',
      keyPath: '/certs/privkey.pem',
      certName: 'SSL_CERT_PATH',
      keyName: 'SSL_KEY_PATH',
    });
  });

  it('gives the daemons the installed copy in a root-only directory, never the source files or /run/idmail', () => {
    const { tls } = loadSettings({ ...base, ...paths });
    assert.equal(tls.directory, '/run/idmail-tls');
    for (const path of [tls.certPath, tls.keyPath, tls.chainPath]) {
      assert.ok(path.startsWith('/run/idmail-tls/'), path);
    }
  });

  it('reads the ACME client’s fixed files with SSL_TYPE=acme', () => {
    const { tls } = loadSettings({ ...base, SSL_TYPE: 'acme' });
    assert.equal(tls.source, 'acme');
    assert.deepEqual(tls.origin, {
      kind: 'files',
      certPath: '/var/mail-state/idmail/acme/fullchain.pem',
      keyPath: '/var/mail-state/idmail/acme/privkey.pem',
      certName: 'SSL_TYPE=acme',
      keyName: 'SSL_TYPE=acme',
    });
  });

  it("looks, with letsencrypt, for SSL_DOMAIN, the hostname, a wildcard of its domain and its domain, in docker-mailserver's places", () => {
    const { tls } = loadSettings({ ...base, SSL_TYPE: 'LetsEncrypt', SSL_DOMAIN: '*.Example.org' });
    assert.deepEqual(tls.origin, {
      kind: 'letsencrypt',
      names: ['*.example.org', 'mail.example.org', 'example.org'],
      acmeJson: '/etc/letsencrypt/acme.json',
      liveDirectory: '/etc/letsencrypt/live',
    });
    assert.deepEqual(letsencryptNames(undefined, 'mail.example.org'), [
      'mail.example.org',
      '*.example.org',
      'example.org',
    ]);
    // A bare domain as the hostname is its own domain (docker-mailserver's DOMAINNAME).
    assert.deepEqual(letsencryptNames(undefined, 'example.org'), ['example.org']);
  });

  it('warns that SSL_DOMAIN is ignored without letsencrypt', () => {
    const { warnings } = loadSettings({ ...base, ...paths, SSL_DOMAIN: 'mail.example.org' });
    assert.ok(
      warnings.some((warning) => /SSL_DOMAIN is read only with SSL_TYPE=letsencrypt/.test(warning)),
      warnings.join('\n'),
    );
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    [
      'an unknown SSL_TYPE',
      { SSL_TYPE: 'custom' },
      /^SSL_TYPE: "custom" is not one of the choices; allowed: manual, letsencrypt, self-signed, acme, or unset$/,
    ],
    [
      'manual without the key',
      { SSL_TYPE: 'manual', SSL_CERT_PATH: '/certs/fullchain.pem' },
      /^SSL_TYPE: manual needs SSL_KEY_PATH; allowed: both set to PEM files in the container/,
    ],
    ['manual without either', { SSL_TYPE: 'manual' }, /^SSL_TYPE: manual needs SSL_CERT_PATH and SSL_KEY_PATH;/],
    ['only the key, SSL_TYPE unset', { SSL_KEY_PATH: '/k.pem' }, /^SSL_CERT_PATH, SSL_KEY_PATH: only one is set/],
    [
      'paths with another SSL_TYPE',
      { SSL_TYPE: 'letsencrypt', ...paths },
      /^SSL_CERT_PATH, SSL_KEY_PATH: read only with SSL_TYPE=manual, but SSL_TYPE is letsencrypt; allowed: SSL_TYPE=manual, or leave them unset$/,
    ],
    ['a relative path', { SSL_CERT_PATH: 'cert.pem', SSL_KEY_PATH: '/k' }, /^SSL_CERT_PATH: .*not an absolute path/],
    ['a path that breaks a config line', { ...paths, SSL_KEY_PATH: '/k\nssl = no' }, /^SSL_KEY_PATH: contains/],
    [
      'an SSL_DOMAIN that is no name',
      { SSL_TYPE: 'letsencrypt', SSL_DOMAIN: 'mail example' },
      /^SSL_DOMAIN: .*not a host name/,
    ],
    [
      'a wildcard in the middle',
      { SSL_TYPE: 'letsencrypt', SSL_DOMAIN: 'mail.*.org' },
      /^SSL_DOMAIN: .*not a host name/,
    ],
  ];
  for (const [what, env, pattern] of bad) {
    it(`stops the start on ${what}`, () => {
      const problems = problemsOf({ ...base, ...env });
      assert.ok(
        problems.some((problem) => pattern.test(problem)),
        problems.join('\n'),
      );
    });
  }
});
