import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT, type CryptoKey } from 'jose';
import type { OAuth2Settings } from '../../../src/config/settings.ts';
import { TokenChecker } from '../../../src/auth/tokens/token-checker.ts';

/** A stand-in IdP serving discovery and JWKS from this process (a unit test may fake its collaborator). */
let server: Server;
let issuer: string;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
const published: object[] = [];
let jwksRequests = 0;
/** The JWKS endpoint answers something that is no key set (a broken deployment or proxy). */
let garbageJwks = false;

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  published.push({ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' });
  server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (request.url === '/jwks') {
      jwksRequests += 1;
      response.end(garbageJwks ? '{"keys": "<html>502 Bad Gateway' : JSON.stringify({ keys: published }));
    } else {
      response.statusCode = 404;
      response.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function settings(overrides: Partial<OAuth2Settings> = {}): OAuth2Settings {
  const base = overrides.issuer ?? issuer;
  return {
    issuer,
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    audience: 'mail',
    usernameClaim: 'email',
    templateClaim: 'mail_template',
    requiredScope: undefined,
    client: undefined,
    introspectionUrl: undefined,
    clockSkewSeconds: 5,
    revalidateAfterSeconds: 300,
    maxCacheSeconds: 3600,
    negativeCacheSeconds: 5,
    ...overrides,
  };
}

const now = () => Math.floor(Date.now() / 1000);

async function token(claims: JWTPayload, options: { key?: CryptoKey; kid?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT({ iss: issuer, aud: 'mail', email: 'Alice@Example.org', iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'k1' })
    .sign(options.key ?? signingKey);
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token checks (JWT against the JWKS)', () => {
  it('accepts a good token and names its user in lower case', async () => {
    const verdict = await new TokenChecker(settings()).check(await token({}));
    assert.deepEqual({ valid: verdict.valid, username: verdict.valid && verdict.username }, { valid: true, username: 'alice@example.org' });
  });

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired', () => token({ exp: now() - 60 }), /expired/],
    ['not yet valid', () => token({ nbf: now() + 600 }), /nbf/],
    ['wrong issuer', () => token({ iss: 'https://evil.example' }), /iss/],
    ['wrong audience', () => token({ aud: 'other' }), /aud/],
    ['no expiry', async () => new SignJWT({ iss: issuer, aud: 'mail', email: 'a@b.org' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(signingKey), /exp/],
    ['no username claim', () => token({ email: undefined }), /no email claim/],
    ['signed by another key under the known kid', () => token({}, { key: otherKey }), /bad signature/],
    ['signed by an unknown key', () => token({}, { key: otherKey, kid: 'rogue' }), /does not publish/],
    ['alg none', async () => `${b64({ alg: 'none', kid: 'k1' })}.${b64({ iss: issuer, aud: 'mail', email: 'a@b.org', exp: now() + 60 })}.`, /not allowed|malformed/],
    ['HS256', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(published[0]));
      return new SignJWT({ iss: issuer, aud: 'mail', email: 'a@b.org', exp: now() + 60 }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    }, /not allowed/],
    ['truncated', async () => (await token({})).slice(0, -20), /bad signature|malformed/],
    ['garbage', async () => 'not-a-token', /opaque token, but no introspection/],
    ['too long', async () => 'a'.repeat(64 * 1024), /too long/],
  ];
  for (const [name, make, reason] of refused) {
    it(`refuses a token that is ${name}`, async () => {
      const verdict = await new TokenChecker(settings()).check(await make());
      assert.equal(verdict.valid, false);
      assert.match(verdict.valid ? '' : verdict.reason, reason);
      assert.equal(!verdict.valid && verdict.temporary, false);
    });
  }

  it('requires the configured scope', async () => {
    const checker = new TokenChecker(settings({ requiredScope: 'mail' }));
    assert.equal((await checker.check(await token({ scope: 'openid email' }))).valid, false);
    assert.equal((await checker.check(await token({ scope: 'openid mail' }))).valid, true);
    assert.equal((await checker.check(await token({ scp: ['mail'] }))).valid, true);
  });

  it('uses a configured username claim', async () => {
    const verdict = await new TokenChecker(settings({ usernameClaim: 'upn' })).check(await token({ upn: 'Bob@Example.org' }));
    assert.equal(verdict.valid && verdict.username, 'bob@example.org');
  });

  it('picks up a rotated key with one JWKS refetch', async () => {
    const checker = new TokenChecker(settings());
    assert.equal((await checker.check(await token({}))).valid, true);
    const rotated = await generateKeyPair('ES256', { extractable: true });
    published.push({ ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' });
    const before = jwksRequests;
    await new Promise((resolve) => setTimeout(resolve, 5_100)); // the refetch cooldown
    assert.equal((await checker.check(await token({}, { key: rotated.privateKey, kid: 'k2' }))).valid, true);
    assert.equal(jwksRequests - before, 1);
  });

  it('keeps the keys it has when the JWKS turns to garbage, and fails an unknown key temporarily', async () => {
    const checker = new TokenChecker(settings());
    assert.equal((await checker.check(await token({ jti: 'first' }))).valid, true);
    garbageJwks = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_100)); // the refetch cooldown
      const unknownKey = await checker.check(await token({}, { kid: 'k-unknown', key: otherKey }));
      assert.deepEqual([unknownKey.valid, !unknownKey.valid && unknownKey.temporary], [false, true], JSON.stringify(unknownKey));
      assert.equal((await checker.check(await token({ jti: 'second' }))).valid, true);
    } finally {
      garbageJwks = false;
    }
  });

  it('answers a temporary failure when the IdP cannot be reached', async () => {
    const verdict = await new TokenChecker(settings({ issuer: 'http://127.0.0.1:9' })).check(await token({}));
    assert.equal(verdict.valid, false);
    assert.equal(!verdict.valid && verdict.temporary, true);
  });
});
