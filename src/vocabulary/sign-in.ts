/** The sign-in vocabulary everyone shares: protocols, methods, and a policy made of them. */

/** What a person signs in to; Dovecot's service names (Postfix's SASL arrives as smtp). */
export const SIGN_IN_PROTOCOLS = ['imap', 'pop3', 'smtp', 'sieve'] as const;
export type SignInProtocol = (typeof SIGN_IN_PROTOCOLS)[number];

/** How a person may prove who they are: an IdP token, an app password, or the account's own password (directory or local). */
export const SIGN_IN_METHODS = ['token', 'app-password', 'password'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export interface SignInPolicy {
  methods: readonly SignInMethod[];
  protocols: readonly SignInProtocol[];
}

/** The protocol a sign-in is for, from Dovecot's service name; undefined for any other (refused). */
export function signInProtocol(service: string | undefined): SignInProtocol | undefined {
  const name = service?.toLowerCase() === 'managesieve' ? 'sieve' : service?.toLowerCase();
  return (SIGN_IN_PROTOCOLS as readonly string[]).includes(name ?? '') ? (name as SignInProtocol) : undefined;
}

export function policyAllows(
  policy: SignInPolicy,
  method: SignInMethod,
  protocol: SignInProtocol | undefined,
): boolean {
  return policy.methods.includes(method) && protocol !== undefined && policy.protocols.includes(protocol);
}
