/** The IdP identity behind a token: its subject within its issuer. */
export interface TokenIdentity {
  issuer: string;
  subject: string;
}

/** What checking one bearer token concluded. Reasons are for logs: never the token itself. */
export type TokenVerdict =
  | {
      valid: true;
      username: string;
      expiresAt: number;
      identity: TokenIdentity;
      /** The provisioning template the token names (OAUTH2_TEMPLATE_CLAIM). */
      template?: string | undefined;
    }
  | { valid: false; reason: string; temporary: boolean };

export interface TokenVerifier {
  verify(token: string): Promise<TokenVerdict>;
}

export const invalid = (reason: string): TokenVerdict => ({ valid: false, reason, temporary: false });
export const unavailable = (reason: string): TokenVerdict => ({ valid: false, reason, temporary: true });
