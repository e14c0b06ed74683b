import type { OAuth2Settings } from '../../config/oauth2-settings.ts';
import { addressOrUndefined, asciiLower } from '../../vocabulary/address.ts';
import { own } from '../../vocabulary/own-property.ts';
import { invalid, type TokenVerdict } from './verdict.ts';

type Claims = Record<string, unknown>;

/** Scopes as a set, from RFC 7662/9068 `scope` (space-separated) or Entra/Okta style `scp`. */
function scopesOf(claims: Claims): Set<string> {
  const raw = own(claims, 'scope') ?? own(claims, 'scp');
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(list.filter((item): item is string => typeof item === 'string'));
}

function audiencesOf(claims: Claims): string[] {
  const raw = own(claims, 'aud');
  return (Array.isArray(raw) ? raw : [raw]).filter((item): item is string => typeof item === 'string');
}

const ACCESS_TOKEN_HEADER_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const PLAIN_HEADER_TYPES = new Set(['jwt', 'application/jwt']);
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

/**
 * Why a token is not an access token, or undefined when it is one. RFC 9068 JWTs say so in their
 * `typ` header; Keycloak and Entra send `JWT` (or none) with a payload `typ` of `Bearer` or none, so
 * such a token passes only when nothing marks it as an ID token (nonce, at_hash, c_hash), a refresh or
 * offline token (payload typ), a logout token (events) or a sender-constrained one (cnf: it needs a proof IMAP cannot carry).
 */
function notAnAccessToken(claims: Claims, headerType: string | undefined): string | undefined {
  const header = headerType === undefined ? undefined : asciiLower(headerType);
  if (header !== undefined && !ACCESS_TOKEN_HEADER_TYPES.has(header) && !PLAIN_HEADER_TYPES.has(header))
    return `a "${headerType}" token, not an access token`;
  if (own(claims, 'events') !== undefined) return 'a logout token (events claim), not an access token';
  if (own(claims, 'cnf') !== undefined)
    return 'a sender-constrained token (cnf claim), which cannot be used as a bearer token';
  const tokenType = own(claims, 'token_type');
  if (tokenType !== undefined && !(typeof tokenType === 'string' && ACCESS_TOKEN_TYPES.has(asciiLower(tokenType))))
    return `a token of type "${String(tokenType)}", not an access token`;
  const payloadType = own(claims, 'typ');
  if (payloadType !== undefined) {
    return typeof payloadType === 'string' && asciiLower(payloadType) === 'bearer'
      ? undefined
      : `a "${String(payloadType)}" token, not an access token`;
  }
  const idTokenClaim = ['nonce', 'at_hash', 'c_hash'].find((name) => own(claims, name) !== undefined);
  if (idTokenClaim !== undefined && (header === undefined || !ACCESS_TOKEN_HEADER_TYPES.has(header)))
    return `an ID token (${idTokenClaim} claim), not an access token`;
  return undefined;
}

/** Printable ASCII without spaces: what a mailbox name or login can be; anything else names no account here. */
const EXACT_NAME = /^[\x21-\x7e]{1,254}$/;

/** The account name a claim gives, compared exactly (ASCII lowercased, nothing else), or why it gives none. */
function nameOf(value: unknown, claim: string): { name: string } | { problem: string } {
  if (typeof value !== 'string' || value === '') return { problem: `no ${claim} claim in token` };
  if (!EXACT_NAME.test(value)) return { problem: `${claim} claim has white space, control or non-ASCII characters` };
  if (value.includes('@') && addressOrUndefined(value) === undefined)
    return { problem: `${claim} claim is not a mail address this server can serve` };
  return { name: asciiLower(value) };
}

/** Who the IdP says this is: `sub` within the issuer, what an account is bound to at its first token sign-in. */
function subjectOf(claims: Claims): string | undefined {
  const sub = own(claims, 'sub');
  return typeof sub === 'string' && /^[\x20-\x7e]{1,255}$/.test(sub) ? sub : undefined;
}

export interface ClaimChecks {
  /** The issuer identities are bound under when the claims do not name one (introspection, userinfo). */
  issuer: string;
  /** Checks that only a token's own claims can answer: kind, audience, client, scope (not userinfo's answer about the user). */
  token: { headerType: string | undefined } | undefined;
}

/**
 * The checks every token path shares once its origin is trusted: that it is an access token meant
 * for us (audience, client, scope), and the username claim that names the mailbox, exactly.
 * `expiresAt` is in milliseconds.
 */
export function verdictFromClaims(
  claims: Claims,
  settings: OAuth2Settings,
  expiresAt: number,
  checks: ClaimChecks,
): TokenVerdict {
  const refusal = checks.token === undefined ? undefined : tokenRefusal(claims, settings, checks.token.headerType);
  if (refusal !== undefined) return refusal;
  const named = nameOf(own(claims, settings.usernameClaim), settings.usernameClaim);
  if ('problem' in named) return invalid('token_username_claim', named.problem);
  if (
    settings.usernameClaim === 'email' &&
    own(claims, 'email_verified') !== true &&
    own(claims, 'email_verified') !== 'true'
  ) {
    return invalid('token_email_unverified', 'email claim not verified (email_verified is not true)');
  }
  const subject = subjectOf(claims);
  if (subject === undefined) return invalid('token_no_subject', 'no sub claim: the token names no identity');
  const iss = own(claims, 'iss');
  const template = own(claims, settings.templateClaim);
  return {
    outcome: 'valid',
    username: named.name,
    expiresAt,
    identity: { issuer: typeof iss === 'string' ? iss : checks.issuer, subject },
    ...(typeof template === 'string' && template !== '' ? { template } : {}),
  };
}

/** The refusal of a token that is no access token meant for us (kind, audience, client, scope), else undefined. */
function tokenRefusal(
  claims: Claims,
  settings: OAuth2Settings,
  headerType: string | undefined,
): TokenVerdict | undefined {
  const kind = notAnAccessToken(claims, headerType);
  if (kind !== undefined) return invalid('token_not_access_token', kind);
  if (!settings.acceptAnyAudience && !audiencesOf(claims).some((audience) => settings.audiences.includes(audience))) {
    return invalid('token_audience', `wrong audience (expected ${settings.audiences.join(' or ')})`);
  }
  if (settings.allowedClients !== undefined) {
    const client = own(claims, 'azp') ?? own(claims, 'client_id');
    if (typeof client !== 'string' || !settings.allowedClients.includes(client)) {
      return invalid('token_client', `client ${JSON.stringify(client ?? null)} is not one of OAUTH2_ALLOWED_CLIENTS`);
    }
  }
  if (settings.requiredScope !== undefined && !scopesOf(claims).has(settings.requiredScope)) {
    return invalid('token_scope', `missing scope ${settings.requiredScope}`);
  }
  return undefined;
}
