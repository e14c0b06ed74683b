import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { OAuth2Settings } from '../../src/config/oauth2-settings.ts';

/** A stand-in IdP serving discovery and JWKS from the test process (unit tests may fake their collaborators). */
export class FakeIdp {
  readonly issuer: string;
  readonly signingKey: CryptoKey;
  readonly otherKey: CryptoKey;
  /** The JWKs published at /jwks; tests add rotated keys. */
  readonly published: object[];
  jwksRequests = 0;
  /** The key set's address the discovery document names, when not the IdP's own /jwks. */
  jwksUri: string | undefined;
  /** While on, /jwks answers something that is no key set (a broken deployment or proxy). */
  garbageJwks = false;
  private readonly server: Server;

  private constructor(
    server: Server,
    issuer: string,
    keys: { signingKey: CryptoKey; otherKey: CryptoKey; published: object[] },
  ) {
    this.server = server;
    this.issuer = issuer;
    this.signingKey = keys.signingKey;
    this.otherKey = keys.otherKey;
    this.published = keys.published;
  }

  /** Over plain http on 127.0.0.1, or over https as `localhost` with the given certificate. */
  static async start(options: { tls?: { key: string; cert: string } } = {}): Promise<FakeIdp> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const published: object[] = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
    let idp: FakeIdp | undefined;
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/.well-known/openid-configuration') {
        response.end(JSON.stringify({ issuer: idp?.issuer, jwks_uri: idp?.jwksUri ?? `${idp?.issuer}/jwks` }));
      } else if (request.url === '/jwks' && idp !== undefined) {
        idp.jwksRequests += 1;
        response.end(idp.garbageJwks ? '{"keys": "<html>502 Bad Gateway' : JSON.stringify({ keys: idp.published }));
      } else {
        response.statusCode = 404;
        response.end('{}');
      }
    };
    const server = options.tls === undefined ? createServer(handler) : createHttpsServer(options.tls, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const issuer = options.tls === undefined ? `http://127.0.0.1:${port}` : `https://localhost:${port}`;
    idp = new FakeIdp(server, issuer, {
      signingKey: pair.privateKey,
      otherKey: (await generateKeyPair('ES256')).privateKey,
      published,
    });
    return idp;
  }

  /** OAuth2 settings for a mail server trusting this IdP, with audience "mail". */
  settings(overrides: Partial<OAuth2Settings> = {}): OAuth2Settings {
    const base = overrides.issuer ?? this.issuer;
    return {
      issuer: this.issuer,
      discoveryUrl: `${base}/.well-known/openid-configuration`,
      audiences: ['mail'],
      acceptAnyAudience: false,
      allowedClients: undefined,
      allowHttp: true,
      caFile: undefined,
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

  /** A JWT access token for alice@example.org (verified email, subject alice-subject) signed with the published key (or as the options say). */
  token(claims: JWTPayload, options: { key?: CryptoKey; header?: Record<string, unknown> } = {}): Promise<string> {
    return new SignJWT({
      iss: this.issuer,
      aud: 'mail',
      sub: 'alice-subject',
      email: 'Alice@Example.org',
      email_verified: true,
      iat: now(),
      exp: now() + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...options.header })
      .sign(options.key ?? this.signingKey);
  }

  close(): void {
    this.server.close();
  }
}

export const now = () => Math.floor(Date.now() / 1000);
