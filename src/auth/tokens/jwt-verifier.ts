import type { FetchImplementation, JWTVerifyGetKey } from 'jose';
import type { OAuth2Settings } from '../../config/oauth2-settings.ts';
import type { ReasonCode } from '../reason-codes.ts';
import { verdictFromClaims } from './claims.ts';
import type { Discovery } from './discovery.ts';
import type { IdpHttp } from './http.ts';
import { invalid, type TokenVerdict, type TokenVerifier, unavailable } from './verdict.ts';

/** Asymmetric signatures only: `none` and HS* (key confusion with the public key) never pass. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** An unknown `kid` refetches the JWKS, at most once per this many ms: rotation works, floods don't reach the IdP. */
const JWKS_REFETCH_COOLDOWN_MS = 5_000;
const JWKS_MAX_AGE_MS = 60 * 60 * 1000;

type Jose = typeof import('jose');
type JoseErrors = Jose['errors'];

/** jose, loaded at the first token: an appliance no one has signed in to yet does without it. */
let jose: Promise<Jose> | undefined;
const loadJose = () => {
  jose ??= import('jose');
  return jose;
};

/** JWT access tokens validated locally against the issuer's published keys. */
export class JwtVerifier implements TokenVerifier {
  private readonly settings: OAuth2Settings & { issuer: string };
  private readonly discovery: Discovery;
  private readonly http: IdpHttp;
  private keys: JWTVerifyGetKey | undefined;

  constructor(settings: OAuth2Settings & { issuer: string }, discovery: Discovery, http: IdpHttp) {
    this.settings = settings;
    this.discovery = discovery;
    this.http = http;
  }

  async verify(token: string): Promise<TokenVerdict> {
    const { jwtVerify, errors } = await loadJose();
    try {
      const keys = await this.keySet();
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      return verdictFromClaims(payload, this.settings, (payload.exp as number) * 1000, {
        issuer: this.settings.issuer,
        token: { headerType: protectedHeader.typ },
      });
    } catch (error) {
      return explain(error, errors);
    }
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys === undefined) {
      const { createRemoteJWKSet, customFetch, errors } = await loadJose();
      const { jwksUri } = await this.discovery.load();
      // The key set comes the way every IdP request does: https only (unless allowed), with OAUTH2_TLS_CA_FILE.
      const fetchKeys: FetchImplementation = (url, options) =>
        this.http.call(url, options as never) as unknown as Promise<globalThis.Response>;
      const remote = createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        [customFetch]: fetchKeys,
      });
      this.keys = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          throw keyLookupError(error, errors);
        }
      };
    }
    return this.keys;
  }
}

/** The IdP's key set could not be had (down, timed out, garbage): its outage, not the token's fault. */
class JwksUnavailable extends Error {}

/** A token naming no published key stays the token's fault; a failed fetch of the keys is the IdP's. */
function keyLookupError(error: unknown, errors: JoseErrors): unknown {
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  )
    return error;
  if (error instanceof errors.JWKSTimeout) return new JwksUnavailable('IdP JWKS timed out');
  // jose keeps the key set it fetched last in use until it is an hour old; only new keys wait for the IdP.
  return new JwksUnavailable(`IdP JWKS unavailable: ${(error as Error).message}`);
}

/** Claims whose refusal an admin fixes in a setting of their own (OAUTH2_ISSUER, clocks) have their own codes. */
const CLAIM_CODES = new Map<string, ReasonCode>([
  ['iss', 'token_issuer'],
  ['nbf', 'token_not_yet_valid'],
]);

function explain(error: unknown, errors: JoseErrors): TokenVerdict {
  if (error instanceof errors.JWTExpired) return invalid('token_expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const code = CLAIM_CODES.get(error.claim) ?? 'token_claim_rejected';
    return invalid(code, `claim ${error.claim} rejected: ${error.reason}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('token_signature', 'bad signature');
  if (error instanceof errors.JWKSNoMatchingKey) {
    return invalid('token_unknown_key', 'signed by a key the IdP does not publish');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('token_algorithm', 'signature algorithm not allowed');
  if (error instanceof JwksUnavailable) return unavailable('jwks_unavailable', error.message);
  if (error instanceof errors.JOSEError) return invalid('token_malformed', `malformed token (${error.code})`);
  return unavailable('idp_unavailable', `IdP unavailable: ${(error as Error).message}`);
}
