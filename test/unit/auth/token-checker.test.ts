import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import type { ReasonCode } from '../../../src/auth/reason-codes.ts';
import { TokenChecker } from '../../../src/auth/tokens/token-checker.ts';
import type { OAuth2Settings } from '../../../src/config/oauth2-settings.ts';
import { FakeIdp, now } from '../../support/fake-idp.ts';

let idp: FakeIdp;
before(async () => {
  idp = await FakeIdp.start();
});
after(() => idp.close());

const settings = (overrides: Partial<OAuth2Settings> = {}) => idp.settings(overrides);
const token = (claims: JWTPayload, options: { key?: CryptoKey; kid?: string } = {}) =>
  idp.token(claims, { ...(options.key && { key: options.key }), ...(options.kid && { header: { kid: options.kid } }) });

describe('token checks (JWT against the JWKS)', () => {
  it('accepts a good token and names its user in lower case', async () => {
    const verdict = await new TokenChecker(settings()).check(await token({}));
    assert.deepEqual(
      { outcome: verdict.outcome, username: verdict.outcome === 'valid' && verdict.username },
      { outcome: 'valid', username: 'alice@example.org' },
    );
  });

  it('requires the configured scope', async () => {
    const checker = new TokenChecker(settings({ requiredScope: 'mail' }));
    assert.equal((await checker.check(await token({ scope: 'openid email' }))).outcome, 'invalid');
    assert.equal((await checker.check(await token({ scope: 'openid mail' }))).outcome, 'valid');
    assert.equal((await checker.check(await token({ scp: ['mail'] }))).outcome, 'valid');
  });

  it('uses a configured username claim', async () => {
    const verdict = await new TokenChecker(settings({ usernameClaim: 'upn' })).check(
      await token({ upn: 'Bob@Example.org' }),
    );
    assert.equal(verdict.outcome === 'valid' && verdict.username, 'bob@example.org');
  });

  it('picks up a rotated key with one JWKS refetch', async () => {
    const checker = new TokenChecker(settings());
    assert.equal((await checker.check(await token({}))).outcome, 'valid');
    const rotated = await generateKeyPair('ES256', { extractable: true });
    idp.published.push({ ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' });
    const before = idp.jwksRequests;
    await new Promise((resolve) => setTimeout(resolve, 5_100)); // the refetch cooldown
    assert.equal((await checker.check(await token({}, { key: rotated.privateKey, kid: 'k2' }))).outcome, 'valid');
    assert.equal(idp.jwksRequests - before, 1);
  });

  it('keeps the keys it has when the JWKS turns to garbage, and fails an unknown key temporarily', async () => {
    const checker = new TokenChecker(settings());
    assert.equal((await checker.check(await token({ jti: 'first' }))).outcome, 'valid');
    idp.garbageJwks = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_100)); // the refetch cooldown
      const unknownKey = await checker.check(await token({}, { kid: 'k-unknown', key: idp.otherKey }));
      assert.equal(unknownKey.outcome, 'unavailable', JSON.stringify(unknownKey));
      assert.equal((await checker.check(await token({ jti: 'second' }))).outcome, 'valid');
    } finally {
      idp.garbageJwks = false;
    }
  });

  it('answers a temporary failure when the IdP cannot be reached', async () => {
    const verdict = await new TokenChecker(settings({ issuer: 'http://127.0.0.1:9' })).check(await token({}));
    assert.notEqual(verdict.outcome, 'valid');
    assert.equal(verdict.outcome, 'unavailable');
  });
});

/** A private CA and a certificate for localhost it signed (openssl, as an admin would make them). */
function privateCa(): { caFile: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-ca-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'idp.key',
    '-out',
    'idp.csr',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'idp.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'idp.pem',
  );
  return {
    caFile: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'idp.key'), 'utf8'),
    cert: readFileSync(join(dir, 'idp.pem'), 'utf8'),
  };
}

describe('how the helper reaches the IdP', () => {
  it('verifies an IdP behind a private CA with OAUTH2_TLS_CA_FILE, and not without it', async () => {
    const ca = privateCa();
    const tlsIdp = await FakeIdp.start({ tls: ca });
    try {
      const withoutCa = await new TokenChecker(tlsIdp.settings({ allowHttp: false })).check(await tlsIdp.token({}));
      assert.equal(withoutCa.outcome, 'unavailable', JSON.stringify(withoutCa));
      assert.match(withoutCa.reason, /certificate/);
      const withCa = await new TokenChecker(tlsIdp.settings({ allowHttp: false, caFile: ca.caFile })).check(
        await tlsIdp.token({ jti: 'another' }),
      );
      assert.equal(withCa.outcome === 'valid' ? withCa.username : withCa.reason, 'alice@example.org');
      // The discovery document may name plain http for the keys; that is refused all the same.
      tlsIdp.jwksUri = `${idp.issuer}/jwks`;
      const downgraded = await new TokenChecker(tlsIdp.settings({ allowHttp: false, caFile: ca.caFile })).check(
        await tlsIdp.token({ jti: 'third' }),
      );
      assert.match(downgraded.outcome === 'valid' ? '' : downgraded.reason, /refusing http:\/\/ to the IdP/);
    } finally {
      tlsIdp.close();
    }
  });

  it('refuses plain http to the IdP unless OAUTH2_ALLOW_HTTP, also where the discovery document names it', async () => {
    const refused = await new TokenChecker(settings({ allowHttp: false })).check(await token({ jti: 'plain' }));
    assert.match(refused.outcome === 'valid' ? '' : refused.reason, /refusing http:\/\/ to the IdP/);
    assert.equal(
      (await new TokenChecker(settings({ allowHttp: true })).check(await token({ jti: 'plain' }))).outcome,
      'valid',
    );
  });
});

describe('the code of each token refusal', () => {
  const cases: [string, () => Promise<string>, ReasonCode, Partial<OAuth2Settings>?][] = [
    ['empty', async () => '', 'token_length'],
    ['opaque, with no introspection configured', async () => 'opaque-token', 'opaque_token_unchecked'],
    ['shaped like a JWT but none', async () => 'a.b.c', 'token_malformed'],
    ['signed by another key under a published kid', () => token({}, { key: idp.otherKey }), 'token_signature'],
    ['signed by an unpublished key', () => token({}, { key: idp.otherKey, kid: 'k-unknown' }), 'token_unknown_key'],
    ['expired', () => token({ iat: now() - 7200, exp: now() - 3600 }), 'token_expired'],
    ['not valid yet', () => token({ nbf: now() + 3600 }), 'token_not_yet_valid'],
    ['from another issuer', () => token({ iss: 'https://evil.example' }), 'token_issuer'],
    ['that is an ID token', () => token({ nonce: 'n-0S6' }), 'token_not_access_token'],
    ['for another audience', () => token({ aud: 'other' }), 'token_audience'],
    ['from a client not allowed', () => token({ azp: 'rogue' }), 'token_client', { allowedClients: ['mail-client'] }],
    ['without the required scope', () => token({ scope: 'openid' }), 'token_scope', { requiredScope: 'mail' }],
    ['naming no address this server can serve', () => token({ email: 'alice@@example.org' }), 'token_username_claim'],
    ['with an unverified email', () => token({ email_verified: false }), 'token_email_unverified'],
    ['without a subject', () => token({ sub: undefined }), 'token_no_subject'],
  ];
  for (const [name, make, code, overrides] of cases) {
    it(`refuses a token ${name} as ${code}`, async () => {
      const verdict = await new TokenChecker(settings(overrides)).check(await make());
      assert.deepEqual(verdict.outcome === 'invalid' && verdict.code, code, JSON.stringify(verdict));
    });
  }

  it('fails a token temporarily as idp_unavailable when the IdP cannot be reached', async () => {
    const verdict = await new TokenChecker(settings({ issuer: 'http://127.0.0.1:9' })).check(await token({}));
    assert.deepEqual(verdict.outcome === 'unavailable' && verdict.code, 'idp_unavailable', JSON.stringify(verdict));
  });
});
