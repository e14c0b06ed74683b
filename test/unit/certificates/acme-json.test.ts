import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AcmeJsonCertificate, certificateFromAcmeJson } from '../../../src/certificates/acme-json.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Traefik v2's layout: resolvers, each with its account and its certificates (base64 PEM). */
const store = {
  le: {
    Account: { Email: 'acme@example.org', PrivateKey: 'x', KeyType: 'EC256' },
    Certificates: [
      { domain: { main: 'www.example.org' }, certificate: b64('www cert'), key: b64('www key'), Store: 'default' },
      {
        domain: { main: 'example.org', sans: ['*.example.org'] },
        certificate: b64('wildcard cert'),
        key: b64('wildcard key'),
        Store: 'default',
      },
    ],
  },
  other: {
    Account: null,
    Certificates: [
      { domain: { main: 'Mail.Example.org' }, certificate: b64('mail cert'), key: b64('mail key'), Store: 'default' },
    ],
  },
};

const found = (result: AcmeJsonCertificate | string) => {
  assert.ok(typeof result !== 'string', result as string);
  return { name: result.name, resolver: result.resolver, cert: result.cert.toString(), key: result.key.toString() };
};

describe("Traefik's acme.json", () => {
  it('gives the certificate of the first name that has one, from any resolver, names compared case-insensitively', () => {
    const text = JSON.stringify(store);
    assert.deepEqual(found(certificateFromAcmeJson(text, ['mail.example.org', '*.example.org'])), {
      name: 'mail.example.org',
      resolver: 'other',
      cert: 'mail cert',
      key: 'mail key',
    });
    assert.deepEqual(found(certificateFromAcmeJson(text, ['imap.example.org', '*.example.org', 'example.org'])), {
      name: '*.example.org',
      resolver: 'le',
      cert: 'wildcard cert',
      key: 'wildcard key',
    });
  });

  it('says why there is none: no such name, not JSON, not the layout, an entry without its key', () => {
    assert.equal(
      certificateFromAcmeJson(JSON.stringify(store), ['imap.example.net']),
      'has no certificate for imap.example.net',
    );
    assert.match(certificateFromAcmeJson('{"le": {"Certif', ['x']) as string, /^is not JSON/);
    assert.equal(certificateFromAcmeJson('[]', ['x']), "is not Traefik's acme.json (no resolvers)");
    // Traefik writes `"Certificates": null` for a resolver that has none yet.
    assert.equal(
      certificateFromAcmeJson(JSON.stringify({ le: { Certificates: null } }), ['x']),
      'has no certificate for x',
    );
    const keyless = { le: { Certificates: [{ domain: { main: 'x' }, certificate: b64('c') }] } };
    assert.equal(
      certificateFromAcmeJson(JSON.stringify(keyless), ['x']),
      'has an entry for x without its certificate or key',
    );
  });
});
