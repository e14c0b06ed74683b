import type { CleanedEnv } from 'envalid';
import { str } from 'envalid';
import { flag, httpUrl, readableFile, seconds, token, tokenList } from './validators.ts';

export interface OAuth2Settings {
  /** OIDC issuer exactly as tokens carry it (Authentik's ends with a slash, Keycloak's not). */
  issuer: string | undefined;
  /** The issuer's discovery document: JWKS for local JWT validation, introspection endpoint. */
  discoveryUrl: string | undefined;
  /** A token must name one of these in `aud` (a realm's mail client, webmail, groupware: each its own client id). */
  audiences: readonly string[];
  /** OAUTH2_ACCEPT_ANY_AUDIENCE: the explicit, warned-about opt-out of the audience check. */
  acceptAnyAudience: boolean;
  /** When set, the token's client (`azp`, else `client_id`) must be one of these. */
  allowedClients: readonly string[] | undefined;
  /** OAUTH2_ALLOW_HTTP: plain http:// to the IdP (a private demo network only). */
  allowHttp: boolean;
  /** OAUTH2_TLS_CA_FILE: the CA an IdP behind a private CA is verified with (besides the system's). */
  caFile: string | undefined;
  usernameClaim: string;
  /** The claim naming a provisioning template (OAUTH2_PROVISIONING=jit). */
  templateClaim: string;
  requiredScope: string | undefined;
  /** Client credentials for RFC 7662 introspection of opaque tokens. */
  client: { id: string; secret: string } | undefined;
  /** Explicit introspection (or, without client credentials, userinfo-style) endpoint. */
  introspectionUrl: string | undefined;
  clockSkewSeconds: number;
  revalidateAfterSeconds: number;
  maxCacheSeconds: number;
  negativeCacheSeconds: number;
}

export const oauth2Specs = {
  ENABLE_OAUTH2: flag({
    default: false,
    desc: 'Offer XOAUTH2 and OAUTHBEARER sign-in; needs `OAUTH2_ISSUER` or `OAUTH2_INTROSPECTION_URL`',
    example: '1',
  }),
  OAUTH2_ISSUER: httpUrl({
    default: undefined,
    desc:
      'The issuer, exactly as tokens carry it; its `/.well-known/openid-configuration` gives the keys (JWTs are ' +
      'validated locally) and the introspection endpoint',
    example: 'https://id.example.org/realms/mail',
  }),
  OAUTH2_AUDIENCE: tokenList({
    default: undefined,
    whenUnset: 'none; required with `OAUTH2_ISSUER` or `OAUTH2_CLIENT_ID`',
    desc: 'The `aud` values a token must name one of to sign in here, comma-separated',
    example: 'mail-server,webmail',
  }),
  OAUTH2_ACCEPT_ANY_AUDIENCE: flag({
    default: false,
    desc: 'Accept tokens of any audience (an explicit opt-out, warned about at every start)',
    example: '1',
  }),
  OAUTH2_ALLOWED_CLIENTS: tokenList({
    default: undefined,
    whenUnset: 'any client',
    desc: "When set, a token's `azp` (or `client_id`) must be one of these",
    example: 'thunderbird,roundcube',
  }),
  OAUTH2_ALLOW_HTTP: flag({
    default: false,
    desc: 'Allow plain `http://` to the IdP (a private network only; warned about at every start)',
    example: '1',
  }),
  OAUTH2_TLS_CA_FILE: readableFile({
    default: undefined,
    whenUnset: 'system CAs',
    desc: "A CA (PEM) for an IdP behind a private CA, trusted besides the system's",
    example: '/etc/idmail/idp-ca.pem',
  }),
  OAUTH2_USERNAME_CLAIM: token({
    default: 'email',
    desc:
      'The claim that names the mailbox exactly (ASCII letters compared case-insensitively); with `email`, ' +
      '`email_verified` must be true',
    example: 'preferred_username',
  }),
  OAUTH2_TEMPLATE_CLAIM: token({
    default: 'mail_template',
    desc: 'The token claim naming a provisioning template',
    example: 'mailbox_class',
  }),
  OAUTH2_REQUIRED_SCOPE: token({
    default: undefined,
    desc: 'A scope every token must carry (in `scope` or `scp`)',
    example: 'mail',
  }),
  OAUTH2_CLIENT_ID: token({
    default: undefined,
    desc: 'The client for RFC 7662 introspection of opaque tokens; set together with `OAUTH2_CLIENT_SECRET`',
    example: 'idmail',
  }),
  OAUTH2_CLIENT_SECRET: str({
    default: undefined,
    desc: 'Its secret, best read from a file (`OAUTH2_CLIENT_SECRET__FILE`)',
  }),
  OAUTH2_INTROSPECTION_URL: httpUrl({
    default: undefined,
    whenUnset: 'from discovery',
    desc:
      "With client credentials: the RFC 7662 endpoint; without: docker-mailserver's behaviour, a Bearer call to " +
      'a userinfo-style endpoint (the audience cannot be checked; a warning says so)',
    example: 'https://auth.example.org/application/o/userinfo/',
  }),
  OAUTH2_CLOCK_SKEW: seconds({ default: 30, desc: 'Seconds of clock leeway for `exp` and `nbf`', example: '5' }),
  OAUTH2_CACHE_REVALIDATE: seconds({
    default: 300,
    desc: 'Seconds after which a cached valid token is checked again (kept if the IdP is then unreachable)',
    example: '60',
  }),
  OAUTH2_CACHE_MAX_TTL: seconds({
    default: 86400,
    desc: 'Seconds a valid token is kept at most (otherwise until its own `exp`)',
    example: '3600',
  }),
  OAUTH2_NEGATIVE_CACHE_TTL: seconds({ default: 5, desc: 'Seconds a refused token is remembered', example: '0' }),
};

type OAuth2Env = CleanedEnv<typeof oauth2Specs>;

/** docker-mailserver's mode: opaque tokens sent to a userinfo-style URL, which says whose they are but not for whom. */
export const userinfoMode = (env: OAuth2Env): boolean =>
  env.OAUTH2_INTROSPECTION_URL !== undefined && env.OAUTH2_CLIENT_ID === undefined;

/** Tokens are checked where their audience can be seen: locally (JWTs of OAUTH2_ISSUER) or by RFC 7662 introspection. */
const audienceCheckable = (env: OAuth2Env): boolean =>
  env.OAUTH2_ISSUER !== undefined || env.OAUTH2_CLIENT_ID !== undefined;

export function oauth2Problems(env: OAuth2Env): string[] {
  if (!env.ENABLE_OAUTH2) return [];
  const problems: string[] = [];
  if (env.OAUTH2_ISSUER === undefined && env.OAUTH2_INTROSPECTION_URL === undefined) {
    problems.push(
      'ENABLE_OAUTH2: is on but neither OAUTH2_ISSUER nor OAUTH2_INTROSPECTION_URL is set; allowed: set at least one',
    );
  }
  if ((env.OAUTH2_CLIENT_ID === undefined) !== (env.OAUTH2_CLIENT_SECRET === undefined)) {
    problems.push(
      'OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET: only one is set; allowed: both (introspection client) or neither',
    );
  }
  if (audienceCheckable(env) && env.OAUTH2_AUDIENCE === undefined && !env.OAUTH2_ACCEPT_ANY_AUDIENCE) {
    problems.push(
      'OAUTH2_AUDIENCE: is required, so that only tokens meant for this mail server sign in; allowed: the client id(s) or resource your IdP puts in "aud", comma-separated (or, knowingly, OAUTH2_ACCEPT_ANY_AUDIENCE=1)',
    );
  }
  if (env.OAUTH2_AUDIENCE !== undefined && env.OAUTH2_ACCEPT_ANY_AUDIENCE) {
    problems.push('OAUTH2_ACCEPT_ANY_AUDIENCE: is on while OAUTH2_AUDIENCE is set; allowed: one of them');
  }
  if (!env.OAUTH2_ALLOW_HTTP) {
    for (const name of ['OAUTH2_ISSUER', 'OAUTH2_INTROSPECTION_URL'] as const) {
      if (env[name]?.startsWith('http:')) {
        problems.push(
          `${name}: "${env[name]}" is plain http; allowed: an https:// URL (or OAUTH2_ALLOW_HTTP=1 on a private network you trust)`,
        );
      }
    }
  }
  return problems;
}

/** Allowed, but weaker than it should be: logged at every start and printed by `idmail config check`. */
export function oauth2Warnings(env: OAuth2Env): string[] {
  if (!env.ENABLE_OAUTH2) return [];
  const warnings: string[] = [];
  if (env.OAUTH2_ACCEPT_ANY_AUDIENCE) {
    warnings.push(
      'OAUTH2_ACCEPT_ANY_AUDIENCE=1: a token the IdP issued to any of its clients signs in here; set OAUTH2_AUDIENCE instead',
    );
  }
  if (userinfoMode(env)) {
    warnings.push(
      'OAUTH2_INTROSPECTION_URL without OAUTH2_CLIENT_ID: opaque tokens are checked by a userinfo call, which cannot tell whom a token was issued to (its audience); use RFC 7662 introspection with client credentials, or JWTs (OAUTH2_ISSUER)',
    );
  }
  if (env.OAUTH2_ALLOW_HTTP)
    warnings.push('OAUTH2_ALLOW_HTTP=1: tokens and keys travel to and from the IdP unencrypted');
  return warnings;
}

export function oauth2Settings(env: OAuth2Env): OAuth2Settings {
  const client =
    env.OAUTH2_CLIENT_ID !== undefined && env.OAUTH2_CLIENT_SECRET !== undefined
      ? { id: env.OAUTH2_CLIENT_ID, secret: env.OAUTH2_CLIENT_SECRET }
      : undefined;
  return {
    issuer: env.OAUTH2_ISSUER,
    discoveryUrl: env.OAUTH2_ISSUER && `${env.OAUTH2_ISSUER.replace(/\/$/, '')}/.well-known/openid-configuration`,
    audiences: env.OAUTH2_AUDIENCE ?? [],
    acceptAnyAudience: env.OAUTH2_ACCEPT_ANY_AUDIENCE,
    allowedClients: env.OAUTH2_ALLOWED_CLIENTS,
    allowHttp: env.OAUTH2_ALLOW_HTTP,
    caFile: env.OAUTH2_TLS_CA_FILE,
    usernameClaim: env.OAUTH2_USERNAME_CLAIM,
    templateClaim: env.OAUTH2_TEMPLATE_CLAIM,
    requiredScope: env.OAUTH2_REQUIRED_SCOPE,
    client,
    introspectionUrl: env.OAUTH2_INTROSPECTION_URL,
    clockSkewSeconds: env.OAUTH2_CLOCK_SKEW,
    revalidateAfterSeconds: env.OAUTH2_CACHE_REVALIDATE,
    maxCacheSeconds: env.OAUTH2_CACHE_MAX_TTL,
    negativeCacheSeconds: env.OAUTH2_NEGATIVE_CACHE_TTL,
  };
}
