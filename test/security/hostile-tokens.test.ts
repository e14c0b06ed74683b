import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenChecker } from '../../src/auth/tokens/token-checker.ts';
import type { OAuth2Settings } from '../../src/config/oauth2-settings.ts';

type OAuth2Overrides = Partial<OAuth2Settings>;

import { FakeIdp, now } from '../support/fake-idp.ts';

/** Tokens an attacker would try; each test fails if the token were accepted (or only refused temporarily). */
let idp: FakeIdp;
/** The attacker's own key server: a jku/x5u header pointing here must never be followed. */
let attackerRequests = 0;
let attackerUrl: string;
const attackerServer = createServer((_request, response) => {
  attackerRequests += 1;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ keys: attackerKeys }));
});
const attacker = await generateKeyPair('ES256', { extractable: true });
const attackerKeys = [{ ...(await exportJWK(attacker.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];

before(async () => {
  idp = await FakeIdp.start();
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}/jwks`;
});
after(() => {
  idp.close();
  attackerServer.close();
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = () => ({ iss: idp.issuer, aud: 'mail', email: 'alice@example.org', exp: now() + 60 });

const hostile: Array<[string, () => Promise<string>, RegExp, OAuth2Overrides?]> = [
  ['expired', () => idp.token({ exp: now() - 60 }), /expired/],
  ['not yet valid', () => idp.token({ nbf: now() + 600 }), /nbf/],
  ['from a wrong issuer', () => idp.token({ iss: 'https://evil.example' }), /iss/],
  ['for a wrong audience', () => idp.token({ aud: 'other' }), /aud/],
  [
    'without expiry',
    () =>
      new SignJWT({ iss: idp.issuer, aud: 'mail', email: 'a@b.org' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(idp.signingKey),
    /exp/,
  ],
  ['without the username claim', () => idp.token({ email: undefined }), /no email claim/],
  ['signed by another key under the known kid', () => idp.token({}, { key: idp.otherKey }), /bad signature/],
  [
    'signed by an unknown key',
    () => idp.token({}, { key: idp.otherKey, header: { kid: 'rogue' } }),
    /does not publish/,
  ],
  [
    'kid naming a path',
    () => idp.token({}, { key: idp.otherKey, header: { kid: '../../../../dev/null' } }),
    /does not publish/,
  ],
  ['kid naming a URL', () => idp.token({}, { key: idp.otherKey, header: { kid: attackerUrl } }), /does not publish/],
  [
    'signed by the attacker with jku to their keys',
    () => idp.token({}, { key: attacker.privateKey, header: { jku: attackerUrl } }),
    /bad signature/,
  ],
  [
    'signed by the attacker with x5u to their keys',
    () => idp.token({}, { key: attacker.privateKey, header: { x5u: attackerUrl } }),
    /bad signature/,
  ],
  [
    'signed by the attacker with an embedded jwk',
    () => idp.token({}, { key: attacker.privateKey, header: { jwk: attackerKeys[0] } }),
    /bad signature/,
  ],
  ['alg none', async () => `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims())}.`, /not allowed|malformed/],
  [
    'HS256 keyed with the public key (key confusion)',
    async () => {
      const secret = new TextEncoder().encode(JSON.stringify(idp.published[0]));
      return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    },
    /not allowed/,
  ],
  ['truncated', async () => (await idp.token({})).slice(0, -20), /bad signature|malformed/],
  ['cut to two parts', async () => (await idp.token({})).split('.').slice(0, 2).join('.'), /malformed|opaque/],
  ['garbage', async () => 'not-a-token', /opaque token, but no introspection/],
  ['64 KiB long', async () => 'a'.repeat(64 * 1024), /too long/],
  ['a JWT 64 KiB long', () => idp.token({ padding: 'x'.repeat(64 * 1024) }), /too long/],
  [
    'that is an ID token (nonce, at_hash)',
    () => idp.token({ nonce: 'n-0S6', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }, { header: { typ: 'JWT' } }),
    /an ID token \(nonce claim\)/,
  ],
  ['that is an ID token by its payload typ', () => idp.token({ typ: 'ID' }), /a "ID" token/],
  [
    'that is a Keycloak refresh token',
    () => idp.token({ typ: 'Refresh' }, { header: { typ: 'JWT' } }),
    /a "Refresh" token/,
  ],
  ['that is a Keycloak offline token', () => idp.token({ typ: 'Offline' }), /a "Offline" token/],
  [
    'that is a logout token',
    () =>
      idp.token(
        { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
        { header: { typ: 'logout+jwt' } },
      ),
    /a "logout\+jwt" token/,
  ],
  [
    'that is a logout token under a plain header',
    () => idp.token({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }),
    /a logout token \(events claim\)/,
  ],
  [
    'that is a security event token',
    () => idp.token({}, { header: { typ: 'secevent+jwt' } }),
    /a "secevent\+jwt" token/,
  ],
  ['that is sender-constrained (DPoP)', () => idp.token({ cnf: { jkt: 'thumbprint' } }), /sender-constrained/],
  ['with an unverified email', () => idp.token({ email_verified: false }), /email claim not verified/],
  ['without email_verified', () => idp.token({ email_verified: undefined }), /email claim not verified/],
  ['without a subject', () => idp.token({ sub: undefined }), /no sub claim/],
  [
    'with a Kelvin sign that Unicode lowercases to "k"',
    () => idp.token({ email: '\u212Aaren@example.org' }),
    /non-ASCII/,
  ],
  ['with white space around the address', () => idp.token({ email: ' alice@example.org' }), /white space/],
  [
    'with a claim that is no address we can serve',
    () => idp.token({ email: 'alice@@example.org' }),
    /not a mail address this server can serve/,
  ],
  [
    'from a client not allowed',
    () => idp.token({ azp: 'rogue' }),
    /not one of OAUTH2_ALLOWED_CLIENTS/,
    { allowedClients: ['mail-client'] },
  ],
  [
    'naming its username claim through the prototype',
    () => idp.token({}),
    /no constructor claim/,
    { usernameClaim: 'constructor' },
  ],
];

describe('hostile tokens', () => {
  for (const [name, make, reason, overrides] of hostile) {
    it(`refuses a token ${name}`, async () => {
      const verdict = await new TokenChecker(idp.settings(overrides)).check(await make());
      assert.notEqual(verdict.outcome, 'valid');
      assert.match(verdict.outcome === 'valid' ? '' : verdict.reason, reason);
      assert.notEqual(verdict.outcome, 'unavailable');
    });
  }

  it('accepts the access tokens real IdPs send: RFC 9068, Keycloak (JWT, typ Bearer, even with a nonce), Entra ID (JWT, no typ), upper-case addresses', async () => {
    const tokens = [
      idp.token({}, { header: { typ: 'at+jwt' } }),
      idp.token({ typ: 'Bearer', nonce: 'n-0S6' }, { header: { typ: 'JWT' } }),
      idp.token({}, { header: { typ: 'JWT' } }),
      idp.token({ email: 'ALICE@EXAMPLE.ORG' }),
    ];
    for (const token of await Promise.all(tokens)) {
      const verdict = await new TokenChecker(idp.settings()).check(token);
      assert.equal(verdict.outcome === 'valid' ? verdict.username : verdict.reason, 'alice@example.org');
    }
    const fromAllowedClient = await new TokenChecker(idp.settings({ allowedClients: ['mail-client'] })).check(
      await idp.token({ azp: 'mail-client' }),
    );
    assert.equal(
      fromAllowedClient.outcome === 'valid' ? fromAllowedClient.username : fromAllowedClient.reason,
      'alice@example.org',
    );
  });

  it('never fetched keys from a URL a token named', () => {
    assert.equal(attackerRequests, 0);
  });
});
