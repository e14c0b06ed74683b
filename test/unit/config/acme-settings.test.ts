import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { selfSignedPair } from '../../support/acme-certificates.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const acme = { ...base, SSL_TYPE: 'acme' };

function fileWith(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'idmail-acme-ca-')), 'ca.pem');
  writeFileSync(path, content);
  return path;
}

describe('the ACME settings (SSL_TYPE=acme)', () => {
  it("defaults to Let's Encrypt production, the hostname alone, no contact, the system CAs", () => {
    assert.deepEqual(loadSettings(acme).acme, {
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      email: undefined,
      caFile: undefined,
      names: ['mail.example.org'],
      files: {
        chain: '/var/mail-state/idmail/acme/fullchain.pem',
        key: '/var/mail-state/idmail/acme/privkey.pem',
        accountKey: '/var/mail-state/idmail/acme/account-key.pem',
        issuedBy: '/var/mail-state/idmail/acme/issued-by',
      },
    });
  });

  it('reads the directory, the contact, a CA file, and more names (the hostname first, each once)', () => {
    const caFile = fileWith(selfSignedPair(['pebble']).chain);
    const settings = loadSettings({
      ...acme,
      ACME_DIRECTORY_URL: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      ACME_EMAIL: 'postmaster@example.org',
      ACME_CA_FILE: caFile,
      ACME_DOMAINS: 'IMAP.example.org, smtp.example.org mail.example.org',
    });
    assert.equal(settings.acme?.directoryUrl, 'https://acme-staging-v02.api.letsencrypt.org/directory');
    assert.equal(settings.acme?.email, 'postmaster@example.org');
    assert.equal(settings.acme?.caFile, caFile);
    assert.deepEqual(settings.acme?.names, ['mail.example.org', 'imap.example.org', 'smtp.example.org']);
  });

  it('is off without SSL_TYPE=acme, and refuses ACME variables set there, each by name', () => {
    assert.equal(loadSettings(base).acme, undefined);
    const problems = problemsOf({ ...base, ACME_EMAIL: 'postmaster@example.org', ACME_DOMAINS: 'imap.example.org' });
    assert.deepEqual(problems, [
      'ACME_EMAIL: is set but SSL_TYPE is not acme; allowed: SSL_TYPE=acme, or leave ACME_EMAIL unset',
      'ACME_DOMAINS: is set but SSL_TYPE is not acme; allowed: SSL_TYPE=acme, or leave ACME_DOMAINS unset',
    ]);
    assert.match(
      problemsOf({ ...base, SSL_TYPE: 'self-signed', ACME_DIRECTORY_URL: 'https://acme.example.org/dir' }).join('\n'),
      /^ACME_DIRECTORY_URL: is set but SSL_TYPE is not acme/m,
    );
  });

  for (const [name, value, message] of [
    ['ACME_DIRECTORY_URL', 'http://acme.example.org/directory', /uses http:; allowed: https:\/\/ \(RFC 8555\)/],
    ['ACME_DIRECTORY_URL', 'not a url', /is not a URL; allowed: an https:\/\/ URL/],
    [
      'ACME_DIRECTORY_URL',
      'https://user:s3cret@acme.example.org/dir',
      /^ACME_DIRECTORY_URL: carries a user or password/,
    ],
    ['ACME_EMAIL', 'postmaster', /^ACME_EMAIL: /],
    ['ACME_DOMAINS', '*.example.org', /^ACME_DOMAINS: "\*\.example\.org" is not a host name/],
    ['ACME_DOMAINS', 'imap', /^ACME_DOMAINS: "imap" is not fully qualified/],
    ['ACME_DOMAINS', 'imap.example.org\nsmtp}', /^ACME_DOMAINS: "smtp}" is not a host name/],
    ['ACME_DOMAINS', ' , ', /^ACME_DOMAINS: is empty/],
    ['ACME_CA_FILE', '/nonexistent/ca.pem', /^ACME_CA_FILE: cannot read "\/nonexistent\/ca\.pem" \(ENOENT\)/],
    ['ACME_CA_FILE', 'ca.pem', /^ACME_CA_FILE: "ca\.pem" is not an absolute path/],
  ] as const) {
    it(`refuses ${name}=${JSON.stringify(value)} with a message naming it`, () => {
      assert.match(problemsOf({ ...acme, [name]: value }).join('\n'), message);
    });
  }

  it('never shows the password of a directory URL that carries one', () => {
    assert.doesNotMatch(
      problemsOf({ ...acme, ACME_DIRECTORY_URL: 'https://user:s3cret@acme.example.org/dir' }).join('\n'),
      /s3cret/,
    );
  });

  it('refuses a CA file that holds no certificate', () => {
    const notPem = fileWith('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    for (const path of [notPem, fileWith('just text\n')]) {
      assert.match(
        problemsOf({ ...acme, ACME_CA_FILE: path }).join('\n'),
        /^ACME_CA_FILE: ".*" holds no PEM certificate/m,
      );
    }
  });

  it('keeps port 80 free of the HTTPS and metrics listeners', () => {
    const problems = problemsOf({ ...acme, METRICS_PORT: '80' });
    assert.ok(
      problems.includes(
        'METRICS_PORT: "80" is where SSL_TYPE=acme answers the CA\'s challenges; allowed: another port',
      ),
    );
    assert.match(
      problemsOf({ ...acme, HTTPS_PORT: '80' }).join('\n'),
      /^HTTPS_PORT: "80" is where SSL_TYPE=acme answers/m,
    );
  });
});
