/**
 * Why a sign-in was refused or failed temporarily, as a stable code. The sign-in log line carries it
 * as "code" beside the free-text "reason": fail2ban filters and log pipelines match on the code, which
 * stays when a reason is reworded or names a value (an audience, a claim, an HTTP status).
 * docs/troubleshooting.md explains each (a unit test keeps that table and this catalogue alike).
 */
export const REASON_CODES = {
  // The account and its credentials.
  unknown_user: 'the sign-in name is no account',
  account_disabled: 'the account is disabled',
  wrong_password: "the password is not the account's",
  no_password: 'the account has no password: it signs in with tokens only',
  wrong_app_password: 'no app password has this secret',
  app_password_expired: 'the app password is past its expiry',
  app_password_other_account: 'the app password belongs to another account',
  app_password_suspended: 'the app password rests: its owner has had no token sign-in for too long',
  app_password_protocol: 'the app password is not valid for this protocol',
  policy_denied: "the account's policy does not allow this method on this protocol",
  identity_mismatch: 'the token is of another IdP identity than the one the account is bound to',
  bearer_missing: 'a client (SCIM) sent no bearer token',
  bearer_wrong: 'a client (SCIM) sent a bearer token that is not the configured one',
  // The brute-force defence.
  ip_banned: "the client's network is banned after too many failures",
  account_locked: 'the account is locked to the networks it signed in from, after too many failures',
  // Tokens the helper or the IdP refused.
  oauth2_disabled: 'a token was sent, but OAuth2 is not enabled',
  token_length: 'the token is empty or longer than any real access token',
  opaque_token_unchecked: 'an opaque token, but no introspection is configured',
  token_malformed: 'the token is no well-formed JWT',
  token_signature: "the token's signature does not verify",
  token_unknown_key: 'the token is signed by a key the IdP does not publish',
  token_algorithm: "the token's signature algorithm is not allowed",
  token_expired: 'the token has expired',
  token_not_yet_valid: 'the token is not valid yet (nbf)',
  token_issuer: 'the token is from another issuer',
  token_claim_rejected: 'a claim of the token is missing or rejected',
  token_inactive: 'the IdP says the token is not (or no longer) valid',
  token_not_access_token: 'the token is no access token (an ID, refresh, logout or sender-constrained token)',
  token_audience: 'the token is meant for another audience',
  token_client: 'the token was issued to a client not allowed',
  token_scope: 'the token lacks the required scope',
  token_username_claim: "the token's username claim names no account this server can have",
  token_email_unverified: "the token's email claim is not verified",
  token_no_subject: 'the token names no identity (no sub claim)',
  // Temporary failures: nobody's guess, never counted by the brute-force defence.
  idp_unavailable: 'the IdP could not be reached or answered with an error',
  jwks_unavailable: "the IdP's key set could not be fetched",
  idp_unexpected_answer: 'the IdP answered a token check with an unexpected HTTP status',
  token_check_failed: 'the token could not be checked',
  directory_unavailable: 'the directory (LDAP) could not answer',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
