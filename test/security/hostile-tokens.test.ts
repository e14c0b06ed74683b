import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenChecker } from '../../src/auth/tokens/token-checker.ts';
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

const hostile: Array<[string, () => Promise<string>, RegExp]> = [
  ['expired', () => idp.token({ exp: now() - 60 }), /expired/],
  ['not yet valid', () => idp.token({ nbf: now() + 600 }), /nbf/],
  ['from a wrong issuer', () => idp.token({ iss: 'https://evil.example' }), /iss/],
  ['for a wrong audience', () => idp.token({ aud: 'other' }), /aud/],
  ['without expiry', () => new SignJWT({ iss: idp.issuer, aud: 'mail', email: 'a@b.org' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(idp.signingKey), /exp/],
  ['without the username claim', () => idp.token({ email: undefined }), /no email claim/],
  ['signed by another key under the known kid', () => idp.token({}, { key: idp.otherKey }), /bad signature/],
  ['signed by an unknown key', () => idp.token({}, { key: idp.otherKey, header: { kid: 'rogue' } }), /does not publish/],
  ['kid naming a path', () => idp.token({}, { key: idp.otherKey, header: { kid: '../../../../dev/null' } }), /does not publish/],
  ['kid naming a URL', () => idp.token({}, { key: idp.otherKey, header: { kid: attackerUrl } }), /does not publish/],
  ['signed by the attacker with jku to their keys', () => idp.token({}, { key: attacker.privateKey, header: { jku: attackerUrl } }), /bad signature/],
  ['signed by the attacker with x5u to their keys', () => idp.token({}, { key: attacker.privateKey, header: { x5u: attackerUrl } }), /bad signature/],
  ['signed by the attacker with an embedded jwk', () => idp.token({}, { key: attacker.privateKey, header: { jwk: attackerKeys[0] } }), /bad signature/],
  ['alg none', async () => `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims())}.`, /not allowed|malformed/],
  ['HS256 keyed with the public key (key confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(idp.published[0]));
    return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
  }, /not allowed/],
  ['truncated', async () => (await idp.token({})).slice(0, -20), /bad signature|malformed/],
  ['cut to two parts', async () => (await idp.token({})).split('.').slice(0, 2).join('.'), /malformed|opaque/],
  ['garbage', async () => 'not-a-token', /opaque token, but no introspection/],
  ['64 KiB long', async () => 'a'.repeat(64 * 1024), /too long/],
  ['a JWT 64 KiB long', () => idp.token({ padding: 'x'.repeat(64 * 1024) }), /too long/],
];

describe('hostile tokens', () => {
  for (const [name, make, reason] of hostile) {
    it(`refuses a token ${name}`, async () => {
      const verdict = await new TokenChecker(idp.settings()).check(await make());
      assert.equal(verdict.valid, false);
      assert.match(verdict.valid ? '' : verdict.reason, reason);
      assert.equal(!verdict.valid && verdict.temporary, false);
    });
  }

  it('never fetched keys from a URL a token named', () => {
    assert.equal(attackerRequests, 0);
  });
});
