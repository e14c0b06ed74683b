import { createHash } from 'node:crypto';
import type { OAuth2Settings } from '../../config/oauth2-settings.ts';
import { Discovery } from './discovery.ts';
import { IdpHttp } from './http.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import { JwtVerifier } from './jwt-verifier.ts';
import { TokenCache } from './token-cache.ts';
import { UserinfoVerifier } from './userinfo-verifier.ts';
import { invalid, type TokenVerdict, type TokenVerifier, unavailable } from './verdict.ts';

/** Longer than any real access token; refused before any parsing or IdP call. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_CACHED_TOKENS = 100_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const fingerprint = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A verdict, whether the cache gave it, and the token's fingerprint: what logs name instead of the token. */
export type CheckedToken = TokenVerdict & {
  cached: boolean;
  fingerprint: string /** A cached verdict used because the IdP could not be asked again. */;
  stale?: boolean;
};

/**
 * Decides whether a bearer token is valid and whose it is: JWTs locally (OAUTH2_ISSUER),
 * opaque tokens by RFC 7662 introspection or the docker-mailserver userinfo call, with one
 * cache in front and one IdP request in flight per token.
 */
export class TokenChecker {
  private readonly jwt: TokenVerifier | undefined;
  private readonly opaque: TokenVerifier | undefined;
  private readonly cache: TokenCache;
  private readonly inFlight = new Map<string, Promise<TokenVerdict>>();

  constructor(settings: OAuth2Settings, cache?: TokenCache) {
    const { issuer, discoveryUrl } = settings;
    const http = new IdpHttp(settings);
    const discovery =
      issuer === undefined || discoveryUrl === undefined ? undefined : new Discovery(issuer, discoveryUrl, http);
    this.jwt =
      discovery && issuer !== undefined ? new JwtVerifier({ ...settings, issuer }, discovery, http) : undefined;
    this.opaque = opaqueVerifier(settings, discovery, http);
    this.cache =
      cache ??
      new TokenCache({
        maxEntries: MAX_CACHED_TOKENS,
        maxSeconds: settings.maxCacheSeconds,
        revalidateAfterSeconds: settings.revalidateAfterSeconds,
        negativeSeconds: settings.negativeCacheSeconds,
      });
  }

  async check(token: string): Promise<CheckedToken> {
    const key = fingerprint(token);
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return { ...invalid('token_length', 'token empty or too long'), cached: false, fingerprint: key };
    }
    const cached = this.cache.get(key);
    if (cached !== undefined && (cached.verdict.outcome !== 'valid' || Date.now() < cached.revalidateAt)) {
      return { ...cached.verdict, cached: true, fingerprint: key };
    }
    const fresh = await this.verifyOnce(key, token);
    if (fresh.outcome === 'unavailable' && cached?.verdict.outcome === 'valid') {
      // The IdP is down but this token was valid and has not expired: keep the user signed in.
      return { ...cached.verdict, cached: true, stale: true, fingerprint: key };
    }
    this.cache.remember(key, fresh);
    return { ...fresh, cached: false, fingerprint: key };
  }

  private verifyOnce(key: string, token: string): Promise<TokenVerdict> {
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.route(token).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private route(token: string): Promise<TokenVerdict> {
    const verifier = this.jwt !== undefined && JWT_SHAPE.test(token) ? this.jwt : this.opaque;
    if (verifier === undefined) {
      return Promise.resolve(invalid('opaque_token_unchecked', 'opaque token, but no introspection is configured'));
    }
    return verifier
      .verify(token)
      .catch((error: unknown) => unavailable('token_check_failed', `token check failed: ${(error as Error).message}`));
  }
}

function opaqueVerifier(
  settings: OAuth2Settings,
  discovery: Discovery | undefined,
  http: IdpHttp,
): TokenVerifier | undefined {
  const { client, introspectionUrl } = settings;
  if (client !== undefined && introspectionUrl !== undefined) {
    return new IntrospectionVerifier(settings, client, async () => introspectionUrl, http);
  }
  if (client !== undefined && discovery !== undefined) {
    const endpoint = async () => {
      const discovered = (await discovery.load()).introspectionEndpoint;
      if (discovered === undefined)
        throw new Error('the IdP publishes no introspection_endpoint; set OAUTH2_INTROSPECTION_URL');
      return discovered;
    };
    return new IntrospectionVerifier(settings, client, endpoint, http);
  }
  if (introspectionUrl !== undefined) return new UserinfoVerifier(settings, introspectionUrl, http);
  return undefined;
}
