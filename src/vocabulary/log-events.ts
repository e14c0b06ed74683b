/**
 * Every `event` the helper logs, with what it means. Log pipelines and fail2ban match on these names
 * (and on the `code` of a refusal), so they are a typed catalogue: a log line cannot name another.
 */
export const LOG_EVENTS = {
  'sign-in': 'a sign-in decision: outcome allow, deny or tempfail, with reason and code',
  'brute-force': 'the brute-force defence delayed or refused a sign-in',
  'brute-force-ban': 'an address (or IPv6 network) was banned after too many failures',
  'brute-force-account-locked': 'an account under attack was locked to the networks it signed in from',
  'rate-limited': 'a submission was refused: the account reached its messages or recipients per hour',
  'identity-bound': 'an account was bound to the IdP identity (iss, sub) of its first token',
  'identity-mismatch': 'a token of another IdP identity than the bound one was refused',
  provisioned: 'an account was made (jit: at its first token; scim: by the IdP) or changed by SCIM',
  'provisioning-refused': 'no account was made for a token (an alias, a sub-address, a role address)',
  deprovisioned: 'the IdP deleted an account: refused at once, its mail kept for the grace period',
  'list-provisioned': 'the IdP made or changed a distribution list (SCIM group)',
  'list-deleted': 'the IdP deleted a distribution list',
  purged: 'a deleted account past its grace period was removed with its mail',
  'purge-skipped': 'a deleted account was not purged: the accounts file has the address',
  'purge-failed': 'removing a deleted account failed (it is tried again)',
  'certificate-issued': 'SSL_TYPE=acme: the ACME CA issued a certificate and it was put in place',
  'certificate-renewal-failed': 'SSL_TYPE=acme: no certificate this time; the one in place stays and it is tried again',
} as const;

export type LogEvent = keyof typeof LOG_EVENTS;
