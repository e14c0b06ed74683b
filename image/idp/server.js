// Demo and test OpenID Connect provider for idmail, built on oidc-provider.
// - Users from IDP_USERS ("address:password,…"), or from an LDAP directory when IDP_LDAP_URL is set
//   (IDP_LDAP_BASE, IDP_LDAP_BIND_DN, IDP_LDAP_BIND_PW); password grant for curl-only demos,
//   plus the authorization-code flow with its own login page (interactions.js), which checks passwords.
// - Tokens requested with resource=<one of IDP_RESOURCES> are JWTs with that audience;
//   tokens without a resource are opaque (for RFC 7662 introspection and userinfo).
// - IDP_TEST_ENDPOINTS=1 adds /test/rotate-keys, /test/mint and /test/jwks-garbage for integration tests,
//   and GET /test/requests: how many requests each path has had (the benchmark's IdP request count).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { ldapUsers, staticUsers } from './directory.js';
import { interaction } from './interactions.js';

const env = process.env;
const issuer = env.IDP_ISSUER ?? 'http://idp:8080';
const port = Number(env.IDP_PORT ?? 8080);
const clientId = env.IDP_CLIENT_ID ?? 'mail-client';
const clientSecret = env.IDP_CLIENT_SECRET ?? 'mail-client-secret';
const resources = (env.IDP_RESOURCES ?? 'urn:idmail,urn:other').split(',');
const redirectUris = (env.IDP_REDIRECT_URIS ?? 'http://localhost:8080/callback').split(',');
// idmail's self-service page: a public client (PKCE, no secret) at the appliance's HTTPS port.
const webClientId = env.IDP_WEB_CLIENT_ID ?? 'idmail-self-service';
const webRedirectUris = (env.IDP_WEB_REDIRECT_URIS ?? 'https://localhost:8443/').split(',');
// Every account's id (sub) is its mail address.
const users = env.IDP_LDAP_URL
  ? ldapUsers({ url: env.IDP_LDAP_URL, base: env.IDP_LDAP_BASE, bindDn: env.IDP_LDAP_BIND_DN, bindPassword: env.IDP_LDAP_BIND_PW })
  : staticUsers(env.IDP_USERS ?? 'alice@example.test:alice-password,bob@example.test:bob-password');

function resourceServerInfo(resource) {
  if (!resources.includes(resource)) throw new errors.InvalidTarget();
  return { scope: 'openid email mail', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
}

async function newSigningKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function configuration(keys) {
  return {
    jwks: { keys },
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token', 'password', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: redirectUris,
    }, {
      client_id: webClientId,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: webRedirectUris,
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'email', 'offline_access', 'mail'],
    findAccount: async (_ctx, sub) => users.knows(sub) ? { accountId: sub, claims: async () => ({ sub, email: sub, email_verified: true }) } : undefined,
    // The (verified) mail address travels in every access token, as Keycloak/Authentik mappers put it there.
    extraTokenClaims: async (_ctx, token) => (token.accountId ? { email: token.accountId, email_verified: true } : undefined),
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        getResourceServerInfo: async (_ctx, resource) => resourceServerInfo(resource),
        useGrantedResource: async () => true,
      },
    },
    ttl: { AccessToken: 600, Grant: 3600, Session: 3600, Interaction: 600, IdToken: 600 },
    cookies: { keys: [randomUUID()] },
  };
}

/**
 * Resource Owner Password Credentials: lets a user get a token with curl alone. With a resource, the
 * token is meant for it (its audience): a JWT, or with token_format=opaque an opaque token whose
 * introspection names that audience.
 */
function passwordGrant(provider) {
  return async (ctx) => {
    const { username, password, scope = 'openid email mail', resource, token_format: format } = ctx.oidc.params;
    const accountId = await users.checkPassword(username, password);
    if (accountId === undefined) throw new errors.InvalidGrant('wrong username or password');
    const { client } = ctx.oidc;
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    if (resource) grant.addResourceScope(resource, scope);
    const grantId = await grant.save();
    const token = new provider.AccessToken({ accountId, client, grantId, scope, gty: 'password' });
    if (resource) token.resourceServer = new provider.ResourceServer(resource, { ...resourceServerInfo(resource), ...(format === 'opaque' && { accessTokenFormat: 'opaque' }) });
    ctx.body = { access_token: await token.save(), token_type: 'Bearer', expires_in: token.expiration, scope };
  };
}

let keys = [await newSigningKey()];
let provider = makeProvider();

function makeProvider() {
  const created = new Provider(issuer, configuration(keys));
  created.proxy = true;
  created.registerGrantType('password', passwordGrant(created), ['username', 'password', 'scope', 'resource', 'token_format']);
  return created;
}

async function readJson(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body ? JSON.parse(body) : {};
}

/** Test-only: the signing key changes (the old one is no longer published), as in a real rotation. */
async function rotateKeys(response) {
  keys = [await newSigningKey()];
  provider = makeProvider();
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kid: keys[0].kid }));
}

/**
 * Test-only: a JWT with the given claims, signed with the IdP's real current key. An access token
 * (typ at+jwt) whose subject is its email, verified, unless the claims say otherwise; `_header`
 * replaces header fields (another typ: an ID or logout token), `_omit` leaves claims out.
 */
async function mint(request, response) {
  const { _header: header = {}, _omit: omit = [], ...claims } = await readJson(request);
  const [key] = keys;
  const now = Math.floor(Date.now() / 1000);
  const person = claims.email === undefined ? {} : { sub: claims.email, email_verified: true };
  const payload = { iss: issuer, iat: now, exp: now + 600, ...person, ...claims };
  for (const name of omit) delete payload[name];
  const jwt = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header })
    .sign(await importJWK(key, 'RS256'));
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: jwt }));
}

/** Test-only: the JWKS endpoint answers garbage (a broken deployment or proxy) while this is on. */
let garbageJwks = false;
async function setGarbageJwks(request, response) {
  garbageJwks = (await readJson(request)).on === true;
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ garbageJwks }));
}

/** Test-only: requests served per path (without the query), test endpoints and health checks left out. */
const served = new Map();
function count(request) {
  const path = request.url.split('?')[0];
  if (path.startsWith('/test/') || path === '/health') return;
  served.set(path, (served.get(path) ?? 0) + 1);
}

const testEndpoints = env.IDP_TEST_ENDPOINTS === '1';
createServer((request, response) => {
  count(request);
  if (testEndpoints && request.method === 'GET' && request.url === '/test/requests') {
    return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(served)));
  }
  if (testEndpoints && request.method === 'POST' && request.url === '/test/rotate-keys') return void rotateKeys(response);
  if (testEndpoints && request.method === 'POST' && request.url === '/test/mint') return void mint(request, response);
  if (testEndpoints && request.method === 'POST' && request.url === '/test/jwks-garbage') return void setGarbageJwks(request, response);
  if (garbageJwks && request.url === '/jwks') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": "<html>502 Bad Gateway');
  if (request.url === '/health') return void response.writeHead(200).end('ok');
  if (request.url.startsWith('/interaction/')) {
    return void interaction(provider, users, request, response).catch((error) => {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`sign-in failed: ${error.message}`);
    });
  }
  return provider.callback()(request, response);
}).listen(port, () => console.log(`demo IdP ${issuer} listening on ${port}`));
